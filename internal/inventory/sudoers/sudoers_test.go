package sudoers

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

func collectDir(t *testing.T, dir string) (Sudoers, skipped.List) {
	t.Helper()
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, sk, err := Collect(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	return s, sk
}

func TestCollectFixture(t *testing.T) {
	s, sk := collectDir(t, "testdata/rootfs")
	wantFiles := []string{"/etc/sudoers", "/etc/sudoers.d/90-cloud", "/etc/sudoers.d/README", "/etc/sudo/extra"}
	if !reflect.DeepEqual(s.Files, wantFiles) {
		t.Errorf("Files = %v, want %v", s.Files, wantFiles)
	}
	var skippedAt []string
	for _, l := range sk {
		skippedAt = append(skippedAt, l.String())
	}
	wantSkipped := []string{
		"/etc/sudoers:30: ", "/etc/sudoers:31: ", "/etc/sudoers:32: ", "/etc/sudoers:33: ",
		"/etc/sudo/extra: included again", "/etc/sudo/missing: unreadable",
	}
	if len(skippedAt) != len(wantSkipped) {
		t.Fatalf("skipped = %q", skippedAt)
	}
	for i, w := range wantSkipped {
		if !strings.HasPrefix(skippedAt[i], w) {
			t.Errorf("skipped[%d] = %q, want prefix %q", i, skippedAt[i], w)
		}
	}

	type want struct {
		users, hosts, runasU, runasG, cmds, tags, opts string
		nopasswd, all                                  bool
	}
	j := func(s []string) string { return strings.Join(s, "|") }
	wants := []want{
		{"root", "ALL", "ALL", "ALL", "ALL", "", "", false, true},
		{"%sudo", "ALL", "ALL", "ALL", "ALL", "", "", false, true},
		{"alice|bob|%wheel", "ALL", "", "", "/sbin/shutdown|/sbin/reboot", "NOPASSWD", "", true, false},
		{"alice|bob|%wheel", "ALL", "", "", "/usr/bin/apt-get install *|/usr/bin/apt-get update", "PASSWD", "", false, false},
		{"carol", "db1|db2|10.0.0.0/8|fe80::1/64", "postgres|mysql", "", "/usr/bin/psql|/usr/bin/pg_dump", "NOPASSWD|SETENV", "", true, false},
		{"carol", "web1", "", "", "/usr/bin/systemctl restart nginx", "", "", false, false},
		{"dave|!eve", "ALL", "root", "", "/usr/bin/less /var/log/syslog", "NOEXEC", "CWD=/srv", false, false},
		{"dave|!eve", "ALL", "", "adm", "/usr/bin/tail -f /var/log/auth.log", "NOEXEC", "CWD=/srv", false, false},
		{"#1000", "ALL", "#0", "", "/usr/bin/id", "", "", false, false},
		{"frank", "ALL", "", "", "ALL|!/bin/su", "", "", false, true},
		{"grace", "ALL", "", "", "/usr/bin/printf a,b:c", "NOPASSWD", "", true, false},
		{"henry", "ALL", "", "", "sha256:W6aDWeNBZ9cFXDW7jh/7U4QAudLtmm5F0EXK1ONRcgw= /usr/bin/uptime", "", "", false, false},
		{"ivan", "ALL", "ALL", "", "ALL", "NOPASSWD", "", true, true},
		{"judy", "ALL", "", "", "ALL", "", "", false, true},
		{"karl", "ALL", "", "", "/usr/bin/whoami", "", "", false, false},
	}
	if len(s.Rules) != len(wants) {
		b, _ := json.MarshalIndent(s.Rules, "", " ")
		t.Fatalf("%d rules, want %d:\n%s", len(s.Rules), len(wants), b)
	}
	for i, w := range wants {
		r := s.Rules[i]
		t.Run(j(r.Users), func(t *testing.T) {
			got := want{j(r.Users), j(r.Hosts), j(r.RunasUsers), j(r.RunasGroups), j(r.Commands), j(r.Tags), j(r.Options), r.NoPasswd, r.AllCommands}
			if got != w {
				t.Errorf("rule %d (%s:%d)\n got %+v\nwant %+v", i, r.File, r.Line, got, w)
			}
		})
	}
	if r := s.Rules[4]; r.File != "/etc/sudoers" || r.Line != 23 {
		t.Errorf("carol rule at %s:%d", r.File, r.Line)
	}

	if len(s.Defaults) != 9 {
		t.Fatalf("%d defaults, want 9: %+v", len(s.Defaults), s.Defaults)
	}
	d := s.Defaults[3]
	if d.Settings[0] != (Setting{Name: "env_keep", Op: "+=", Value: "LANG LC_ALL, LC_CTYPE"}) {
		t.Errorf("env_keep setting = %+v", d.Settings[0])
	}
	scopes := []string{}
	for _, d := range s.Defaults[4:] {
		scopes = append(scopes, d.Scope+"="+j(d.Targets))
	}
	if want := "user=alice|%ops runas=root command=/usr/bin/sudoreplay host=db1|db2 global="; strings.Join(scopes, " ") != want {
		t.Errorf("scopes = %q, want %q", strings.Join(scopes, " "), want)
	}
	if got := s.Defaults[4].Settings; len(got) != 2 || !got[0].Negated || got[0].Name != "requiretty" || got[1].Value != "0" {
		t.Errorf("Defaults:alice settings = %+v", got)
	}
	if na := s.NoAuthenticate(); len(na) != 1 || na[0].File != "/etc/sudo/extra" {
		t.Errorf("NoAuthenticate = %+v", na)
	}
	if len(s.Aliases) != 8 {
		t.Errorf("%d aliases, want 8", len(s.Aliases))
	}
}

func TestParseLines(t *testing.T) {
	tests := []struct {
		in    string
		rules int
		defs  int
		skip  int
	}{
		{"", 0, 0, 0},
		{"# just a comment", 0, 0, 0},
		{"root ALL=(ALL) ALL", 1, 0, 0},
		{"root ALL=(ALL) ALL,", 0, 0, 1},
		{"root ALL", 0, 0, 1},
		{"root = ALL", 0, 0, 1},
		{"Defaults", 0, 0, 1},
		{"Defaults env_reset,", 0, 0, 1},
		{"Defaults:  x", 0, 0, 1},
		{"a, b ,c ALL = /bin/ls,/bin/cat", 1, 0, 0},
		{"a ALL = (:) /bin/ls", 1, 0, 0},
		{"a ALL = NOPASSWD:NOEXEC:/bin/ls", 1, 0, 0},
		{"a ALL = /bin/ls \\\n , /bin/cat", 1, 0, 0},
		{"a ALL = /bin/ls : b = /bin/cat : c", 0, 0, 1},
		{"#include", 0, 0, 0},
		{"@include", 0, 0, 1},
		{"@include a b", 0, 0, 1},
		{"\"quoted user\" ALL = ALL", 1, 0, 0},
		{"Host_Alias = x", 0, 0, 1},
		{"User_Alias A = ", 0, 0, 1},
		{"guest ALL = = ALL", 0, 0, 1},
		{"svc ALL=(ALL) NOPASSWD ALL", 0, 0, 1},
		{"a ALL = relative/cmd", 0, 0, 1},
		{"a ALL = sudoedit /etc/hosts, ^/usr/bin/t[a-z]+$", 1, 0, 0},
		{"a ALL = CMDS, !ALL", 1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var sk skipped.List
			f := Parse("f", []byte(tt.in), &sk)
			if len(f.Rules) != tt.rules || len(f.Defaults) != tt.defs || len(sk) != tt.skip {
				t.Errorf("rules=%d defaults=%d skipped=%v, want %d %d %d", len(f.Rules), len(f.Defaults), sk, tt.rules, tt.defs, tt.skip)
			}
		})
	}
}

func TestMissing(t *testing.T) {
	s, sk := collectDir(t, t.TempDir())
	if s.Present || len(s.Rules) != 0 || len(sk) != 0 {
		t.Errorf("empty root: %+v %v", s, sk)
	}
}

func TestLiveHost(t *testing.T) {
	if _, err := os.Stat(MainFile); err != nil {
		t.Skip("no sudoers on this host")
	}
	if _, err := os.ReadFile(MainFile); err != nil {
		t.Skipf("sudoers unreadable: %v", err)
	}
	s, sk := collectDir(t, "/")
	if len(sk) != 0 {
		t.Errorf("skipped on live host: %v", sk)
	}
	if !s.Present || len(s.Files) == 0 {
		t.Errorf("live sudoers not read: %+v", s)
	}
}
