package sshdconfig

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Directive
		skipped int
	}{
		{"blank and comments", "\n  # c\n\t\n", nil, 0},
		{"keyword case", "PermitRootLogin no", []Directive{{Keyword: "permitrootlogin", Args: []string{"no"}}}, 0},
		{"equals", "MaxAuthTries=3", []Directive{{Keyword: "maxauthtries", Args: []string{"3"}}}, 0},
		{"equals spaced", "MaxAuthTries = 3", []Directive{{Keyword: "maxauthtries", Args: []string{"3"}}}, 0},
		{"quotes", `Banner "/etc/my banner" 'x y'`, []Directive{{Keyword: "banner", Args: []string{"/etc/my banner", "x y"}}}, 0},
		{"trailing comment", "X11Forwarding no # why", []Directive{{Keyword: "x11forwarding", Args: []string{"no"}}}, 0},
		{"alias", "ChallengeResponseAuthentication yes", []Directive{{Keyword: "kbdinteractiveauthentication", Args: []string{"yes"}}}, 0},
		{"unterminated", "Banner \"oops\nUsePAM yes", []Directive{{Keyword: "usepam", Args: []string{"yes"}}}, 1},
		{"crlf", "UsePAM yes\r\n", []Directive{{Keyword: "usepam", Args: []string{"yes"}}}, 0},
		{"huge line", strings.Repeat("a", maxLineLen+10) + "\nUsePAM yes", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sk skipped.List
			got := Tokenize("f", []byte(tt.in), &sk)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d directives %+v, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				if got[i].Keyword != tt.want[i].Keyword || !slices.Equal(got[i].Args, tt.want[i].Args) {
					t.Errorf("directive %d = %q %q, want %q %q", i, got[i].Keyword, got[i].Args, tt.want[i].Keyword, tt.want[i].Args)
				}
			}
			if len(sk) != tt.skipped {
				t.Errorf("skipped %v, want %d", sk, tt.skipped)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"90", 90, true}, {"2m", 120, true}, {"1h30m", 5400, true}, {"1w", 604800, true},
		{"", 0, false}, {"m", 0, false}, {"5x", 0, false}, {"99999999999999999", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParseTime(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseTime(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestEditList(t *testing.T) {
	def := "a-ctr,b-cbc,c-gcm"
	tests := []struct{ arg, want string }{
		{"x,y", "x,y"},
		{"+b-cbc,z", "a-ctr,b-cbc,c-gcm,z"},
		{"-*cbc", "a-ctr,c-gcm"},
		{"^c-gcm,q", "c-gcm,q,a-ctr,b-cbc"},
		{"-?-ctr,c*", "b-cbc"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			if got := editList(def, tt.arg); got != tt.want {
				t.Errorf("editList(%q) = %q, want %q", tt.arg, got, tt.want)
			}
		})
	}
}

func fixtureRoot(t *testing.T) hostfs.Root {
	t.Helper()
	r, err := hostfs.New("testdata/rootfs")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLoadFixture(t *testing.T) {
	c, err := Load(context.Background(), fixtureRoot(t), DefaultPath)
	if err != nil {
		t.Fatal(err)
	}
	eff := c.Effective()
	want := []string{
		"port 2222",
		"permitrootlogin no", // first value wins: the include comes before the main file's "yes"
		"passwordauthentication no",
		"clientaliveinterval 300",
		"maxauthtries 2",
		"logingracetime 120",
		"banner /etc/issue net",
		"x11forwarding yes",
		"ciphers aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
		"acceptenv LANG", "acceptenv LC_*", "acceptenv TZ",
		"subsystem sftp internal-sftp",
		"protocol 2",
		"usepam no",
		"hostbasedauthentication no",
		"maxstartups 10:30:100",
	}
	for _, w := range want {
		if !slices.Contains(eff, w) {
			t.Errorf("effective lacks %q", w)
		}
	}
	for _, bad := range []string{"permitrootlogin yes", "passwordauthentication yes", "forcecommand /usr/bin/backup", "port 22"} {
		if slices.Contains(eff, bad) {
			t.Errorf("effective has %q", bad)
		}
	}
	if len(c.Matches) != 2 {
		t.Fatalf("matches = %+v, want 2", c.Matches)
	}
	m := c.Matches[0]
	if !slices.Equal(m.Criteria, []string{"User", "backup"}) || len(m.Directives) != 2 || m.Directives[1].Keyword != "forcecommand" {
		t.Errorf("match block = %+v", m)
	}
	if len(c.Files) != 4 {
		t.Errorf("files = %v", c.Files)
	}
	if v, ok := c.Value("PermitRootLogin"); !ok || v != "no" {
		t.Errorf("Value(PermitRootLogin) = %q, %v", v, ok)
	}
}

func TestLoadMissing(t *testing.T) {
	r, err := hostfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, err = Load(context.Background(), r, DefaultPath)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want ErrNotExist", err)
	}
}

func TestIncludeLoop(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "etc/ssh")
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p, "sshd_config"), []byte("Include sshd_config\nUsePAM yes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ := hostfs.New(dir)
	c, err := Load(context.Background(), r, DefaultPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Skipped) == 0 {
		t.Error("include loop not recorded")
	}
	if v, _ := c.Value("usepam"); v != "yes" {
		t.Errorf("usepam = %q", v)
	}
}

type mapSource map[string][]byte

func (m mapSource) ReadFile(name string) ([]byte, error) {
	if b, ok := m[name]; ok {
		return b, nil
	}
	return nil, fs.ErrNotExist
}

func (m mapSource) Glob(pattern string) ([]string, error) {
	var out []string
	for k := range m {
		if ok, _ := filepath.Match(pattern, k); ok {
			out = append(out, k)
		}
	}
	return out, nil
}

func FuzzLoad(f *testing.F) {
	for _, p := range []string{"sshd_config", "sshd_config.d/10-hardening.conf", "sshd_config.d/20-late.conf"} {
		b, err := os.ReadFile(filepath.Join("testdata/rootfs/etc/ssh", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, []byte("PermitRootLogin yes\nMatch User x\n"))
	}
	f.Add([]byte("Include a.conf\nCiphers -*\n"), []byte("Include /etc/ssh/sshd_config\n\"unterminated"))
	f.Fuzz(func(t *testing.T, main, inc []byte) {
		src := mapSource{DefaultPath: main, "/etc/ssh/a.conf": inc, "/etc/ssh/sshd_config.d/b.conf": inc}
		c, err := LoadFrom(context.Background(), src, DefaultPath)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range c.Effective() {
			if strings.ContainsAny(l, "\n") {
				t.Fatalf("line with newline: %q", l)
			}
		}
	})
}
