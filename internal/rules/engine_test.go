package rules

import (
	"sync"
	"testing"
)

const ruleNC = `title: netcat
id: 00000000-0000-4000-8000-000000000001
logsource: {product: linux, category: process_creation}
detection:
  sel:
    Image|endswith: /nc
  condition: sel
`

const ruleCurl = `title: curl
id: 00000000-0000-4000-8000-000000000002
logsource: {product: linux, category: process_creation}
detection:
  sel:
    Image|endswith: /curl
  condition: sel
`

func TestEngineSwap(t *testing.T) {
	eng := NewEngine(mustCompileText(t, ruleNC))
	st := eng.NewStream()
	nc, curl := execEvent("/usr/bin/nc", "nc", "-l"), execEvent("/usr/bin/curl", "curl", "x")
	if len(st.Process(nc)) != 1 || len(st.Process(curl)) != 0 {
		t.Fatal("before the swap: want an alert for nc only")
	}
	old := eng.Swap(mustCompileText(t, ruleCurl))
	if old.Len() != 1 {
		t.Errorf("old set has %d rules", old.Len())
	}
	if len(st.Process(nc)) != 0 || len(st.Process(curl)) != 1 {
		t.Fatal("after the swap: want an alert for curl only")
	}
}

// TestEngineSwapConcurrent swaps sets while streams evaluate (run with -race).
func TestEngineSwapConcurrent(t *testing.T) {
	a, b := mustCompileText(t, ruleNC), mustCompileText(t, ruleCurl)
	eng := NewEngine(a)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := eng.NewStream()
			e := execEvent("/usr/bin/nc", "nc")
			for range 2000 {
				if n := len(st.Process(e)); n > 1 {
					t.Errorf("%d alerts", n)
					return
				}
			}
		}()
	}
	for i := range 200 {
		if i%2 == 0 {
			eng.Swap(b)
		} else {
			eng.Swap(a)
		}
	}
	wg.Wait()
}
