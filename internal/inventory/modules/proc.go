package modules

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// Module is one loaded module.
type Module struct {
	Name     string   `json:"name"`
	Size     uint64   `json:"size"`
	RefCount int      `json:"refcount"`
	UsedBy   []string `json:"used_by,omitempty"`
	State    string   `json:"state"`           // "Live", "Loading" or "Unloading"
	Taint    string   `json:"taint,omitempty"` // e.g. "OE" for out-of-tree, unsigned
}

const maxLine = 64 << 10

// forLines calls fn for each line with its 1-based number.
func forLines(data []byte, fn func(n int, line []byte)) {
	n := 0
	for len(data) > 0 {
		n++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		fn(n, bytes.TrimRight(line, "\r"))
	}
}

// ParseProcModules parses /proc/modules:
// "name size refcount used_by state address [(taint)]", where used_by is "-"
// or a comma-terminated list.
func ParseProcModules(file string, data []byte, sk *skipped.List) []Module {
	var out []Module
	forLines(data, func(n int, line []byte) {
		if len(line) > maxLine {
			sk.Add(file, n, "line too long")
			return
		}
		f := strings.Fields(string(line))
		if len(f) == 0 {
			return
		}
		if len(f) < 5 {
			sk.Add(file, n, "expected at least 5 fields, got %d", len(f))
			return
		}
		size, err1 := strconv.ParseUint(f[1], 10, 64)
		ref, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			sk.Add(file, n, "bad size or reference count")
			return
		}
		m := Module{Name: f[0], Size: size, RefCount: ref, State: f[4]}
		if f[3] != "-" {
			for _, u := range strings.Split(f[3], ",") {
				if u != "" {
					m.UsedBy = append(m.UsedBy, u)
				}
			}
		}
		if len(f) > 6 {
			m.Taint = strings.Trim(f[6], "()")
		}
		out = append(out, m)
	})
	return out
}
