// Command exec_storm measures what watching execs costs: 20,000 /bin/true
// execs in 2 parallel shell loops, run bare, with vigil's audit collector
// capturing them, and with Debian's auditd logging the same execve rule to
// disk, in the same run. It prints wall times, slowdown ratios, execs
// captured and lost, the watcher's CPU seconds per 1,000 execs and its peak
// RSS (VmHWM).
//
// Run as root on a host without auditd running:
//
//	go run ./bench/exec_storm [-n 10000] [-rounds 1]
//
// The vigil side runs in a child process (this binary with -driver) that
// drives the audit collector through the collector runner, as the agent
// does, with NDJSON written to /dev/null.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	_ "github.com/vigil-sec/vigil/internal/collector/audit"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

func main() {
	driver := flag.String("driver", "", "internal: run the audit collector, count execs whose argv[1] starts with this prefix")
	n := flag.Int("n", 10000, "execs per loop (2 loops)")
	queue := flag.Int("queue", 0, "runner queue size in events for the vigil driver (0: the runner's default)")
	flag.Parse()
	var err error
	if *driver != "" {
		err = runDriver(*driver, *queue)
	} else {
		err = run(*n, *queue)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "exec_storm:", err)
		os.Exit(1)
	}
}

// storm runs two loops of n execs with argv[1] = prefix-<loop>-<i> and
// returns the wall time.
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
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// procUsage returns CPU seconds (user+system) and VmHWM in kB of pid.
func procUsage(pid int) (cpu float64, hwmKB int64) {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i > 0 {
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
			if strings.HasPrefix(line, "VmHWM:") {
				f := strings.Fields(line)
				hwmKB, _ = strconv.ParseInt(f[1], 10, 64)
			}
		}
	}
	return cpu, hwmKB
}

type result struct {
	name           string
	wall           time.Duration
	captured, lost int64
	cpu            float64
	hwmKB          int64
}

func run(n, queue int) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("needs root")
	}
	total := 2 * n
	enabled := auditEnabled()
	defer exec.Command("auditctl", "-e", enabled).Run()
	var results []result
	// warm-up, then bare
	if _, err := storm(n/10, "warm"); err != nil {
		return err
	}
	bare, err := storm(n, "bare")
	if err != nil {
		return err
	}
	results = append(results, result{name: "bare", wall: bare})
	v, err := runVigil(n, queue)
	if err != nil {
		return fmt.Errorf("vigil: %w", err)
	}
	results = append(results, v)
	a, err := runAuditd(n)
	if err != nil {
		return fmt.Errorf("auditd: %w", err)
	}
	results = append(results, a)
	fmt.Printf("exec storm: %d execs (2 loops of %d) of /bin/true\n", total, n)
	fmt.Printf("%-8s %9s %9s %10s %8s %14s %10s\n", "watcher", "wall_s", "slowdown", "captured", "lost", "cpu_s/1k_exec", "peak_rss_MB")
	for _, r := range results {
		fmt.Printf("%-8s %9.2f %9.2f %10d %8d %14.3f %10.1f\n", r.name, r.wall.Seconds(), r.wall.Seconds()/bare.Seconds(),
			r.captured, r.lost, r.cpu/float64(total)*1000, float64(r.hwmKB)/1024)
	}
	return nil
}

// runVigil starts the driver, runs the storm, stops the driver and reads
// its counts.
func runVigil(n, queue int) (result, error) {
	self, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	prefix := "vigilstorm"
	cmd := exec.Command(self, "-driver", prefix, "-queue", strconv.Itoa(queue))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return result{}, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || sc.Text() != "ready" {
		cmd.Process.Kill()
		return result{}, fmt.Errorf("driver did not start")
	}
	cpu0, _ := procUsage(cmd.Process.Pid)
	wall, err := storm(n, prefix)
	if err != nil {
		return result{}, err
	}
	time.Sleep(3 * time.Second) // let the collector drain and time out partial events
	cpu1, hwm := procUsage(cmd.Process.Pid)
	cmd.Process.Signal(syscall.SIGTERM)
	var r result
	if sc.Scan() {
		fmt.Sscanf(sc.Text(), "captured %d lost %d", &r.captured, &r.lost)
	}
	cmd.Wait()
	r.name, r.wall, r.cpu, r.hwmKB = "vigil", wall, cpu1-cpu0, hwm
	return r, nil
}

// countOutput encodes events as NDJSON to a writer, as the agent's output
// does, and counts execs with the prefix and loss.
type countOutput struct {
	enc            *json.Encoder
	prefix         string
	captured, lost atomic.Int64
}

