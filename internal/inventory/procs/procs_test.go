package procs

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

func TestParseStat(t *testing.T) {
	tail := " 20 0 3 0 777 1 1 18446744073709551615"
	tests := []struct {
		name string
		in   string
		want Stat
		ok   bool
	}{
		{"plain", "1 (init) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8" + tail, Stat{PID: 1, Comm: "init", State: "S", Flags: 4194560, Threads: 3, StartTime: 777}, true},
		{"spaces and parens in comm", "42 (a) b) (c) R 7 1 1 34817 -1 0 1 2 3 4 5 6 7 8" + tail, Stat{PID: 42, Comm: "a) b) (c", State: "R", PPID: 7, TTY: 34817, Threads: 3, StartTime: 777}, true},
		{"empty comm", "9 () S 1 1 1 0 -1 0 1 2 3 4 5 6 7 8" + tail, Stat{PID: 9, State: "S", PPID: 1, Threads: 3, StartTime: 777}, true},
		{"newline in comm", "9 (a\nb) S 1 1 1 0 -1 0 1 2 3 4 5 6 7 8" + tail, Stat{PID: 9, Comm: "a\nb", State: "S", PPID: 1, Threads: 3, StartTime: 777}, true},
		{"no parens", "1 init S 0", Stat{}, false},
		{"reversed parens", "1 )init( S 0", Stat{}, false},
		{"short", "1 (init) S 0 1 1", Stat{}, false},
		{"bad pid", "x (init) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8" + tail, Stat{}, false},
		{"bad ppid", "1 (init) S -4 1 1 0 -1 4194560 1 2 3 4 5 6 7 8" + tail, Stat{}, false},
		{"bad starttime", "1 (init) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 3 0 x 1", Stat{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStat([]byte(tt.in))
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Status
		ok   bool
	}{
		{"setuid", "Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n", Status{1000, 0, 1000, 1000}, true},
		{"no gid", "Uid:\t1\t1\t1\t1\n", Status{}, false},
		{"short uid", "Uid:\t1\nGid:\t1\t1\n", Status{}, false},
		{"overflow", "Uid:\t4294967296\t1\nGid:\t1\t1\n", Status{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStatus([]byte(tt.in))
			if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
				t.Errorf("got %+v, %v; want %+v ok=%v", got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestParseCmdline(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"\x00", nil},
		{"/bin/sh\x00-c\x00echo hi\x00", []string{"/bin/sh", "-c", "echo hi"}},
		{"a\x00\x00b\x00", []string{"a", "", "b"}},
		{"nginx: worker process", []string{"nginx: worker process"}},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.in), func(t *testing.T) {
			if got := ParseCmdline([]byte(tt.in)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTTYName(t *testing.T) {
	for nr, want := range map[uint64]string{0: "", 34816: "pts/0", 34817 + 256*1: "pts/257", 1025: "tty1", 1088: "ttyS0", 0x500 + 1: "5:1", 0x808803: "pts/2051"} {
		if got := TTYName(nr); got != want {
			t.Errorf("TTYName(%#x) = %q, want %q", nr, got, want)
		}
	}
}

func TestCollectFixture(t *testing.T) {
	root, err := hostfs.New("testdata/rootfs/host1")
	if err != nil {
		t.Fatal(err)
	}
	res, skip, err := Collect(context.Background(), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// broken passwd line, broken stat of 5000; 5001 has no status (vanished).
	if len(skip) != 2 {
		t.Errorf("skipped %v, want 2", skip)
	}
	byPID := make(map[int]Process)
	var pids []int
	for _, p := range res.Processes {
		byPID[p.PID] = p
		pids = append(pids, p.PID)
	}
	if want := []int{1, 2, 15, 812, 1200, 4242, 4243}; !reflect.DeepEqual(pids, want) {
		t.Fatalf("pids %v, want %v", pids, want)
	}
	weird := Process{
		PID: 4242, PPID: 4100, Name: "my) (weird) proc)", State: "R", User: "alice",
		UID: 1000, EUID: 0, GID: 1000, Exe: "/home/alice/a.out",
		Args: []string{"./a.out", "--flag=x y"}, CommandLine: "./a.out --flag=x y",
		CWD: "/home/alice", StartTime: "2024-01-23T10:16:41Z", TTY: "pts/0", Threads: 2,
	}
	if !reflect.DeepEqual(byPID[4242], weird) {
		t.Errorf("pid 4242:\n got %+v\nwant %+v", byPID[4242], weird)
	}
	if p := byPID[812]; !p.ExeDeleted || p.Exe != "/usr/sbin/sshd (deleted)" || len(p.Args) != 1 {
		t.Errorf("sshd: %+v", p)
	}
	if p := byPID[1200]; p.User != "www-data" || p.CommandLine != "nginx: worker process" || p.Threads != 4 {
		t.Errorf("nginx: %+v", p)
	}
	for pid, want := range map[int]bool{1: false, 2: true, 15: true, 4243: false} {
		if got := byPID[pid].KernelThread; got != want {
			t.Errorf("pid %d kernel_thread = %v, want %v", pid, got, want)
		}
	}
	if byPID[4243].State != "Z" {
		t.Errorf("zombie state %q", byPID[4243].State)
	}
}

func TestCollectOptions(t *testing.T) {
	root, _ := hostfs.New("testdata/rootfs/host1")
	boot := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	res, _, err := Collect(context.Background(), root, Options{
		Users: map[uint32]string{1000: "ALICE"}, BootTime: boot, MaxProcesses: 3, MaxCmdline: 4,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Processes) != 3 {
		t.Fatalf("%d processes, want 3", len(res.Processes))
	}
	if p := res.Processes[0]; p.StartTime != "2020-01-01T00:00:00Z" || p.Args[0] != "/sbi" || p.User != "" {
		t.Errorf("options not applied: %+v", p)
	}
}

// TestCollectLive checks the walk against ps on the live host.
func TestCollectLive(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	res, skip, err := Collect(context.Background(), hostfs.Live(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(skip) > 0 {
		t.Errorf("skipped: %v", skip)
	}
	var self *Process
	for i, p := range res.Processes {
		if p.PID == os.Getpid() {
			self = &res.Processes[i]
		}
	}
	if self == nil {
		t.Fatal("own process not listed")
	}
	exe, _ := os.Executable()
	if self.Exe != exe || self.PPID != os.Getppid() || self.UID != uint32(os.Getuid()) || len(self.Args) == 0 || self.Args[0] != os.Args[0] {
		t.Errorf("own process %+v; exe %s", *self, exe)
	}
	out, err := exec.Command("ps", "-eo", "pid=,ppid=,uid=,comm=").Output()
	if err != nil {
		t.Skipf("ps: %v", err)
	}
	got := make(map[int]Process)
	for _, p := range res.Processes {
		got[p.PID] = p
	}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pid, _ := strconv.Atoi(f[0])
		p, ok := got[pid]
		if !ok {
			continue // started after our walk
		}
		if strconv.Itoa(p.PPID) != f[1] || strconv.FormatUint(uint64(p.UID), 10) != f[2] ||
			(len(f) > 3 && !p.KernelThread && !strings.HasPrefix(p.Name, f[3])) {
			t.Errorf("pid %d: ps %q, we %d %d %q", pid, line, p.PPID, p.UID, p.Name)
		}
	}
}

func FuzzProcStat(f *testing.F) {
	paths, _ := filepath.Glob("testdata/rootfs/*/proc/*/stat")
	shared, _ := filepath.Glob("../../../testdata/rootfs/*/proc/*/stat")
	paths = append(paths, shared...)
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseStat(b)
		if err == nil && (s.PID < 0 || s.PPID < 0 || s.Threads < 0) {
			t.Fatalf("negative ids: %+v", s)
		}
		TTYName(s.TTY)
	})
}

func FuzzProcStatus(f *testing.F) {
	paths, _ := filepath.Glob("testdata/rootfs/*/proc/*/status")
	shared, _ := filepath.Glob("../../../testdata/rootfs/*/proc/*/status")
	paths = append(paths, shared...)
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseStatus(b)
		for _, a := range ParseCmdline(b) {
			if strings.ContainsRune(a, 0) {
				t.Fatalf("NUL in argument %q", a)
			}
		}
	})
}

func BenchmarkCollectLive(b *testing.B) {
	for b.Loop() {
		if _, _, err := Collect(context.Background(), hostfs.Live(), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
