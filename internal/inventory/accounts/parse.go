package accounts

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// maxLine bounds one line of any account file. Real lines are well under 1 KiB;
// longer ones are skipped rather than carried around.
const maxLine = 64 << 10

// lines calls fn for each line of data with its 1-based number, without the
// trailing newline or carriage return.
func lines(data []byte, fn func(n int, line []byte)) {
	n := 0
	for len(data) > 0 {
		n++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		fn(n, bytes.TrimSuffix(line, []byte("\r")))
	}
}

// fields splits a line into exactly n colon-separated fields, or reports why it
// cannot. Blank lines and comments return ok=false with an empty reason.
func fields(line []byte, n int) (f []string, reason string) {
	if len(line) > maxLine {
		return nil, "line too long"
	}
	s := string(line)
	if t := strings.TrimSpace(s); t == "" || t[0] == '#' {
		return nil, ""
	}
	f = strings.Split(s, ":")
	if len(f) != n {
		return nil, "expected " + strconv.Itoa(n) + " fields, got " + strconv.Itoa(len(f))
	}
	if f[0] == "" {
		return nil, "empty name"
	}
	if strings.ContainsAny(f[0], " \t") {
		return nil, "white space in name"
	}
	return f, ""
}

// isNIS reports a NIS compat line ("+", "+name", "-name", "+@netgroup").
func isNIS(line []byte) bool {
	return len(line) > 0 && (line[0] == '+' || line[0] == '-')
}

func parseID(s string) (uint32, bool) {
	v, err := strconv.ParseUint(s, 10, 32)
	return uint32(v), err == nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, m := range strings.Split(s, ",") {
		if m = strings.TrimSpace(m); m != "" {
			out = append(out, m)
		}
	}
	return out
}

// ParsePasswd parses /etc/passwd. Users carry only the passwd fields; Merge adds
// the rest. NIS compat lines are not users: they are counted in nis.
func ParsePasswd(file string, data []byte, sk *skipped.List) (users []User, nis int) {
	lines(data, func(n int, line []byte) {
		if isNIS(line) {
			nis++
			return
		}
		f, reason := fields(line, 7)
		if f == nil {
			if reason != "" {
				sk.Add(file, n, "%s", reason)
			}
			return
		}
		uid, ok1 := parseID(f[2])
		gid, ok2 := parseID(f[3])
		if !ok1 || !ok2 {
			sk.Add(file, n, "bad uid or gid %q:%q", f[2], f[3])
			return
		}
		u := User{Name: f[0], UID: uid, GID: gid, GECOS: f[4], Home: f[5], Shell: f[6], passwd: f[1]}
		u.LoginShell = isLoginShell(u.Shell)
		users = append(users, u)
	})
	return users, nis
}

// ParseGroup parses /etc/group. NIS compat lines are counted in nis.
func ParseGroup(file string, data []byte, sk *skipped.List) (groups []Group, nis int) {
	lines(data, func(n int, line []byte) {
		if isNIS(line) {
			nis++
			return
		}
		f, reason := fields(line, 4)
		if f == nil {
			if reason != "" {
				sk.Add(file, n, "%s", reason)
			}
			return
		}
		gid, ok := parseID(f[2])
		if !ok {
			sk.Add(file, n, "bad gid %q", f[2])
			return
		}
		groups = append(groups, Group{Name: f[0], GID: gid, Members: splitList(f[3])})
	})
	return groups, nis
}

// Shadow is one /etc/shadow entry. Day counts are nil when the field is empty.
type Shadow struct {
	Name       string
	Password   string
	LastChange *int64 // days since 1970-01-01
	MinAge     *int
	MaxAge     *int
	Warn       *int
	Inactive   *int
	Expire     *int64 // days since 1970-01-01
}

