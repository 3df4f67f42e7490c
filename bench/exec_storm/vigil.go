package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runVigil starts `vigil agent --collectors audit` writing NDJSON to a file,
// waits until a probe exec shows up in it, runs the storm, waits for the
// output to settle, and counts the storm's exec events in the file.
func runVigil(vigil, tmp string, n, round, queue int) (result, error) {
	out := filepath.Join(tmp, fmt.Sprintf("vigil-%d.ndjson", round))
	logPath := filepath.Join(tmp, fmt.Sprintf("vigil-%d.log", round))
	logFile, err := os.Create(logPath)
	if err != nil {
		return result{}, err
	}
	defer logFile.Close()
	args := []string{"agent", "--output", out, "--collectors", "audit", "--log-level", "warn",
		"--state", filepath.Join(tmp, fmt.Sprintf("state-%d", round))}
	if queue > 0 {
		args = append(args, "--queue-size", strconv.Itoa(queue))
	}
	cmd := exec.Command(vigil, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	stopped := false
	defer func() {
		if !stopped {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	prefix := fmt.Sprintf("vigilstorm%d", round)
	if err := waitReady(out, prefix+"-ready", 30*time.Second); err != nil {
		b, _ := os.ReadFile(logPath)
		return result{}, fmt.Errorf("%w; agent log: %s", err, b)
	}
	cpu0, _ := procUsage(cmd.Process.Pid)
	wall, err := storm(n, prefix)
	if err != nil {
		return result{}, err
	}
	settle(out, 3*time.Second, 60*time.Second)
	cpu1, hwm := procUsage(cmd.Process.Pid)
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
		stopped = true
		if err != nil {
			b, _ := os.ReadFile(logPath)
			return result{}, fmt.Errorf("agent: %w; log: %s", err, b)
		}
	case <-time.After(10 * time.Second):
		return result{}, fmt.Errorf("agent did not stop within 10 s of SIGTERM")
	}
	c, err := countEvents(out, prefix, n)
	if err != nil {
		return result{}, err
	}
	r := result{name: "vigil", round: round, wall: wall, captured: c.captured, lost: c.lost, cpu: cpu1 - cpu0, hwmKB: hwm}
	if c.removals > 0 || c.reinstalled > 0 {
		r.note = fmt.Sprintf("disturbed: %d vigil rules removed by another process, %d reinstalled", c.removals, c.reinstalled)
	}
	if c.captured < int64(2*n) {
		kept := filepath.Join(os.TempDir(), fmt.Sprintf("exec_storm-vigil-%d-%d.ndjson", os.Getpid(), round))
		if err := os.Rename(out, kept); err == nil {
			r.note += fmt.Sprintf(" output kept in %s", kept)
		}
	}
	os.Remove(out)
	return r, nil
}

// waitReady execs /bin/true marker until the marker appears in the output
// file, i.e. the rules are installed and events flow to the output.
func waitReady(out, marker string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		exec.Command("/bin/true", marker).Run()
		time.Sleep(500 * time.Millisecond)
		if b, err := os.ReadFile(out); err == nil && strings.Contains(string(b), marker) {
			return nil
		}
	}
	return fmt.Errorf("no exec event in %s within %s", out, timeout)
}

// settle waits until the file's size has not changed for quiet (events in
// flight are reassembled, written and flushed), or max.
func settle(path string, quiet, max time.Duration) {
	deadline := time.Now().Add(max)
	var last int64 = -1
	lastChange := time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		st, err := os.Stat(path)
		if err != nil {
			continue
		}
		if st.Size() != last {
			last, lastChange = st.Size(), time.Now()
		} else if time.Since(lastChange) >= quiet {
			return
		}
	}
}

// stormEvent holds the fields of an output line that the count needs.
type stormEvent struct {
	Event struct {
		Action string `json:"action"`
	} `json:"event"`
	Process *struct {
		Args []string `json:"args"`
	} `json:"process"`
	Auditd *struct {
		Data map[string]string `json:"data"`
	} `json:"auditd"`
	Vigil *struct {
		Loss *struct {
			Count int64 `json:"count"`
		} `json:"loss"`
		Collector *struct {
			Counters map[string]int64 `json:"counters"`
		} `json:"collector"`
	} `json:"vigil"`
}

// counts is what countEvents finds in the agent's output.
type counts struct {
	captured, lost int64
	// removals counts vigil rules removed by another process during the run
	// (audit_config_changed, op remove_rule); reinstalled is the agent's
	// rules_reinstalled counter. Either means the run was disturbed.
	removals, reinstalled int64
}

// countEvents counts the distinct storm execs whose argv is exactly
// [/bin/true, prefix-<loop>-<i>] for loop in 0..1, i in 1..n, the sum of
// vigil.loss.count, and the signs of another process removing the agent's
// rules.
func countEvents(path, prefix string, n int) (counts, error) {
	var c counts
	f, err := os.Open(path)
	if err != nil {
		return c, err
	}
	defer f.Close()
	seen := make(map[string]bool, 2*n)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev stormEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return c, fmt.Errorf("%s: %w", path, err)
		}
		if ev.Vigil != nil && ev.Vigil.Loss != nil {
			c.lost += ev.Vigil.Loss.Count
		}
		if ev.Vigil != nil && ev.Vigil.Collector != nil {
			c.reinstalled = max(c.reinstalled, ev.Vigil.Collector.Counters["rules_reinstalled"])
		}
		if ev.Event.Action == "audit_config_changed" && ev.Auditd != nil &&
			ev.Auditd.Data["op"] == "remove_rule" && strings.HasPrefix(ev.Auditd.Data["key"], "vigil") {
			c.removals++
		}
		if ev.Event.Action != "exec" || ev.Process == nil || len(ev.Process.Args) != 2 || ev.Process.Args[0] != "/bin/true" {
			continue
		}
		if a := ev.Process.Args[1]; validStormArg(a, prefix, n) {
			seen[a] = true
		}
	}
	c.captured = int64(len(seen))
	return c, sc.Err()
}

// validStormArg reports whether a is prefix-<0|1>-<1..n>.
func validStormArg(a, prefix string, n int) bool {
	rest, ok := strings.CutPrefix(a, prefix+"-")
	if !ok {
		return false
	}
	loop, i, ok := strings.Cut(rest, "-")
	if !ok || (loop != "0" && loop != "1") {
		return false
	}
	k, err := strconv.Atoi(i)
	return err == nil && k >= 1 && k <= n
}
