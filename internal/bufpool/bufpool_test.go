package bufpool

import (
	"testing"
	"time"
)

func TestPool(t *testing.T) {
	p := New(350)
	if b := p.Get(); b != nil {
		t.Fatalf("empty pool gave %d bytes", cap(b))
	}
	p.Put(make([]byte, 5, 100))
	p.Put(make([]byte, 0, 200))
	p.Put(make([]byte, 0, 100)) // past 350 bytes in all: dropped
	p.Put(nil)
	got := map[int]bool{}
	for range 2 {
		x := p.Get()
		if x == nil || len(x) != 0 {
			t.Fatalf("Get gave %v (len %d), want an empty kept buffer", x == nil, len(x))
		}
		got[cap(x)] = true
	}
	if !got[100] || !got[200] {
		t.Fatalf("kept capacities %v, want 100 and 200", got)
	}
	if x := p.Get(); x != nil {
		t.Fatalf("pool kept a third buffer (cap %d)", cap(x))
	}
	p.Put(make([]byte, 0, 300)) // fits again once the others are taken
	if x := p.Get(); cap(x) != 300 {
		t.Fatalf("got cap %d, want the 300-byte buffer", cap(x))
	}
}

// TestTrim checks that an unused pool lets its buffers go, and that one in
// use keeps them.
func TestTrim(t *testing.T) {
	p := New(1 << 10)
	p.Put(make([]byte, 0, 100))
	p.mu.Lock()
	p.lastGet = time.Now().Add(-idle / 2)
	p.mu.Unlock()
	p.trim() // asked for half an idle period ago: kept
	p.mu.Lock()
	kept, armed := p.kept, p.trimmer != nil
	p.lastGet = time.Now().Add(-2 * idle)
	p.mu.Unlock()
	if kept != 100 || !armed {
		t.Fatalf("after a recent Get: kept %d bytes, trimmer armed %v; want 100, true", kept, armed)
	}
	p.trim()
	if b := p.Get(); b != nil {
		t.Fatalf("an idle pool kept a buffer of %d bytes", cap(b))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.kept != 0 || p.trimmer != nil {
		t.Fatalf("after trimming: kept %d, trimmer %v", p.kept, p.trimmer)
	}
}
