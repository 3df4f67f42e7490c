// Command exec_storm measures what watching execs costs: 2 parallel shell
// loops of /bin/true execs (20,000 in all by default), run bare, under the
// real vigil agent (`vigil agent --collectors audit`) and under Debian's
// auditd logging the same execve rule to disk. The three runs are
// interleaved over several rounds (bare, vigil, auditd, bare, vigil, auditd,
// ..., bare) so that the load of a shared machine falls on all of them; each
// watcher's slowdown is its wall time over the mean of the two bare runs
// around it.
//
// It prints per-round and median wall times, slowdown ratios, execs captured
// (with their exact argv) and lost, the watcher's CPU seconds per 1,000
// execs during the storm and its peak RSS (VmHWM).
//
// Run as root from the repository root on a host where auditd is not
// running:
//
//	go run ./bench/exec_storm [-n 10000] [-rounds 3] [-vigil PATH]
//
// Without -vigil the agent is built from ./cmd/vigil into a temporary
// directory. The benchmark takes the machine-wide audit test lock
// (internal/livetest) so that live tests of other packages wait for it.
package main

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	n := flag.Int("n", 10000, "execs per loop (2 loops)")
	rounds := flag.Int("rounds", 3, "interleaved rounds of bare, vigil and auditd")
	vigil := flag.String("vigil", "", "vigil binary to run (default: build ./cmd/vigil)")
	queue := flag.Int("queue-size", 0, "agent --queue-size (0: the agent's default)")
	flag.Parse()
	if err := run(*n, *rounds, *vigil, *queue); err != nil {
		fmt.Fprintln(os.Stderr, "exec_storm:", err)
		os.Exit(1)
	}
}

// result is one watched or bare storm.
type result struct {
	name           string
	round          int
	wall           time.Duration
	captured, lost int64
	cpu            float64 // seconds, user+system, during the storm and drain
	hwmKB          int64
	slowdown       float64
	note           string // what disturbed the run, if anything
}

func run(n, rounds int, vigil string, queue int) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("needs root")
	}
	if rounds < 1 || n < 1 {
		return fmt.Errorf("-n and -rounds must be positive")
	}
	unlock, err := lockAudit()
	if err != nil {
		return err
	}
	defer unlock()
	tmp, err := os.MkdirTemp("", "exec_storm")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if vigil == "" {
		vigil = filepath.Join(tmp, "vigil")
		if b, err := exec.Command("go", "build", "-o", vigil, "./cmd/vigil").CombinedOutput(); err != nil {
			return fmt.Errorf("building vigil (run from the repository root): %w: %s", err, b)
		}
	}
	enabled := auditEnabled()
	defer exec.Command("auditctl", "-e", enabled).Run()
	if _, err := storm(n/10, "warm"); err != nil {
		return err
	}
	var bares []time.Duration
	var watched []result
	for i := range rounds {
		b, err := storm(n, fmt.Sprintf("bare%d", i))
		if err != nil {
			return err
		}
		bares = append(bares, b)
		v, err := runVigil(vigil, tmp, n, i, queue)
		if err != nil {
			return fmt.Errorf("vigil round %d: %w", i+1, err)
		}
		a, err := runAuditd(tmp, n, i)
		if err != nil {
			return fmt.Errorf("auditd round %d: %w", i+1, err)
		}
		watched = append(watched, v, a)
		fmt.Fprintf(os.Stderr, "round %d: bare %.2fs vigil %.2fs (%d captured) auditd %.2fs (%d captured)\n",
			i+1, b.Seconds(), v.wall.Seconds(), v.captured, a.wall.Seconds(), a.captured)
	}
	b, err := storm(n, "bare-last")
	if err != nil {
		return err
	}
	bares = append(bares, b)
	for i := range watched {
		r := &watched[i]
		r.slowdown = r.wall.Seconds() / ((bares[r.round] + bares[r.round+1]).Seconds() / 2)
	}
	report(n, bares, watched)
	return nil
}

