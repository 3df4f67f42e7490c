package services

import (
	"bytes"
	"strings"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// Unit is what the inventory needs from a systemd unit file.
type Unit struct {
	Description string
	// HasInstall reports an [Install] section; Install holds its settings.
	HasInstall bool
	Install    map[string][]string
	// Invalid is set by a malformed section header, which makes systemd
	// refuse the whole file.
	Invalid bool
}

// maxUnitLine bounds one logical line of a unit file.
const maxUnitLine = 64 << 10

// ParseUnit parses a systemd unit file (an INI dialect: [Section] headers,
// Key=Value lines, '#' and ';' comments, backslash continuation). Lines that
// are neither are recorded in sk.
func ParseUnit(file string, data []byte, sk *skipped.List) Unit {
	u := Unit{Install: map[string][]string{}}
	section := ""
	var cont strings.Builder
	start, n := 0, 0
	handle := func(n int, line string) {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case len(line) > maxUnitLine:
			sk.Add(file, n, "line too long")
		case line[0] == '[':
			if !strings.HasSuffix(line, "]") || len(line) < 3 {
				sk.Add(file, n, "bad section header")
				u.Invalid = true
				section = ""
				return
			}
			section = line[1 : len(line)-1]
			if section == "Install" {
				u.HasInstall = true
			}
		default:
			k, v, ok := strings.Cut(line, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" || strings.ContainsAny(k, " \t") {
				sk.Add(file, n, "not a key=value line")
				return
			}
			v = strings.TrimSpace(v)
			switch section {
			case "Unit":
				if k == "Description" {
					u.Description = v
				}
			case "Install":
				if v == "" {
					delete(u.Install, k) // an empty assignment resets a list
				} else {
					u.Install[k] = append(u.Install[k], strings.Fields(v)...)
				}
			case "":
				sk.Add(file, n, "setting outside a section")
			}
		}
	}
	for len(data) > 0 {
		n++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimRight(line, "\r")
		if cont.Len() == 0 {
			start = n
			if t := bytes.TrimSpace(line); len(t) > 0 && (t[0] == '#' || t[0] == ';') {
				continue // comments are never continued
			}
		}
		if bytes.HasSuffix(line, []byte("\\")) && cont.Len() <= maxUnitLine {
			cont.Write(line[:len(line)-1])
			cont.WriteByte(' ')
			continue
		}
		cont.Write(line)
		handle(start, cont.String())
		cont.Reset()
	}
	if cont.Len() > 0 {
		handle(start, cont.String())
	}
	return u
}

// installState classifies a unit that is not enabled: "disabled" when its
// [Install] section can enable it, "indirect" when it only names Also= units,
// "static" otherwise.
func (u Unit) installState() string {
	for _, k := range []string{"WantedBy", "RequiredBy", "UpheldBy", "Alias"} {
		if len(u.Install[k]) > 0 {
			return StateDisabled
		}
	}
	if len(u.Install["Also"]) > 0 {
		return StateIndirect
	}
	return StateStatic
}
