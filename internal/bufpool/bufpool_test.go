package bufpool

import "testing"

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
