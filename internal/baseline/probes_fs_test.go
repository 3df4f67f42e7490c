package baseline

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/sca"
)

func fsFixture(t testing.TB) string {
	return makeRoot(t, []tree{
		{path: "etc/passwd", content: testPasswd, uid: -1},
		{path: "etc/group", content: testGroup, uid: -1},
		{path: "proc/self/mounts", content: "/dev/vda / ext4 rw 0 0\nproc /proc proc rw 0 0\nserver:/x /mnt/nfs nfs4 rw 0 0\n", uid: -1},
		{path: "tmp", dir: true, mode: 0o777 | os.ModeSticky, uid: -1},
		{path: "tmp/ww.txt", content: "x", mode: 0o666, uid: -1},
		{path: "srv/drop", dir: true, mode: 0o777, uid: -1},
		{path: "srv/drop/inner", content: "x", mode: 0o644, uid: 1234, gid: 1234},
		{path: "usr/bin/su", content: "x", mode: 0o755 | os.ModeSetuid, uid: 0, gid: 0},
		{path: "usr/bin/wall", content: "x", mode: 0o755 | os.ModeSetgid, uid: 0, gid: 2},
		{path: "usr/bin/both", content: "x", mode: 0o755 | os.ModeSetuid | os.ModeSetgid, uid: 1000, gid: 1000},
		{path: "usr/bin/link", link: "/tmp/ww.txt"},
		{path: "home/alice/notes", content: "x", mode: 0o600, uid: 1000, gid: 999},
		// Not walked: pseudo and network mounts, runtime trees.
		{path: "proc/1/ww", content: "x", mode: 0o666, uid: -1},
		{path: "mnt/nfs/ww", content: "x", mode: 0o666, uid: -1},
		{path: "run/ww", content: "x", mode: 0o666, uid: -1},
		{path: "var/lib/docker/overlay2/l/ww", content: "x", mode: 0o666, uid: -1},
	})
}

func TestFSProbes(t *testing.T) {
	env := envFor(t, fsFixture(t))
	tests := []struct {
		probe string
		want  []string
	}{
		{"fs.world_writable_files", []string{"/tmp/ww.txt"}},
		{"fs.world_writable_dirs_nosticky", []string{"/srv/drop"}},
		{"fs.suid_sgid", []string{"/usr/bin/both suid,sgid alice", "/usr/bin/su suid root", "/usr/bin/wall sgid root"}},
		{"fs.unowned", []string{"/home/alice/notes uid=1000 gid=999", "/srv/drop/inner uid=1234 gid=1234"}},
	}
	for _, tt := range tests {
		t.Run(tt.probe, func(t *testing.T) {
			got := mustProbe(t, env, tt.probe)
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("line %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
	s, err := scanFS(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	if s.Errors != 0 || s.Entries == 0 {
		t.Errorf("walk: %d entries, %d errors (%v)", s.Entries, s.Errors, s.FirstErr)
	}
}

func TestFSUnownedWithoutAccounts(t *testing.T) {
	env := envFor(t, makeRoot(t, []tree{{path: "tmp/x", content: "x", uid: -1}}))
	if _, err := runProbe(t, env, "fs.unowned"); !isNotApplicable(err) {
		t.Errorf("err = %v, want not applicable", err)
	}
	if got := mustProbe(t, env, "fs.world_writable_files"); len(got) != 0 {
		t.Errorf("got %q", got)
	}
}

func TestFSWalkCanceled(t *testing.T) {
	env := envFor(t, fsFixture(t))
	p, err := plan(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := walkFS(ctx, env.Root.Dir(), p); err == nil {
		t.Error("canceled walk returned no error")
	}
}

// TestFSLive runs the fs probes on the live host and checks facts every Debian
// or Ubuntu host has: /tmp is sticky (so not reported), su is setuid root.
func TestFSLive(t *testing.T) {
	if testing.Short() {
		t.Skip("walks the whole host")
	}
	env := &sca.Env{Root: hostfs.Live()}
	dirs := mustProbe(t, env, "fs.world_writable_dirs_nosticky")
	if hasLine(dirs, "/tmp") {
		t.Error("/tmp reported although sticky")
	}
	suid := mustProbe(t, env, "fs.suid_sgid")
	if _, err := os.Stat("/usr/bin/su"); err == nil && !hasLine(suid, "/usr/bin/su suid root") {
		t.Errorf("/usr/bin/su not found among %d setuid files", len(suid))
	}
	if hasPrefix(suid, "/proc/") || hasPrefix(suid, "/sys/") {
		t.Error("walk entered /proc or /sys")
	}
	s, _ := scanFS(context.Background(), env)
	t.Logf("live walk: %d entries, %d dirs, %d unreadable dirs, %d setuid/setgid, %d world-writable files",
		s.Entries, s.Dirs, s.Errors, len(s.SUIDSGID), len(s.WorldWritableFiles))
}

// BenchmarkFSWalkLive measures one full walk of the live host's local file
// systems (the page cache is warm after the first iteration).
func BenchmarkFSWalkLive(b *testing.B) {
	env := &sca.Env{Root: hostfs.Live()}
	ctx := context.Background()
	p, err := plan(ctx, env)
	if err != nil {
		b.Fatal(err)
	}
	var entries int
	cpu0 := cpuTime()
	for b.Loop() {
		s, err := walkFS(ctx, "/", p)
		if err != nil {
			b.Fatal(err)
		}
		entries = s.Entries
	}
	b.ReportMetric(float64(entries), "entries")
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