// storm runs two loops of n execs with argv = [/bin/true, prefix-<loop>-<i>]
// and returns the wall time.
func storm(n int, prefix string) (time.Duration, error) {
	start := time.Now()
	var cmds []*exec.Cmd
	for loop := range 2 {
		script := fmt.Sprintf("i=0; while [ $i -lt %d ]; do i=$((i+1)); /bin/true %s-%d-$i; done", n, prefix, loop)
		c := exec.Command("/bin/sh", "-c", script)
		if err := c.Start(); err != nil {
			return 0, err
		}
		cmds = append(cmds, c)
	}
	var err error
	for _, c := range cmds {
		if werr := c.Wait(); werr != nil && err == nil {
			err = werr
		}
	}
	return time.Since(start), err
}

// report prints the per-round table and the medians.
func report(n int, bares []time.Duration, watched []result) {
	total := 2 * n
	fmt.Printf("exec storm: %d execs (2 loops of %d) of /bin/true, %d rounds\n\n", total, n, len(bares)-1)
	fmt.Printf("%-6s %-7s %7s %9s %9s %7s %13s %12s\n", "round", "watcher", "wall_s", "slowdown", "captured", "lost", "cpu_s/1k_exec", "peak_rss_MB")
	for i, b := range bares {
		fmt.Printf("%-6d %-7s %7.2f %9s %9s %7s %13s %12s\n", i+1, "bare", b.Seconds(), "-", "-", "-", "-", "-")
		for _, r := range watched {
			if r.round == i {
				fmt.Printf("%-6d %-7s %7.2f %9.2f %9d %7d %13.3f %12.1f %s\n", i+1, r.name, r.wall.Seconds(), r.slowdown,
					r.captured, r.lost, r.cpu/float64(total)*1000, float64(r.hwmKB)/1024, r.note)
			}
		}
	}
	fmt.Printf("\nmedians\n%-7s %7s %9s %12s %7s %13s %12s\n", "watcher", "wall_s", "slowdown", "min_captured", "lost", "cpu_s/1k_exec", "peak_rss_MB")
	fmt.Printf("%-7s %7.2f\n", "bare", median(bares, func(d time.Duration) float64 { return d.Seconds() }))
	for _, name := range []string{"vigil", "auditd"} {
		var rs []result
		for _, r := range watched {
			if r.name == name {
				rs = append(rs, r)
			}
		}
		minCaptured := slices.MinFunc(rs, func(a, b result) int { return cmp.Compare(a.captured, b.captured) }).captured
		var lost int64
		for _, r := range rs {
			lost += r.lost
		}
		fmt.Printf("%-7s %7.2f %9.2f %12d %7d %13.3f %12.1f\n", name,
			median(rs, func(r result) float64 { return r.wall.Seconds() }),
			median(rs, func(r result) float64 { return r.slowdown }),
			minCaptured, lost,
			median(rs, func(r result) float64 { return r.cpu / float64(total) * 1000 }),
			median(rs, func(r result) float64 { return float64(r.hwmKB) / 1024 }))
	}
}

func median[T any](xs []T, f func(T) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// lockAudit takes the machine-wide audit lock of internal/livetest.
func lockAudit() (func(), error) {
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "vigil-audit-live-test.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit lock: %w", err)
	}
	return func() { unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
}

// procUsage returns CPU seconds (user+system) and VmHWM in kB of pid.
func procUsage(pid int) (cpu float64, hwmKB int64) {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i > 0 && i+2 < len(s) {
			f := strings.Fields(s[i+2:])
			if len(f) > 12 {
				ut, _ := strconv.ParseFloat(f[11], 64)
				st, _ := strconv.ParseFloat(f[12], 64)
				cpu = (ut + st) / 100 // USER_HZ
			}
		}
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				if f := strings.Fields(v); len(f) > 0 {
					hwmKB, _ = strconv.ParseInt(f[0], 10, 64)
				}
			}
		}
	}
	return cpu, hwmKB
}
