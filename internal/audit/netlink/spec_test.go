package netlink

import (
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseRuleRoundTrip(t *testing.T) {
	data, err := os.ReadFile("testdata/rules.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		t.Run(line, func(t *testing.T) {
			r, err := ParseRule(line)
			if err != nil {
				t.Fatalf("ParseRule: %v", err)
			}
			if got := r.String(); got != line {
				t.Errorf("String() = %q, want the spec back", got)
			}
			b, err := r.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var back Rule
			if err := back.UnmarshalBinary(b); err != nil {
				t.Fatalf("UnmarshalBinary: %v", err)
			}
			if !back.Equal(r) || back.String() != line {
				t.Errorf("binary round trip gives %q", back.String())
			}
		})
	}
}

func TestParseRuleFields(t *testing.T) {
	tests := []struct {
		spec     string
		filter   uint32
		action   uint32
		syscalls []int // nil: not checked
		all      bool
		fields   []Field
	}{
		{"-a always,exit -F arch=b64 -S execve -S execveat -k vigil", FilterExit, ActionAlways, []int{59, 322}, false,
			[]Field{{FieldArch, OpEqual, ArchX8664, ""}, {FieldFilterKey, OpEqual, 0, "vigil"}}},
		{"-a exit,always -F arch=b32 -S execve -F auid>=1000 -F auid!=unset", FilterExit, ActionAlways, []int{11}, false,
			[]Field{{FieldArch, OpEqual, ArchI386, ""}, {FieldLoginUID, OpGreaterEqual, 1000, ""}, {FieldLoginUID, OpNotEqual, Unset, ""}}},
		{"-a always,exit -F 'exit=-EACCES' -F success=0", FilterExit, ActionAlways, nil, true,
			[]Field{{FieldExit, OpEqual, uint32(0xfffffff3), ""}, {FieldSuccess, OpEqual, 0, ""}}},
		{`-w "/etc/cron.d" -p rwxa -k x -k y`, FilterExit, ActionAlways, nil, true,
			[]Field{{FieldWatch, OpEqual, 0, "/etc/cron.d"}, {FieldPerm, OpEqual, 15, ""}, {FieldFilterKey, OpEqual, 0, "x\x01y"}}},
		{"-a always,exclude -F msgtype=1300", FilterExclude, ActionAlways, []int{}, false,
			[]Field{{FieldMsgType, OpEqual, 1300, ""}}},
		{"-a always,exit -S 59 -F filetype=file -F dir=/etc", FilterExit, ActionAlways, []int{59}, false,
			[]Field{{FieldFiletype, OpEqual, 0100000, ""}, {FieldDir, OpEqual, 0, "/etc"}}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			r, err := ParseRule(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if r.Filter != tt.filter || r.Action != tt.action {
				t.Errorf("filter,action = %d,%d; want %d,%d", r.Filter, r.Action, tt.filter, tt.action)
			}
			if r.AllSyscalls() != tt.all {
				t.Errorf("AllSyscalls = %v", r.AllSyscalls())
			}
			if tt.syscalls != nil && !equalInts(r.Syscalls(), tt.syscalls) {
				t.Errorf("syscalls = %v, want %v", r.Syscalls(), tt.syscalls)
			}
			if len(r.Fields) != len(tt.fields) {
				t.Fatalf("fields = %+v, want %+v", r.Fields, tt.fields)
			}
			for i := range r.Fields {
				if r.Fields[i] != tt.fields[i] {
					t.Errorf("field %d = %+v, want %+v", i, r.Fields[i], tt.fields[i])
				}
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseRuleErrors(t *testing.T) {
	for _, spec := range []string{
		"", "-a", "-a always", "-a sometimes,exit", "-a always,exit -S nosuchcall",
		"-a always,exit -F nosuch=1", "-a always,exit -F uid", "-a always,exit -F uid=abc",
		"-a always,exit -F arch>b64", "-a always,exit -F arch=sparc", "-w relative -p wa",
		"-w /etc/passwd -p wz", "-w /etc/passwd -S execve", "-a always,exit -p wa",
		"-a always,exit -k '" + strings.Repeat("k", 300) + "'", "-a always,exit -F key!=x",
		"-a always,task -S execve", "-x foo", `-w "/etc/passwd`, "-a always,exit -F uid=99999999999",
		"-a always,exit -a always,exit", "-a always,exit -F uid=",
	} {
		t.Run(spec, func(t *testing.T) {
			if _, err := ParseRule(spec); !errors.Is(err, ErrSpec) {
				t.Errorf("ParseRule(%q) error = %v, want ErrSpec", spec, err)
			}
		})
	}
}

// TestRuleLayout checks the bytes of struct audit_rule_data for a watch, as
// auditctl sends them for "-w /etc/passwd -p wa -k vigil".
func TestRuleLayout(t *testing.T) {
	r, err := ParseRule("-w /etc/passwd -p wa -k vigil")
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 1040+len("/etc/passwdvigil") {
		t.Fatalf("len = %d", len(b))
	}
	u := func(off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
	checks := []struct {
		name string
		off  int
		want uint32
	}{
		{"flags", 0, FilterExit}, {"action", 4, ActionAlways}, {"field_count", 8, 3},
		{"mask[0]", 12, 0xffffffff}, {"mask[63]", 12 + 63*4, 0xffffffff},
		{"fields[0]", 268, FieldWatch}, {"fields[1]", 272, FieldPerm}, {"fields[2]", 276, FieldFilterKey},
		{"values[0]", 524, 11}, {"values[1]", 528, PermWrite | PermAttr}, {"values[2]", 532, 5},
		{"fieldflags[0]", 780, OpEqual}, {"fieldflags[2]", 788, OpEqual}, {"fieldflags[3]", 792, 0},
		{"buflen", 1036, 16},
	}
	for _, c := range checks {
		if got := u(c.off); got != c.want {
			t.Errorf("%s at %d = %#x, want %#x", c.name, c.off, got, c.want)
		}
	}
	if string(b[1040:]) != "/etc/passwdvigil" {
		t.Errorf("buf = %q", b[1040:])
	}
}

func TestUnmarshalRuleShort(t *testing.T) {
	r, _ := ParseRule("-w /etc/passwd -p wa -k vigil")
	b, _ := r.MarshalBinary()
	for _, n := range []int{0, 100, 1039, 1040, 1050} {
		var back Rule
		if err := back.UnmarshalBinary(b[:n]); err == nil {
			t.Errorf("UnmarshalBinary of %d bytes succeeded", n)
		}
	}
}

func TestHasKeyPrefix(t *testing.T) {
	tests := []struct {
		spec string
		want bool
	}{
		{"-w /etc/passwd -k vigil", true}, {"-w /etc/passwd -k vigil-exec", true},
		{"-w /etc/passwd -k other -k vigil-x", true}, {"-w /etc/passwd -k vigilance", false},
		{"-w /etc/passwd", false}, {"-w /etc/passwd -k identity", false},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			r, err := ParseRule(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.HasKeyPrefix("vigil"); got != tt.want {
				t.Errorf("HasKeyPrefix = %v", got)
			}
		})
	}
}

func TestParseRulesLines(t *testing.T) {
	rules, err := ParseRules("# c\n\n-w /etc/passwd -k vigil\n  -a always,exit -S execve\n")
	if err != nil || len(rules) != 2 {
		t.Fatalf("ParseRules = %d rules, %v", len(rules), err)
	}
	_, err = ParseRules("-w /etc/passwd\n-a bogus\n")
	if err == nil || !strings.HasPrefix(err.Error(), "line 2:") || !errors.Is(err, ErrSpec) {
		t.Errorf("error = %v, want line 2 and ErrSpec", err)
	}
}

func TestWatchDirs(t *testing.T) {
	r, _ := ParseRule("-w /etc/sudoers.d -p wa -k vigil")
	r.WatchDirs(func(p string) bool { return p == "/etc/sudoers.d" })
	if r.Fields[0].Type != FieldDir || r.String() != "-w /etc/sudoers.d -p wa -k vigil" {
		t.Errorf("after WatchDirs: %+v %q", r.Fields[0], r.String())
	}
}

func TestStatusRoundTrip(t *testing.T) {
	s := Status{Mask: 1, Enabled: 1, Failure: 1, PID: 42, RateLimit: 0, BacklogLimit: 8192,
		Lost: 7, Backlog: 3, FeatureBitmap: 0x7f, BacklogWaitTime: 15000, BacklogWaitTimeActual: 9}
	b, _ := s.MarshalBinary()
	var back Status
	if err := back.UnmarshalBinary(b); err != nil || back != s {
		t.Errorf("round trip = %+v, %v", back, err)
	}
	if err := back.UnmarshalBinary(b[:36]); err != nil || back.FeatureBitmap != 0x7f || back.BacklogWaitTime != 0 {
		t.Errorf("old kernel layout = %+v, %v", back, err)
	}
	if err := back.UnmarshalBinary(b[:20]); !errors.Is(err, ErrShort) {
		t.Errorf("short status error = %v", err)
	}
}

func TestDetectMode(t *testing.T) {
	alive := func(pid int) bool { return pid == 100 || pid == 7 }
	tests := []struct {
		pid  uint32
		want Mode
	}{{0, ModeOwner}, {100, ModeObserver}, {7, ModeOwner}, {555, ModeOwner}}
	for _, tt := range tests {
		if got := DetectMode(Status{PID: tt.pid}, 7, alive); got != tt.want {
			t.Errorf("DetectMode(pid %d) = %s, want %s", tt.pid, got, tt.want)
		}
	}
}

func TestSplitDatagram(t *testing.T) {
	msg := appendMessage(nil, 1300, 0, 9, []byte("audit(1.2:3): x=y"))
	// The kernel's nlmsg_len on records is not trusted: the payload runs to
	// the end of the datagram.
	binary.LittleEndian.PutUint32(msg, 5)
	h, p, err := splitDatagram(msg)
	if err != nil || h.Type != 1300 || h.Seq != 9 || !strings.HasPrefix(string(p), "audit(1.2:3): x=y") {
		t.Errorf("splitDatagram = %+v %q %v", h, p, err)
	}
	if _, _, err := splitDatagram(msg[:15]); !errors.Is(err, ErrShort) {
		t.Errorf("short datagram error = %v", err)
	}
}

func FuzzParseRule(f *testing.F) {
	data, err := os.ReadFile("testdata/rules.txt")
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		r, err := ParseRule(spec)
		if err != nil {
			return
		}
		b, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("parsed rule does not encode: %v", err)
		}
		var back Rule
		if err := back.UnmarshalBinary(b); err != nil || !back.Equal(r) {
			t.Fatalf("binary round trip of %q: %v", spec, err)
		}
		_ = r.String()
	})
}

func FuzzUnmarshalRule(f *testing.F) {
	for _, s := range []string{"-w /etc/passwd -p wa -k vigil", "-a always,exit -F arch=b64 -S execve -F exe=/bin/x"} {
		r, _ := ParseRule(s)
		b, _ := r.MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Rule
		if err := r.UnmarshalBinary(b); err != nil {
			return
		}
		_ = r.String()
		if _, err := r.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
	})
}
