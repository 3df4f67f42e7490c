package network

import (
	"bufio"
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// Counters are the totals of one interface as /proc/net/dev gives them.
type Counters struct {
	RxBytes, RxPackets, TxBytes, TxPackets uint64
}

// maxDevLine bounds one line of /proc/net/dev; real lines are about 200 bytes.
const maxDevLine = 4096

// ParseNetDev parses /proc/net/dev into counters per interface. The two
// header lines and lines it cannot read are skipped (the latter recorded);
// a repeated interface keeps its first line.
func ParseNetDev(file string, data []byte, sk *skipped.List) map[string]Counters {
	out := map[string]Counters{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 512), maxDevLine)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			if n > 2 && strings.TrimSpace(line) != "" {
				sk.Add(file, n, "no interface name")
			}
			continue
		}
		name = strings.TrimSpace(name)
		if n <= 2 && strings.Contains(name, "|") {
			continue // header
		}
		f := strings.Fields(rest)
		if name == "" || strings.ContainsAny(name, " \t/") || len(f) < 16 {
			sk.Add(file, n, "want an interface name and 16 counters")
			continue
		}
		var v [4]uint64
		bad := false
		for i, col := range []int{0, 1, 8, 9} {
			x, err := strconv.ParseUint(f[col], 10, 64)
			if err != nil {
				bad = true
				break
			}
			v[i] = x
		}
		if bad {
			sk.Add(file, n, "counter is not a number")
			continue
		}
		if _, dup := out[name]; dup {
			sk.Add(file, n, "interface %s repeated", name)
			continue
		}
		out[name] = Counters{RxBytes: v[0], RxPackets: v[1], TxBytes: v[2], TxPackets: v[3]}
	}
	if err := sc.Err(); err != nil {
		sk.Add(file, n+1, "%v", err)
	}
	return out
}

// counterDelta is how much a counter grew from prev to cur. A counter that
// went down either wrapped or was reset. Drivers with 32-bit counters wrap at
// 2^32; a value that was in the upper half of the 32-bit range and is now
// below it is taken as such a wrap. Any other decrease is a reset (interface
// re-created, driver reloaded), and the delta is the new value: what was
// counted since the reset. The only guess is a reset of a 32-bit counter
// that stood above 2^31, which is read as a wrap.
func counterDelta(prev, cur uint64) uint64 {
	if cur >= prev {
		return cur - prev
	}
	if prev <= math.MaxUint32 && prev > math.MaxUint32/2 {
		return cur + (math.MaxUint32 + 1 - prev)
	}
	return cur
}

// delta returns the growth of every counter from prev to cur.
func delta(prev, cur Counters) Counters {
	return Counters{
		RxBytes:   counterDelta(prev.RxBytes, cur.RxBytes),
		RxPackets: counterDelta(prev.RxPackets, cur.RxPackets),
		TxBytes:   counterDelta(prev.TxBytes, cur.TxBytes),
		TxPackets: counterDelta(prev.TxPackets, cur.TxPackets),
	}
}
