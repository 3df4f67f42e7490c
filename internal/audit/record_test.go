package audit

import (
	"testing"
	"time"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		typ    RecordType
		serial uint64
		time   time.Time
		node   string
		want   map[string]string
		hex    []string
	}{
		{
			name:   "syscall with quoted, hex and null values",
			line:   `type=SYSCALL msg=audit(1515619721.392:106081): arch=c000003e syscall=59 success=yes pid=27854 comm="grep" exe=2F62696E2F6120622063 key=(null)`,
			typ:    TypeSyscall,
			serial: 106081,
			time:   time.Unix(1515619721, 392000000).UTC(),
			want:   map[string]string{"arch": "c000003e", "syscall": "59", "comm": "grep", "exe": "/bin/a b c", "key": "(null)"},
			hex:    []string{"exe"},
		},
		{
			name:   "node prefix and enriched section",
			line:   "node=work type=PATH msg=audit(1615114232.375:15558): item=0 name=\"/usr/bin/whoami\" ouid=0 cap_fver=0\x1dOUID=\"root\" OGID=\"root\"",
			typ:    TypePath,
			serial: 15558,
			time:   time.Unix(1615114232, 375000000).UTC(),
			node:   "work",
			want:   map[string]string{"name": "/usr/bin/whoami", "cap_fver": "0", "OUID": "root", "OGID": "root"},
		},
		{
			name:   "user message with nested msg",
			line:   `type=USER_AUTH msg=audit(1481077041.515:406): pid=1380 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication grantors=? acct="root" exe="/usr/sbin/sshd" hostname=122.224.56.13 addr=122.224.56.13 terminal=ssh res=failed'`,
			typ:    TypeUserAuth,
			serial: 406,
			time:   time.Unix(1481077041, 515000000).UTC(),
			want:   map[string]string{"pid": "1380", "op": "PAM:authentication", "acct": "root", "exe": "/usr/sbin/sshd", "addr": "122.224.56.13", "terminal": "ssh", "res": "failed"},
		},
		{
			name:   "hex acct and cmd in user message",
			line:   `type=USER_CMD msg=audit(1642999086.239:2230): pid=27966 uid=1002 auid=4294967295 ses=4294967295 msg='cwd="/var/www" cmd=636174202F6574632F736861646F77 terminal=pts/1 res=success'`,
			typ:    TypeUserCmd,
			serial: 2230,
			time:   time.Unix(1642999086, 239000000).UTC(),
			want:   map[string]string{"cwd": "/var/www", "cmd": "cat /etc/shadow", "terminal": "pts/1"},
			hex:    []string{"cmd"},
		},
		{
			name:   "unknown type number and AVC words",
			line:   `type=UNKNOWN[1999] msg=audit(1.5:7): avc:  denied  { read } for  pid=5 name="x"`,
			typ:    1999,
			serial: 7,
			time:   time.Unix(1, 500000000).UTC(),
			want:   map[string]string{"pid": "5", "name": "x"},
		},
		{
			name:   "numeric values of hex-capable keys stay when odd or not hex",
			line:   `type=CONFIG_CHANGE msg=audit(10.000:1): op=set audit_backlog_limit=8192 old=64 auid=0 res=1`,
			typ:    TypeConfigChange,
			serial: 1,
			time:   time.Unix(10, 0).UTC(),
			want:   map[string]string{"old": "64", "audit_backlog_limit": "8192", "res": "1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseLine([]byte(tt.line))
			if err != nil {
				t.Fatal(err)
			}
			if r.Type != tt.typ || r.Serial != tt.serial || !r.Time.Equal(tt.time) || r.Node != tt.node {
				t.Errorf("got type %v serial %d time %v node %q", r.Type, r.Serial, r.Time, r.Node)
			}
			for k, v := range tt.want {
				if got, ok := r.Get(k); !ok || got != v {
					t.Errorf("%s = %q (present %v), want %q", k, got, ok, v)
				}
			}
			for _, k := range tt.hex {
				for _, f := range r.Fields {
					if f.Key == k && !f.Hex {
						t.Errorf("%s not marked hex", k)
					}
				}
			}
			if r.Text != tt.line {
				t.Errorf("Text = %q", r.Text)
			}
		})
	}
}

func TestParseLineErrors(t *testing.T) {
	for _, line := range []string{
		"",
		"garbage",
		"type=NOPE msg=audit(1.0:1): a=b",
		"type=SYSCALL audit(1.0:1): a=b",
		"type=SYSCALL msg=audit(1.0): a=b",
		"type=SYSCALL msg=audit(x.0:1): a=b",
		"type=SYSCALL msg=audit(1.0:1",
	} {
		if r, err := ParseLine([]byte(line)); err == nil {
			t.Errorf("%q: parsed %+v, want error", line, r)
		}
	}
}

func TestParseMessage(t *testing.T) {
	r, err := ParseMessage(TypeExecve, []byte("audit(1700000000.5:42): argc=2 a0=\"ls\" a1=2D6C20\x00"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Serial != 42 || r.Value("a1") != "-l " || r.Value("a0") != "ls" {
		t.Errorf("got %+v", r)
	}
	if want := `type=EXECVE msg=audit(1700000000.5:42): argc=2 a0="ls" a1=2D6C20`; r.Text != want {
		t.Errorf("Text = %q, want %q", r.Text, want)
	}
	if _, err := ParseMessage(TypeSyscall, []byte("no stamp")); err == nil {
		t.Error("want error for payload without stamp")
	}
}

func TestRecordTypeNames(t *testing.T) {
	for n, want := range map[RecordType]string{1300: "SYSCALL", 1302: "PATH", 1307: "CWD", 1309: "EXECVE", 1320: "EOE",
		1327: "PROCTITLE", 1306: "SOCKADDR", 1006: "LOGIN", 1305: "CONFIG_CHANGE", 1112: "USER_LOGIN", 1999: "UNKNOWN[1999]"} {
		if got := n.String(); got != want {
			t.Errorf("%d: %q want %q", n, got, want)
		}
		if back, ok := ParseRecordType(want); !ok || back != n {
			t.Errorf("ParseRecordType(%q) = %d %v", want, back, ok)
		}
	}
}
