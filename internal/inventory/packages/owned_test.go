package packages

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

func TestFileSet(t *testing.T) {
	b := newFileSetBuilder([]string{"/bin", "/lib"})
	for _, e := range [][2]string{
		{"sudo", "/."}, {"sudo", "/usr"}, {"sudo", "/usr/bin"}, {"sudo", "/usr/bin/sudo"},
		{"login", "/bin/su"}, {"login", "/usr/bin"}, {"util-linux", "/bin/mount"},
		{"coreutils", "/usr/bin/ls"}, {"libc6", "/lib/x86_64-linux-gnu/libc.so.6"},
		{"a", "/etc/a b"}, {"a", "/etc//x/"}, {"a", "/etc/x/../y"}, {"b", "/etc/a b"},
		{"sbin", "/sbin/init"}, {"binx", "/binx/tool"},
	} {
		b.add(e[0], []byte(e[1]))
	}
	s := b.build()
	tests := []struct {
		path, owner string
	}{
		{"/", "sudo"},
		{"/usr", "sudo"},
		{"/usr/bin", "sudo"}, // the first package read wins
		{"/usr/bin/sudo", "sudo"},
		{"/usr/bin/su", "login"},      // listed as /bin/su, merged /usr
		{"/bin/su", "login"},          // and under its listed name
		{"/bin/ls", "coreutils"},      // listed under /usr only
		{"/bin/", "sudo"},             // /bin is /usr/bin
		{"/bin//mount", "util-linux"}, // cleaned
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", "libc6"},
		{"/etc/a b", "a"},
		{"/etc/x", "a"},
		{"/etc/y", "a"},
		{"/sbin/init", "sbin"}, // /sbin is not an alias here
		{"/binx/tool", "binx"},
		{"/usr/sbin/init", ""},
		{"/usr/binx/tool", ""}, // "/bin" alias does not match "/binx"
		{"/usr/bin/sudo2", ""},
		{"/usr/bin/sud", ""},
		{"/etc", ""},
		{"/zzz/a", ""},
		{"/a", ""},
		{"relative", ""},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			got, ok := s.Owner(tc.path)
			if got != tc.owner || ok != (tc.owner != "") || s.Contains(tc.path) != ok {
				t.Errorf("Owner(%q) = %q, %v; want %q", tc.path, got, ok, tc.owner)
			}
		})
	}
	if s.Len() != 13 {
		t.Errorf("Len = %d, want 13", s.Len())
	}
	var empty *FileSet
	if empty.Contains("/") || empty.Len() != 0 || newFileSetBuilder(nil).build().Contains("/") {
		t.Error("empty set contains /")
	}
}

func TestOwnedFilesFixtures(t *testing.T) {
	tests := []struct {
		tree     string
		sources  []string
		skips    int
		owned    map[string]string // path -> package
		notOwned []string
	}{
		{tree: "debian12", sources: []string{DpkgInfoPath},
			owned: map[string]string{"/usr/bin/sudo": "sudo", "/usr/bin/passwd": "passwd", "/bin/passwd": "passwd",
				"/usr/lib/openssh/ssh-keysign": "openssh-client", "/usr/bin/chsh": "passwd", "/usr/bin/mount": "mount"},
			notOwned: []string{"/usr/local/bin/backdoor", "/usr/bin/nonexistent"}},
		{tree: "alpine3", sources: []string{ApkInstalledPath}, skips: 1, // the damaged record's garbage line
			owned:    map[string]string{"/usr/bin/sudo": "sudo", "/bin/busybox": "busybox", "/usr/sbin/sshd": "openssh-server"},
			notOwned: []string{"/usr/bin/busybox", "/usr/local/bin/x"}},
		{tree: "alma9", sources: []string{"/var/lib/rpm/rpmdb.sqlite"},
			owned: map[string]string{"/usr/bin/sudo": "sudo", "/bin/sudo": "sudo", "/etc/sudoers": "sudo",
				"/usr/bin/chage": "shadow-utils", "/usr/bin/crontab": "cronie", "/usr/sbin/sshd": "openssh-server", "/sbin/sshd": "openssh-server"},
			// The fixture database has no passwd package; rpm lists no directories it does not own.
			notOwned: []string{"/usr/bin/passwd", "/usr/local/bin/x", "/usr/bin"}},
	}
	for _, tc := range tests {
		t.Run(tc.tree, func(t *testing.T) {
			s, skip, err := OwnedFiles(context.Background(), mustRoot(t, tc.tree))
			if err != nil {
				t.Fatal(err)
			}
			if len(skip) != tc.skips {
				t.Errorf("skipped %v, want %d", skip, tc.skips)
			}
			if !slices.Equal(s.Sources(), tc.sources) {
				t.Errorf("sources %q, want %q", s.Sources(), tc.sources)
			}
			for p, want := range tc.owned {
				if got, ok := s.Owner(p); !ok || got != want {
					t.Errorf("Owner(%s) = %q, %v; want %q", p, got, ok, want)
				}
			}
			for _, p := range tc.notOwned {
				if got, ok := s.Owner(p); ok {
					t.Errorf("%s owned by %q", p, got)
				}
			}
		})
	}
}

