package audit

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/shareddata"
)

func TestReassembleSequences(t *testing.T) {
	dir := filepath.Join(shareddata.Dir(t, "audit_logs"), "go-libaudit", "testdata")
	tests := []struct {
		file           string
		events         int
		lost, resets   uint64
		gapFirst, gapN uint64
	}{
		{file: "normal.log", events: 5},
		{file: "out_of_order.log", events: 5},
		{file: "lost_messages.log", events: 5, lost: 9},
		{file: "rollover.log", events: 5},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			evs, ra, skip := replayFile(t, filepath.Join(dir, tt.file), Config{})
			st := ra.Stats()
			if len(skip) != 0 || len(evs) != tt.events || st.Lost != tt.lost || st.Resets != tt.resets {
				t.Errorf("events %d lost %d resets %d skipped %v; want %d, %d, %d", len(evs), st.Lost, st.Resets, skip, tt.events, tt.lost, tt.resets)
			}
			seen := map[uint64]bool{}
			for _, e := range evs {
				if seen[e.Serial] {
					t.Errorf("serial %d emitted twice", e.Serial)
				}
				seen[e.Serial] = true
				for _, r := range e.Records {
					if r.Serial != e.Serial {
						t.Errorf("record of %d in event %d", r.Serial, e.Serial)
					}
				}
			}
		})
	}
	// Out of order gives the same groups as in order.
	normal, _, _ := replayFile(t, filepath.Join(dir, "normal.log"), Config{})
	ooo, _, _ := replayFile(t, filepath.Join(dir, "out_of_order.log"), Config{})
	count := func(evs []*Event) map[uint64]int {
		m := map[uint64]int{}
		for _, e := range evs {
			m[e.Serial] = len(e.Records)
		}
		return m
	}
	n, o := count(normal), count(ooo)
	for s, c := range n {
		if o[s] != c {
			t.Errorf("serial %d: %d records out of order, %d in order", s, o[s], c)
		}
	}
}

func rec(t *testing.T, line string) *Record {
	t.Helper()
	r, err := ParseLine([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReassembleTimeoutGapAndBounds(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var evs []*Event
	var gaps []Gap
	ra := NewReassembler(Config{Timeout: time.Second, MaxInFlight: 2}, func(e *Event) { evs = append(evs, e) }, func(g Gap) { gaps = append(gaps, g) })

	// A SYSCALL whose EXECVE was dropped by the kernel: emitted at the
	// timeout, marked timed out and incomplete (argc says 2, none came).
	ra.Push(rec(t, `type=SYSCALL msg=audit(1000.000:10): arch=c000003e syscall=59 success=yes items=0 pid=1`), t0)
	ra.Push(rec(t, `type=EXECVE msg=audit(1000.000:10): argc=2 a0="x"`), t0)
	ra.Tick(t0.Add(500 * time.Millisecond))
	if len(evs) != 0 {
		t.Fatalf("emitted before the timeout: %d", len(evs))
	}
	ra.Tick(t0.Add(1500 * time.Millisecond))
	if len(evs) != 1 || !evs[0].TimedOut || !evs[0].Incomplete {
		t.Fatalf("after timeout: %+v", evs)
	}

	// A user-space record is an event at once.
	ra.Push(rec(t, `type=USER_AUTH msg=audit(1001.000:11): pid=2 uid=0 msg='op=PAM:authentication acct="root" exe="/usr/sbin/sshd" addr=10.0.0.1 res=failed'`), t0.Add(2*time.Second))
	if len(evs) != 2 || evs[1].TimedOut || evs[1].Incomplete {
		t.Fatalf("standalone: %+v", evs[1:])
	}

	// Serials 12-13 never come; 14 does. Counted after the timeout.
	t1 := t0.Add(3 * time.Second)
	ra.Push(rec(t, `type=SYSCALL msg=audit(1003.000:14): arch=c000003e syscall=42 success=yes items=0 pid=3`), t1)
	ra.Push(rec(t, `type=EOE msg=audit(1003.000:14):`), t1)
	ra.Tick(t1.Add(2 * time.Second))
	if st := ra.Stats(); st.Lost != 2 || len(gaps) != 1 || gaps[0] != (Gap{Count: 2, FirstSerial: 12, LastSerial: 13}) {
		t.Errorf("lost %d gaps %+v", st.Lost, gaps)
	}

	// MaxInFlight 2: a third open event evicts the oldest.
	t2 := t1.Add(10 * time.Second)
	for _, s := range []string{"15", "16", "17"} {
		ra.Push(rec(t, `type=SYSCALL msg=audit(1010.000:`+s+`): arch=c000003e syscall=2 items=0 pid=4`), t2)
	}
	if st := ra.Stats(); st.Evicted != 1 || ra.InFlight() != 2 || evs[len(evs)-1].Serial != 15 {
		t.Errorf("evicted %d in flight %d last %d", st.Evicted, ra.InFlight(), evs[len(evs)-1].Serial)
	}
	ra.Flush()
	if ra.InFlight() != 0 || evs[len(evs)-1].Serial != 17 {
		t.Errorf("flush left %d", ra.InFlight())
	}
}
