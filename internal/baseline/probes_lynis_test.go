package baseline

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/skipped"
)

func readMaps(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "procmaps", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDeletedMappings(t *testing.T) {
	cases := []struct {
		name     string
		in       string
		want     []string
		wantSkip int
	}{
		{
			name: "upgraded daemon",
			in:   readMaps(t, "upgraded.maps"),
			want: []string{
				"/lib/x86_64-linux-gnu/libcrypto.so.3",
				"/opt/app/lib/with space.so",
				"/usr/lib/x86_64-linux-gnu/libssl.so.3",
				"/usr/sbin/sshd",
			},
		},
		{name: "nothing deleted", in: readMaps(t, "current.maps")},
		{name: "empty", in: ""},
		{
			name:     "garbage lines skipped, rest parsed",
			in:       "hello world\n7f00-7f01 r-xp 0 08:01 12 /usr/lib/libz.so.1 (deleted)\n7f00-7f01 r-xp 0 08:01 notinode /usr/lib/libx.so (deleted)\nzz-7f01 r-xp 0 08:01 1 /usr/lib/liby.so (deleted)\n",
			want:     []string{"/usr/lib/libz.so.1"},
			wantSkip: 3,
		},
		{
			name: "deleted outside system directories ignored",
			in:   "7f00-7f01 rw-s 0 00:01 5 /memfd:jit (deleted)\n7f00-7f01 r-xp 0 08:01 7 /tmp/x.so (deleted)\n7f00-7f01 r-xp 0 08:01 8 /usr/lib/liba.so (deleted)\n",
			want: []string{"/usr/lib/liba.so"},
		},
		{
			name: "a file named like the marker but not deleted",
			in:   "7f00-7f01 r-xp 0 08:01 9 /usr/lib/libb.so\n",
		},
		{
			name:     "overlong line skipped",
			in:       "7f00-7f01 r-xp 0 08:01 9 /usr/lib/" + strings.Repeat("a", maxMapsLine) + " (deleted)\n",
			wantSkip: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var sk skipped.List
			got := deletedMappings("maps", []byte(tc.in), &sk)
			if !slices.Equal(got, tc.want) && len(got)+len(tc.want) > 0 {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if len(sk) != tc.wantSkip {
				t.Errorf("%d skipped (%v), want %d", len(sk), sk, tc.wantSkip)
			}
		})
	}
}

func FuzzDeletedMappings(f *testing.F) {
	for _, n := range []string{"upgraded.maps", "current.maps"} {
		f.Add([]byte(readMaps(f, n)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var sk skipped.List
		for _, p := range deletedMappings("maps", data, &sk) {
			// A file may itself be named "x (deleted)"; only one marker is cut.
			if !inSystemDir(p) {
				t.Fatalf("path %q outside the system directories", p)
			}
		}
	})
}

func TestProbeDeletedLibraries(t *testing.T) {
	root := makeRoot(t, []tree{
		{path: "proc/412/maps", content: readMaps(t, "upgraded.maps"), mode: 0o444, uid: -1, gid: -1},
		{path: "proc/412/comm", content: "sshd\n", mode: 0o444, uid: -1, gid: -1},
		{path: "proc/77/maps", content: readMaps(t, "current.maps"), mode: 0o444, uid: -1, gid: -1},
		{path: "proc/77/comm", content: "cat\n", mode: 0o444, uid: -1, gid: -1},
		{path: "proc/2/comm", content: "kthreadd\n", mode: 0o444, uid: -1, gid: -1},
		{path: "proc/self/maps", content: readMaps(t, "upgraded.maps"), mode: 0o444, uid: -1, gid: -1},
	})
	got := mustProbe(t, envFor(t, root), "processes.deleted_libraries")
	want := []string{
		"412 sshd /lib/x86_64-linux-gnu/libcrypto.so.3",
		"412 sshd /opt/app/lib/with space.so",
		"412 sshd /usr/lib/x86_64-linux-gnu/libssl.so.3",
		"412 sshd /usr/sbin/sshd",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}

	_, err := runProbe(t, envFor(t, t.TempDir()), "processes.deleted_libraries")
	if !isNotApplicable(err) {
		t.Errorf("without /proc: err %v, want not applicable", err)
	}
	noMaps := makeRoot(t, []tree{{path: "proc/1/comm", content: "init\n", mode: 0o444, uid: -1, gid: -1}})
	_, err = runProbe(t, envFor(t, noMaps), "processes.deleted_libraries")
	if !isNotApplicable(err) {
		t.Errorf("without maps files: err %v, want not applicable", err)
	}
}

func TestProbeHomeReadable(t *testing.T) {
	passwd := "root:x:0:0:root:/root:/bin/bash\n" +
		"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" +
		"alice:x:1000:1000::/home/alice:/bin/bash\n" +
		"bob:x:1001:1001::/home/bob:/bin/bash\n" +
		"svc:x:1002:1002::/home/svc:/usr/sbin/nologin\n" +
		"carol:x:1003:1003::/home/carol:/bin/sh\n"
	group := "root:x:0:\nalice:x:1000:\nbob:x:1001:\nsvc:x:1002:\ncarol:x:1003:\n"
	root := makeRoot(t, []tree{
		{path: "etc/passwd", content: passwd, mode: 0o644, uid: -1, gid: -1},
		{path: "etc/group", content: group, mode: 0o644, uid: -1, gid: -1},
		{path: "etc/login.defs", content: "UID_MIN 1000\n", mode: 0o644, uid: -1, gid: -1},
		{path: "etc/shells", content: "/bin/sh\n/bin/bash\n", mode: 0o644, uid: -1, gid: -1},
		{path: "home/alice", dir: true, mode: 0o755, uid: -1, gid: -1},
		{path: "home/bob", dir: true, mode: 0o750, uid: -1, gid: -1},
		{path: "home/svc", dir: true, mode: 0o755, uid: -1, gid: -1},
		{path: "home/carol", dir: true, mode: 0o701, uid: -1, gid: -1},
	})
	got := mustProbe(t, envFor(t, root), "accounts.home_readable")
	want := []string{"alice /home/alice 0755", "carol /home/carol 0701"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
