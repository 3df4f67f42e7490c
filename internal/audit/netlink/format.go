package netlink

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// String prints the rule as "auditctl -l" does: watches as "-w path -p perm
// -k key", other rules as "-a action,list" with the syscalls after the arch
// field and keys as "-F key=".
func (r *Rule) String() string {
	if path, perm, keys, ok := r.watchForm(); ok {
		s := "-w " + path
		if perm != 0 {
			s += " -p " + permText(perm)
		}
		for _, k := range keys {
			s += " -k " + k
		}
		return s
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-a %s,%s", actionText(r.Action), listText(r.Filter))
	arch, hasArch := r.Arch()
	if !hasArch {
		arch, _ = nativeArches()
		r.writeSyscalls(&b, arch)
	}
	for _, f := range r.Fields {
		if f.Type == FieldFilterKey {
			for _, k := range strings.Split(f.Str, "\x01") {
				b.WriteString(" -F key=" + k)
			}
			continue
		}
		b.WriteString(" -F " + fieldText(f))
		if f.Type == FieldArch && hasArch {
			r.writeSyscalls(&b, arch)
		}
	}
	return b.String()
}

func (r *Rule) writeSyscalls(b *strings.Builder, arch uint32) {
	if r.Filter != FilterExit {
		return
	}
	if r.AllSyscalls() {
		b.WriteString(" -S all")
		return
	}
	if nrs := r.Syscalls(); len(nrs) > 0 {
		b.WriteString(" -S " + strings.Join(syscallNames(arch, nrs), ","))
	}
}

// watchForm reports whether the rule is what "-w" makes: an always,exit rule
// on all syscalls with only a watch or dir field, a perm and keys.
func (r *Rule) watchForm() (path string, perm uint32, keys []string, ok bool) {
	if r.Filter != FilterExit || r.Action != ActionAlways || !r.AllSyscalls() {
		return "", 0, nil, false
	}
	for _, f := range r.Fields {
		switch {
		case (f.Type == FieldWatch || f.Type == FieldDir) && f.Op == OpEqual && path == "":
			path = f.Str
		case f.Type == FieldPerm && f.Op == OpEqual:
			perm = f.Value
		case f.Type == FieldFilterKey:
			keys = strings.Split(f.Str, "\x01")
		default:
			return "", 0, nil, false
		}
	}
	return path, perm, keys, path != ""
}

func actionText(a uint32) string {
	switch a {
	case ActionAlways:
		return "always"
	case ActionNever:
		return "never"
	}
	return strconv.FormatUint(uint64(a), 10)
}

func listText(l uint32) string {
	switch l {
	case FilterExit:
		return "exit"
	case FilterTask:
		return "task"
	case FilterUser:
		return "user"
	case FilterExclude:
		return "exclude"
	case FilterFS:
		return "filesystem"
	}
	return strconv.FormatUint(uint64(l), 10)
}

func permText(p uint32) string {
	var s string
	for _, x := range []struct {
		bit uint32
		c   string
	}{{PermRead, "r"}, {PermWrite, "w"}, {PermExec, "x"}, {PermAttr, "a"}} {
		if p&x.bit != 0 {
			s += x.c
		}
	}
	return s
}

// fieldText prints "name op value" as auditctl -l does.
func fieldText(f Field) string {
	name, kind, ok := fieldName(f.Type)
	if !ok {
		name, kind = "field"+strconv.FormatUint(uint64(f.Type), 10), kindNumber
	}
	op := opText(f.Op)
	var v string
	switch kind {
	case kindString:
		v = f.Str
	case kindArch:
		if n, ok := archName(f.Value); ok {
			v = n
		} else {
			v = fmt.Sprintf("0x%x", f.Value)
		}
	case kindPerm:
		v = permText(f.Value)
	case kindHex:
		v = fmt.Sprintf("0x%x", f.Value)
	case kindFiletype:
		v = strconv.FormatUint(uint64(f.Value), 10)
		for n, t := range filetypes {
			if t == f.Value {
				v = n
			}
		}
	case kindExit:
		v = strconv.FormatInt(int64(int32(f.Value)), 10)
		for n, e := range errnoNames {
			if int32(f.Value) == int32(-e) {
				v = "-" + n
			}
		}
	case kindID:
		if f.Value == Unset {
			v = "-1"
		} else {
			v = strconv.FormatUint(uint64(f.Value), 10)
		}
	default:
		v = strconv.FormatInt(int64(int32(f.Value)), 10)
	}
	return name + op + v
}

// WatchDirs turns watch fields on directories into directory watches
// (AUDIT_DIR, recursive), as auditctl does for "-w" on a directory. isDir is
// asked for every watched path.
func (r *Rule) WatchDirs(isDir func(path string) bool) {
	for i, f := range r.Fields {
		if f.Type == FieldWatch && isDir(f.Str) {
			r.Fields[i].Type = FieldDir
		}
	}
}

// WatchPath returns the path of the rule's watch or dir field.
func (r *Rule) WatchPath() (string, bool) {
	for _, f := range r.Fields {
		if f.Type == FieldWatch || f.Type == FieldDir {
			return f.Str, true
		}
	}
	return "", false
}

// ParseRules parses rule specs, one per line; blank lines and lines starting
// with # are ignored. Errors name the line: "line 3: invalid audit rule spec:
// ...".
func ParseRules(text string) ([]*Rule, error) {
	var rules []*Rule
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 4096), maxSpecLen+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r, err := ParseRule(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		rules = append(rules, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSpec, err)
	}
	return rules, nil
}