func (o *countOutput) Write(_ context.Context, evs []event.Event) error {
	for i := range evs {
		ev := &evs[i]
		if err := o.enc.Encode(ev); err != nil {
			return err
		}
		if ev.Event.Action == event.ActionExec && ev.Process != nil && len(ev.Process.Args) == 2 &&
			strings.HasPrefix(ev.Process.Args[1], o.prefix) {
			o.captured.Add(1)
		}
		if ev.Vigil != nil && ev.Vigil.Loss != nil {
			o.lost.Add(ev.Vigil.Loss.Count)
		}
	}
	return nil
}

func (o *countOutput) Flush() error { return nil }

func runDriver(prefix string, queue int) error {
	reg, ok := collector.Lookup("audit")
	if !ok {
		return fmt.Errorf("audit collector not registered")
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	out := &countOutput{enc: json.NewEncoder(io.Writer(bufio.NewWriterSize(devnull, 64<<10))), prefix: prefix}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	deps := collector.Deps{Root: hostfs.Live(), StateDir: os.TempDir(), Logger: logger, Now: time.Now}
	col, err := reg.New(reg.DefaultConfig(), deps)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	r := collector.NewRunner(collector.RunnerOptions{Logger: logger, HealthInterval: time.Hour, QueueSize: queue})
	go func() {
		time.Sleep(time.Second) // rules installed and stream registered
		fmt.Println("ready")
	}()
	if err := r.Run(ctx, []collector.Instance{{Name: "audit", Collector: col, Deps: deps}}, out); err != nil {
		return err
	}
	fmt.Printf("captured %d lost %d\n", out.captured.Load(), out.lost.Load())
	return nil
}

// writeAuditdConf copies Debian's /etc/audit/auditd.conf into dir with the
// log in dir and no rotation, so that the whole storm stays in one file.
func writeAuditdConf(dir, logFile string) error {
	b, err := os.ReadFile("/etc/audit/auditd.conf")
	if err != nil {
		return err
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		k, _, _ := strings.Cut(line, "=")
		switch strings.TrimSpace(k) {
		case "log_file", "max_log_file", "max_log_file_action", "space_left", "admin_space_left",
			"space_left_action", "admin_space_left_action", "disk_full_action":
			continue
		}
		out = append(out, line)
	}
	out = append(out, "log_file = "+logFile, "max_log_file = 4000", "max_log_file_action = ignore",
		"space_left = 100", "admin_space_left = 50", "space_left_action = ignore",
		"admin_space_left_action = ignore", "disk_full_action = ignore")
	return os.WriteFile(dir+"/auditd.conf", []byte(strings.Join(out, "\n")+"\n"), 0o600)
}

// runAuditd runs the storm with Debian's auditd owning audit and an execve
// rule, logging to its configured log (/var/log/audit/audit.log).
func runAuditd(n int) (result, error) {
	const key = "benchstorm"
	dir, err := os.MkdirTemp("", "exec_storm_auditd")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	logFile := dir + "/audit.log"
	if err := writeAuditdConf(dir, logFile); err != nil {
		return result{}, err
	}
	cmd := exec.Command("auditd", "-n", "-c", dir)
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	defer func() {
		exec.Command("auditctl", "-D", "-k", key).Run()
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	time.Sleep(time.Second)
	for _, arch := range []string{"b64", "b32"} {
		if b, err := exec.Command("auditctl", "-a", "always,exit", "-F", "arch="+arch, "-S", "execve,execveat", "-k", key).CombinedOutput(); err != nil {
			return result{}, fmt.Errorf("auditctl: %v %s", err, b)
		}
	}
	exec.Command("auditctl", "-b", "8192").Run()
	before := int64(0)
	lost0 := kernelLost()
	cpu0, _ := procUsage(cmd.Process.Pid)
	prefix := fmt.Sprintf("auditdstorm%d", time.Now().Unix())
	wall, err := storm(n, prefix)
	if err != nil {
		return result{}, err
	}
	time.Sleep(3 * time.Second)
	cpu1, hwm := procUsage(cmd.Process.Pid)
	r := result{name: "auditd", wall: wall, cpu: cpu1 - cpu0, hwmKB: hwm, lost: kernelLost() - lost0}
	r.captured = countInLog(logFile, before, prefix)
	return r, nil
}

// auditEnabled returns the kernel's audit enabled flag as auditctl prints it.
func auditEnabled() string {
	b, _ := exec.Command("auditctl", "-s").Output()
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "enabled "); ok {
			return strings.TrimSpace(v)
		}
	}
	return "0"
}

func kernelLost() int64 {
	b, err := exec.Command("auditctl", "-s").Output()
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "lost "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// countInLog counts EXECVE records in the log after offset whose a1 has the
// prefix.
func countInLog(p string, offset int64, prefix string) int64 {
	f, err := os.Open(p)
	if err != nil {
		return 0
	}
	defer f.Close()
	f.Seek(offset, io.SeekStart)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var n int64
	needle := `a1="` + prefix
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "type=EXECVE") && strings.Contains(sc.Text(), needle) {
			n++
		}
	}
	return n
}
