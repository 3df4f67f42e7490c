package baseline

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/sca"
)

func ownedFixture(t testing.TB, lists map[string]string) string {
	files := []tree{
		{path: "etc/passwd", content: testPasswd, uid: -1},
		{path: "etc/group", content: testGroup, uid: -1},
		{path: "proc/self/mounts", content: "/dev/vda / ext4 rw 0 0\n", uid: -1},
		{path: "bin", link: "usr/bin"},
		{path: "usr/bin/su", content: "x", mode: 0o755 | os.ModeSetuid, uid: 0, gid: 0},
		{path: "usr/bin/sudo", content: "x", mode: 0o755 | os.ModeSetuid, uid: 0, gid: 0},
		{path: "usr/bin/wall", content: "x", mode: 0o755 | os.ModeSetgid, uid: 0, gid: 2},
		{path: "usr/bin/ls", content: "x", mode: 0o755, uid: 0, gid: 0},
		{path: "usr/local/bin/helper", content: "x", mode: 0o755 | os.ModeSetuid | os.ModeSetgid, uid: 1000, gid: 1000},
		{path: "tmp/.x/sh", content: "x", mode: 0o755 | os.ModeSetuid, uid: 0, gid: 0},
	}
	for name, content := range lists {
		files = append(files, tree{path: "var/lib/dpkg/info/" + name, content: content, uid: -1})
	}
	return makeRoot(t, files)
}

func TestFSSUIDSGIDUnpackaged(t *testing.T) {
	tests := []struct {
		name  string
		lists map[string]string
		want  []string
	}{
		{name: "owned by lists", lists: map[string]string{
			// login lists /bin/su: the same file as /usr/bin/su, since /bin -> usr/bin.
			"login.list":       "/.\n/bin\n/bin/su\n",
			"sudo:amd64.list":  "/usr/bin/sudo\n",
			"coreutils.list":   "/usr/bin/ls\n",
			"garbage.list":     "not a path\n",
			"bsdutils.md5sums": "0000  usr/bin/wall\n",
		}, want: []string{
			"/tmp/.x/sh suid root",
			"/usr/bin/wall sgid root",
			"/usr/local/bin/helper suid,sgid alice",
		}},
		{name: "one list", lists: map[string]string{"coreutils.list": "/usr/bin/ls\n"}, want: []string{
			"/tmp/.x/sh suid root",
			"/usr/bin/su suid root",
			"/usr/bin/sudo suid root",
			"/usr/bin/wall sgid root",
			"/usr/local/bin/helper suid,sgid alice",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := envFor(t, ownedFixture(t, tc.lists))
			if all := mustProbe(t, env, "fs.suid_sgid"); len(all) != 5 {
				t.Fatalf("fixture has %d setuid/setgid files (%q), want 5; is the test run as root?", len(all), all)
			}
			got := mustProbe(t, env, "fs.suid_sgid_unpackaged")
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFSSUIDSGIDUnpackagedNoLists(t *testing.T) {
	for name, lists := range map[string]map[string]string{
		"no database":  nil,
		"no paths":     {"empty.list": ""},
		"only garbage": {"bad.list": "relative/path\n"},
	} {
		t.Run(name, func(t *testing.T) {
			env := envFor(t, ownedFixture(t, lists))
			_, err := runProbe(t, env, "fs.suid_sgid_unpackaged")
			if !errors.Is(err, sca.ErrNotApplicable) || !strings.Contains(err.Error(), "package file lists") {
				t.Errorf("err = %v, want not applicable", err)
			}
		})
	}
	if _, err := runProbe(t, envFor(t, t.TempDir()), "fs.suid_sgid_unpackaged", "x"); err == nil || isNotApplicable(err) {
		t.Errorf("argument accepted: %v", err)
	}
}

// TestFSSUIDSGIDUnpackagedLive checks that the live host's packaged setuid
// programs are not reported.
func TestFSSUIDSGIDUnpackagedLive(t *testing.T) {
	if testing.Short() {
		t.Skip("walks the whole host")
	}
	if _, err := os.Stat("/var/lib/dpkg/info"); err != nil {
		t.Skip("no dpkg on this machine")
	}
	env := &sca.Env{Root: hostfs.Live()}
	all := mustProbe(t, env, "fs.suid_sgid")
	got := mustProbe(t, env, "fs.suid_sgid_unpackaged")
	if !hasLine(all, "/usr/bin/su suid root") {
		t.Skip("/usr/bin/su is not setuid here")
	}
	for _, l := range got {
		if strings.HasPrefix(l, "/usr/bin/su ") || strings.HasPrefix(l, "/usr/bin/passwd ") {
			t.Errorf("packaged program reported: %q", l)
		}
	}
	if len(got) >= len(all) {
		t.Errorf("%d of %d setuid/setgid files reported as unpackaged", len(got), len(all))
	}
	s, err := scanFS(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d setuid/setgid files, %d not from packages: %q", len(s.SUIDSGID), len(got), got)
}