// ParseShadow parses /etc/shadow. NIS compat lines are counted in nis.
func ParseShadow(file string, data []byte, sk *skipped.List) (entries []Shadow, nis int) {
	lines(data, func(n int, line []byte) {
		if isNIS(line) {
			nis++
			return
		}
		f, reason := fields(line, 9)
		if f == nil {
			if reason != "" {
				sk.Add(file, n, "%s", reason)
			}
			return
		}
		e := Shadow{Name: f[0], Password: f[1]}
		var bad string
		num := func(i int) *int64 {
			if f[i] == "" {
				return nil
			}
			v, err := strconv.ParseInt(f[i], 10, 32)
			if err != nil {
				bad = f[i]
				return nil
			}
			if v < 0 { // -1 is how some tools write "not set"
				return nil
			}
			return &v
		}
		small := func(i int) *int {
			if v := num(i); v != nil {
				x := int(*v)
				return &x
			}
			return nil
		}
		e.LastChange, e.MinAge, e.MaxAge, e.Warn = num(2), small(3), small(4), small(5)
		e.Inactive, e.Expire = small(6), num(7)
		if bad != "" {
			sk.Add(file, n, "bad number %q", bad)
			return
		}
		entries = append(entries, e)
	})
	return entries, nis
}

// GShadow is one /etc/gshadow entry.
type GShadow struct {
	Name     string
	Password string
	Admins   []string
	Members  []string
}

// ParseGShadow parses /etc/gshadow.
func ParseGShadow(file string, data []byte, sk *skipped.List) (entries []GShadow, nis int) {
	lines(data, func(n int, line []byte) {
		if isNIS(line) {
			nis++
			return
		}
		f, reason := fields(line, 4)
		if f == nil {
			if reason != "" {
				sk.Add(file, n, "%s", reason)
			}
			return
		}
		entries = append(entries, GShadow{Name: f[0], Password: f[1], Admins: splitList(f[2]), Members: splitList(f[3])})
	})
	return entries, nis
}

// nonLoginShells are shells that give no interactive session. sync, shutdown
// and halt are the historical one-command system accounts.
var nonLoginShells = map[string]bool{
	"nologin": true, "false": true, "true": true,
	"sync": true, "shutdown": true, "halt": true,
}

// isLoginShell reports whether shell gives an interactive login. An empty shell
// field means /bin/sh (passwd(5)).
func isLoginShell(shell string) bool {
	shell = strings.TrimSpace(shell)
	if shell == "" {
		return true
	}
	if shell == "/dev/null" {
		return false
	}
	base := shell[strings.LastIndexByte(shell, '/')+1:]
	return !nonLoginShells[base]
}

// PasswordState classifies a stored password field (from shadow, or from passwd
// when it holds the hash itself). hashed reports whether a crypt hash is stored,
// so a "!"-locked account that would be usable again after unlocking can be told
// from one whose password was never set ("*", "!!", "!").
func PasswordState(field string) (state string, hashed bool) {
	switch {
	case field == "":
		return StateEmpty, false
	case field[0] == '!' || field[0] == '*':
		rest := strings.TrimLeft(field, "!*")
		return StateLocked, looksHashed(rest)
	default:
		return StateSet, true
	}
}

// looksHashed reports whether s is a crypt(3) string rather than a marker.
func looksHashed(s string) bool {
	if strings.HasPrefix(s, "$") {
		return len(s) > 4
	}
	return len(s) == 13 // traditional DES
}

// HashAlgorithm names the crypt(3) scheme of a stored hash (ignoring lock
// markers), or "" when none is stored.
func HashAlgorithm(field string) string {
	s := strings.TrimLeft(field, "!*")
	if !looksHashed(s) {
		return ""
	}
	if !strings.HasPrefix(s, "$") {
		return "des"
	}
	id, _, _ := strings.Cut(s[1:], "$")
	switch id {
	case "1":
		return "md5"
	case "2a", "2b", "2x", "2y":
		return "bcrypt"
	case "5":
		return "sha256"
	case "6":
		return "sha512"
	case "y":
		return "yescrypt"
	case "gy":
		return "gost-yescrypt"
	case "7":
		return "scrypt"
	case "sha1":
		return "sha1crypt"
	case "md5":
		return "sunmd5"
	}
	return "unknown"
}

// epochDate turns a day count since 1970-01-01 into an ISO date.
func epochDate(days int64) string {
	return time.Unix(days*86400, 0).UTC().Format(time.DateOnly)
}
