package baseline

import (
	"errors"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/sca"
)

func TestFilePermsAndStat(t *testing.T) {
	root := makeRoot(t, []tree{
		{path: "etc/passwd", content: testPasswd, mode: 0o644, uid: -1},
		{path: "etc/group", content: testGroup, mode: 0o644, uid: -1},
		{path: "etc/shadow", content: "root:*:19000::::::\n", mode: 0o644, uid: 2, gid: 2},
		{path: "etc/gshadow", content: "", mode: 0o640, uid: 0, gid: 42},
		{path: "etc/cron.d", dir: true, mode: 0o755, uid: -1},
		{path: "etc/motd", link: "/etc/passwd"},
	})
	env := envFor(t, root)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"mode owner group", []string{"/etc/shadow", "0640", "root", "root,shadow"}, []string{
			"/etc/shadow mode 0644 is more permissive than 0640",
			"/etc/shadow owner bin not in root",
			"/etc/shadow group bin not in root,shadow",
		}},
		{"compliant", []string{"/etc/gshadow", "0640", "root", "shadow"}, nil},
		{"numeric ids", []string{"/etc/gshadow", "0640", "0", "42"}, nil},
		{"any owner", []string{"/etc/shadow", "0644", "-", "-"}, nil},
		{"glob", []string{"/etc/*shadow", "0600"}, []string{
			"/etc/gshadow mode 0640 is more permissive than 0600",
			"/etc/shadow mode 0644 is more permissive than 0600",
		}},
		{"directory itself", []string{"/etc/cron.d", "0700"}, []string{"/etc/cron.d mode 0755 is more permissive than 0700"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustProbe(t, env, "file.perms", tt.args...)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
	if _, err := runProbe(t, env, "file.perms", "/etc/nothing*", "0600"); !errors.Is(err, sca.ErrNotApplicable) {
		t.Errorf("no match: err = %v, want not applicable", err)
	}
	for _, bad := range [][]string{{"/etc/shadow"}, {"/etc/shadow", "9999"}, {"/etc/shadow", "0640", "a", "b", "c"}} {
		if _, err := runProbe(t, env, "file.perms", bad...); err == nil || errors.Is(err, sca.ErrNotApplicable) {
			t.Errorf("file.perms %q: err = %v, want usage error", bad, err)
		}
	}

	got := mustProbe(t, env, "file.stat", "/etc/gshadow", "/etc/nope", "/etc/cron.d", "/etc/motd")
	want := []string{
		"/etc/gshadow mode=0640 uid=0 gid=42 owner=root group=shadow type=file",
		"/etc/nope missing",
		"/etc/cron.d mode=0755 uid=",
		"/etc/motd mode=0777 uid=",
	}
	if len(got) != len(want) {
		t.Fatalf("file.stat = %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("file.stat line %d = %q, want prefix %q", i, got[i], want[i])
		}
	}
	if !strings.HasSuffix(got[3], "type=symlink") || !strings.HasSuffix(got[2], "type=dir") {
		t.Errorf("types wrong: %q", got)
	}
}