// TestOwnedFilesMultiArch uses a temporary tree, since fixture trees cannot
// hold ':' in file names.
func TestOwnedFilesMultiArch(t *testing.T) {
	dir := t.TempDir()
	info := filepath.Join(dir, "var/lib/dpkg/info")
	must(t, os.MkdirAll(info, 0o755))
	must(t, os.WriteFile(filepath.Join(info, "libc6:amd64.list"), []byte("/.\n/lib/x86_64-linux-gnu/libc.so.6\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(info, "login.list"), []byte("/bin/su\nnot a path\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(info, "login.md5sums"), []byte("abc  bin/other\n"), 0o644))
	must(t, os.Symlink("usr/lib", filepath.Join(dir, "lib")))
	must(t, os.Symlink("/usr/bin", filepath.Join(dir, "bin")))
	must(t, os.MkdirAll(filepath.Join(dir, "sbin"), 0o755)) // not merged
	root, err := hostfs.New(dir)
	must(t, err)
	s, skip, err := OwnedFiles(context.Background(), root)
	must(t, err)
	if len(skip) != 1 || !strings.Contains(skip[0].String(), "login.list:2") {
		t.Errorf("skipped %v, want login.list:2", skip)
	}
	for p, want := range map[string]string{"/usr/lib/x86_64-linux-gnu/libc.so.6": "libc6", "/usr/bin/su": "login", "/bin/su": "login"} {
		if got, _ := s.Owner(p); got != want {
			t.Errorf("Owner(%s) = %q, want %q", p, got, want)
		}
	}
	if s.Contains("/bin/other") || s.Len() != 3 {
		t.Errorf("Len %d, contains /bin/other %v", s.Len(), s.Contains("/bin/other"))
	}
}

// TestOwnedFilesBerkeleyDB reads the file lists of an rpm BerkeleyDB database
// (pkgdb's test database holds six of the alma9 fixture's headers).
func TestOwnedFilesBerkeleyDB(t *testing.T) {
	db, err := os.ReadFile("pkgdb/testdata/bdb/Packages")
	must(t, err)
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "var/lib/rpm"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "var/lib/rpm/Packages"), db, 0o644))
	root, err := hostfs.New(dir)
	must(t, err)
	s, skip, err := OwnedFiles(context.Background(), root)
	if err != nil || len(skip) != 0 {
		t.Fatalf("err %v, skipped %v", err, skip)
	}
	for p, want := range map[string]string{"/usr/bin/sudo": "sudo", "/usr/bin/sh": "bash", "/usr/sbin/useradd": "shadow-utils", "/usr/sbin/sshd": "openssh-server"} {
		if got, _ := s.Owner(p); got != want {
			t.Errorf("Owner(%s) = %q, want %q", p, got, want)
		}
	}
	if s.Contains("/usr/bin/crontab") || !slices.Equal(s.Sources(), []string{"/var/lib/rpm/Packages"}) {
		t.Errorf("crontab owned (cronie is not in the database) or sources %q", s.Sources())
	}
}

func TestOwnedFilesNone(t *testing.T) {
	root, err := hostfs.New(t.TempDir())
	must(t, err)
	s, skip, err := OwnedFiles(context.Background(), root)
	if err != nil || len(skip) != 0 || s.Len() != 0 || len(s.Sources()) != 0 {
		t.Errorf("got %d paths from %q, skipped %v, err %v", s.Len(), s.Sources(), skip, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := OwnedFiles(ctx, mustRoot(t, "debian12")); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: err = %v", err)
	}
}

// TestOwnedFilesLive checks the running host's dpkg database.
func TestOwnedFilesLive(t *testing.T) {
	if _, err := os.Stat(DpkgInfoPath); err != nil {
		t.Skip("no dpkg on this machine")
	}
	s, _, err := OwnedFiles(context.Background(), hostfs.Live())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/usr/bin/su", "/usr/bin/passwd", "/bin/su", "/usr/bin/dpkg"} {
		if !s.Contains(p) {
			t.Errorf("%s not owned", p)
		}
	}
	f, err := os.CreateTemp("", "vigil-owned-*")
	must(t, err)
	f.Close()
	defer os.Remove(f.Name())
	if s.Contains(f.Name()) {
		t.Errorf("temporary file %s owned", f.Name())
	}
	t.Logf("%d owned paths from %q", s.Len(), s.Sources())
}

// BenchmarkOwnedFilesLive reads the running host's file lists and reports the
// memory the set keeps (retained-bytes) and, for comparison, what a map of the
// same paths keeps (map-bytes).
func BenchmarkOwnedFilesLive(b *testing.B) {
	if _, err := os.Stat(DpkgInfoPath); err != nil {
		b.Skip("no dpkg on this machine")
	}
	var s *FileSet
	for b.Loop() {
		var err error
		if s, _, err = OwnedFiles(context.Background(), hostfs.Live()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	before := heapInUse()
	s, _, _ = OwnedFiles(context.Background(), hostfs.Live())
	retained := heapInUse() - before
	paths := make(map[string]struct{}, s.Len())
	for d := range len(s.dirOff) - 1 {
		for j := s.dirFirst[d]; j < s.dirFirst[d+1]; j++ {
			paths[s.dir(d)+"/"+s.base(int(j))] = struct{}{}
		}
	}
	mapBytes := heapInUse() - before - retained
	b.ReportMetric(float64(retained), "retained-bytes")
	b.ReportMetric(float64(mapBytes), "map-bytes")
	b.ReportMetric(float64(s.Len()), "paths")
	runtime.KeepAlive(s)
	runtime.KeepAlive(paths)
}

func BenchmarkFileSetContains(b *testing.B) {
	if _, err := os.Stat(DpkgInfoPath); err != nil {
		b.Skip("no dpkg on this machine")
	}
	s, _, err := OwnedFiles(context.Background(), hostfs.Live())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !s.Contains("/usr/bin/passwd") || s.Contains("/usr/bin/not-there") {
			b.Fatal("wrong answer")
		}
	}
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
