package network

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sec/vigil/internal/skipped"
)

func TestParseNetDev(t *testing.T) {
	const header = "Inter-|   Receive                                                |  Transmit\n" +
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
	tests := []struct {
		name    string
		in      string
		want    map[string]Counters
		skipped int
	}{
		{"kernel", header +
			"    lo:   48213     612    0    0    0     0          0         0    48213     612    0    0    0     0       0          0\n" +
			"  eth0:91233411   80213    0    0    0     0          0         0 12034471   40122    0    0    0     0       0          0\n",
			map[string]Counters{"lo": {48213, 612, 48213, 612}, "eth0": {91233411, 80213, 12034471, 40122}}, 0},
		{"garbage lines skipped", header +
			"eth0: 1 2 3\n" +
			"no colon here\n" +
			"wg0: 1 2 0 0 0 0 0 0 x 4 0 0 0 0 0 0\n" +
			"ok: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n" +
			"ok: 9 9 0 0 0 0 0 0 9 9 0 0 0 0 0 0\n",
			map[string]Counters{"ok": {1, 2, 3, 4}}, 4},
		{"max values", header + "x: 18446744073709551615 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
			map[string]Counters{"x": {RxBytes: math.MaxUint64, RxPackets: 1}}, 0},
		{"overflow", header + "x: 18446744073709551616 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n", map[string]Counters{}, 1},
		{"empty", "", map[string]Counters{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sk skipped.List
			got := ParseNetDev("dev", []byte(tt.in), &sk)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s: got %+v, want %+v", k, got[k], v)
				}
			}
			if len(sk) != tt.skipped {
				t.Errorf("%d skipped (%v), want %d", len(sk), sk, tt.skipped)
			}
		})
	}
}

func TestCounterDelta(t *testing.T) {
	tests := []struct {
		name            string
		prev, cur, want uint64
	}{
		{"growth", 100, 150, 50},
		{"unchanged", 7, 7, 0},
		{"32-bit wrap", math.MaxUint32 - 9, 5, 15},
		{"reset of a small counter", 48213, 1000, 1000},
		{"reset of a 64-bit counter", 1 << 40, 10, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := counterDelta(tt.prev, tt.cur); got != tt.want {
				t.Errorf("counterDelta(%d, %d) = %d, want %d", tt.prev, tt.cur, got, tt.want)
			}
		})
	}
}

func FuzzParseNetDev(f *testing.F) {
	seeds, _ := filepath.Glob("../../../testdata/rootfs/*/proc/net/dev")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("a:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var sk skipped.List
		got := ParseNetDev("dev", data, &sk)
		for name := range got {
			if name == "" {
				t.Fatal("empty interface name")
			}
		}
	})
}
