package system

import (
	"os"
	"reflect"
	"testing"
)

func TestParseOSRelease(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		skipped []int // lines recorded as skipped
	}{
		{"plain", "ID=debian\nVERSION_ID=12\n", map[string]string{"ID": "debian", "VERSION_ID": "12"}, nil},
		{"double quotes", `NAME="Debian GNU/Linux"`, map[string]string{"NAME": "Debian GNU/Linux"}, nil},
		{"single quotes are literal", `A='x\"$y'`, map[string]string{"A": `x\"$y`}, nil},
		{"escapes in double quotes", `A="a\"b\\c\$d\` + "`" + `e\qf"`, map[string]string{"A": "a\"b\\c$d`e\\qf"}, nil},
		{"unquoted escape", `A=a\ b`, map[string]string{"A": "a b"}, nil},
		{"concatenated words", `A="a b"'c d'e`, map[string]string{"A": "a bc de"}, nil},
		{"empty values", "A=\nB=\"\"\nC=''", map[string]string{"A": "", "B": "", "C": ""}, nil},
		{"comments and blanks", "# c\n\n  # indented\nA=1 # trailing\n", map[string]string{"A": "1"}, nil},
		{"crlf", "A=\"x\"\r\nB=y\r\n", map[string]string{"A": "x", "B": "y"}, nil},
		{"multi-line quote", "A=\"one\ntwo\"\nB=3", map[string]string{"A": "one\ntwo", "B": "3"}, nil},
		{"line continuation", "A=\"one\\\ntwo\"\n", map[string]string{"A": "onetwo"}, nil},
		{"last wins", "A=1\nA=2", map[string]string{"A": "2"}, nil},
		{"garbage line", "A=1\nnot an assignment\nB=2", map[string]string{"A": "1", "B": "2"}, []int{2}},
		{"space in unquoted value", "A=two words\nB=2", map[string]string{"B": "2"}, []int{1}},
		{"bad key", "1A=x\nA-B=y\n=z\nC=ok", map[string]string{"C": "ok"}, []int{1, 2, 3}},
		{"space around equals", "A = 1\nB=2", map[string]string{"B": "2"}, []int{1}},
		{"unterminated double", "A=1\nB=\"open\nC=3", map[string]string{"A": "1"}, []int{2}},
		{"unterminated single", "B='open", map[string]string{}, []int{1}},
		{"trailing backslash", `A=x\`, map[string]string{"A": "x"}, nil},
		{"utf8", "PRETTY_NAME=\"Débian ✓\"", map[string]string{"PRETTY_NAME": "Débian ✓"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, skip := ParseOSRelease([]byte(tt.in))
			if !reflect.DeepEqual(got.Fields, tt.want) {
				t.Errorf("fields = %q, want %q", got.Fields, tt.want)
			}
			var lines []int
			for _, s := range skip {
				lines = append(lines, s.Line)
			}
			if !reflect.DeepEqual(lines, tt.skipped) {
				t.Errorf("skipped lines = %v (%v), want %v", lines, skip, tt.skipped)
			}
		})
	}
}

func TestOSReleaseFields(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want OS
	}{
		{"defaults", "", OS{Name: "Linux", ID: "linux", PrettyName: "Linux"}},
		{
			"ubuntu",
			"NAME=\"Ubuntu\"\nVERSION=\"22.04.4 LTS (Jammy Jellyfish)\"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nVERSION_ID=\"22.04\"\nUBUNTU_CODENAME=jammy\n",
			OS{Name: "Ubuntu", Version: "22.04.4 LTS (Jammy Jellyfish)", VersionID: "22.04", ID: "ubuntu", IDLike: []string{"debian"}, PrettyName: "Ubuntu 22.04.4 LTS", Codename: "jammy"},
		},
		{
			"rocky id_like list",
			"NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n",
			OS{Name: "Rocky Linux", ID: "rocky", IDLike: []string{"rhel", "centos", "fedora"}, VersionID: "9.3", PrettyName: "Linux"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := ParseOSRelease([]byte(tt.in))
			if !reflect.DeepEqual(got.OS, tt.want) {
				t.Errorf("got %+v, want %+v", got.OS, tt.want)
			}
		})
	}
}

// TestOSReleaseLive checks the parser against the host's own file, which every
// supported distribution has.
func TestOSReleaseLive(t *testing.T) {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		t.Skip(err)
	}
	rel, skip := ParseOSRelease(b)
	if len(skip) > 0 {
		t.Errorf("skipped lines in the host's os-release: %v", skip)
	}
	if rel.Fields["ID"] == "" || rel.Fields["PRETTY_NAME"] == "" {
		t.Errorf("missing ID or PRETTY_NAME: %q", rel.Fields)
	}
}

func FuzzOSRelease(f *testing.F) {
	seedFiles(f, "testdata/rootfs/*/etc/os-release")
	seedFiles(f, "testdata/rootfs/*/usr/lib/os-release")
	f.Add([]byte("A=\"x\\\"y\" 'z'\nB='\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rel, skip := ParseOSRelease(b)
		if rel.Name == "" || rel.ID == "" || rel.PrettyName == "" {
			t.Fatalf("defaults not applied: %+v", rel.OS)
		}
		for _, s := range skip {
			if s.Line < 1 {
				t.Fatalf("skipped line without number: %v", s)
			}
		}
	})
}
