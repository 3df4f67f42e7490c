package audit

import (
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
)

// maxArgc bounds the argument slots ExecveArgs allocates for one argc=
// value; further arguments are still counted by argc.
const maxArgc = event.MaxArgs

// ExecveArgs assembles the argument vector of an exec from its EXECVE
// records, in order: argc=N, aK="..." or hex-encoded aK=..., and arguments
// too long for one record split as aK_len=L aK[0]=... aK[1]=... across
// records. Arguments keep their exact bytes (spaces, quotes, newlines,
// non-UTF-8). complete is false when an argument, a piece of one, or the
// argc= field is missing. At most event.MaxArgs arguments are returned.
func ExecveArgs(recs []*Record) (args []string, complete bool) {
	argc := -1
	type piece struct {
		sb      strings.Builder
		declLen int
		hex     bool
		next    int // next expected chunk index
		broken  bool
	}
	var slots []string
	var set []bool
	var split map[int]*piece
	grow := func(i int) bool {
		if i < 0 || i >= maxArgc {
			return false
		}
		for len(slots) <= i {
			slots = append(slots, "")
			set = append(set, false)
		}
		return true
	}
	for _, rec := range recs {
		for _, f := range rec.Fields {
			k := f.Key
			if k == "argc" {
				if n, err := strconv.Atoi(f.Value); err == nil && n >= 0 {
					argc = n
				}
				continue
			}
			if len(k) < 2 || k[0] != 'a' || k[1] < '0' || k[1] > '9' {
				continue
			}
			idx, rest := leadingInt(k[1:])
			if idx < 0 || !grow(idx) {
				continue
			}
			switch {
			case rest == "":
				slots[idx], set[idx] = f.Value, true
			case rest == "_len":
				if split == nil {
					split = make(map[int]*piece)
				}
				p := split[idx]
				if p == nil {
					p = &piece{}
					split[idx] = p
				}
				p.declLen, _ = strconv.Atoi(f.Value)
			case len(rest) > 2 && rest[0] == '[' && rest[len(rest)-1] == ']':
				ci, tail := leadingInt(rest[1 : len(rest)-1])
				if ci < 0 || tail != "" {
					continue
				}
				if split == nil {
					split = make(map[int]*piece)
				}
				p := split[idx]
				if p == nil {
					p = &piece{}
					split[idx] = p
				}
				if ci != p.next {
					p.broken = true
				}
				p.next = ci + 1
				p.hex = p.hex || f.Hex
				p.sb.WriteString(f.Value)
			}
		}
	}
	complete = argc >= 0
	for idx, p := range split {
		slots[idx], set[idx] = p.sb.String(), true
		n := p.sb.Len()
		if p.hex {
			n *= 2
		}
		if p.broken || p.next == 0 || n != p.declLen {
			complete = false
		}
	}
	n := len(slots)
	if argc >= 0 {
		n = min(argc, maxArgc)
		for len(slots) < n {
			slots = append(slots, "")
			set = append(set, false)
		}
		slots = slots[:n]
	}
	for i := range n {
		if !set[i] {
			complete = false
		}
	}
	return slots, complete
}

// leadingInt splits "12[3]" into 12 and "[3]"; -1 when s has no digits or
// the number is too large.
func leadingInt(s string) (int, string) {
	i, n := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		if n > 1<<24 {
			return -1, s
		}
		i++
	}
	if i == 0 {
		return -1, s
	}
	return n, s[i:]
}
