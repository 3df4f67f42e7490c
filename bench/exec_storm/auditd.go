package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

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
	return os.WriteFile(filepath.Join(dir, "auditd.conf"), []byte(strings.Join(out, "\n")+"\n"), 0o600)
}

// runAuditd runs the storm with Debian's auditd owning audit, the same
// execve/execveat rule as vigil's and backlog_limit 8192, logging to a file.
func runAuditd(tmp string, n, round int) (result, error) {
	const key = "benchstorm"
	dir := filepath.Join(tmp, fmt.Sprintf("auditd-%d", round))
	if err := os.Mkdir(dir, 0o700); err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	logFile := filepath.Join(dir, "audit.log")
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
	lost0 := kernelLost()
	cpu0, _ := procUsage(cmd.Process.Pid)
	prefix := fmt.Sprintf("auditdstorm%d", round)
	wall, err := storm(n, prefix)
	if err != nil {
		return result{}, err
	}
	settle(logFile, 3*time.Second, 60*time.Second)
	cpu1, hwm := procUsage(cmd.Process.Pid)
	r := result{name: "auditd", round: round, wall: wall, cpu: cpu1 - cpu0, hwmKB: hwm, lost: kernelLost() - lost0}
	r.captured, err = countInLog(logFile, prefix, n)
	return r, err
}

// auditEnabled returns the kernel's audit enabled flag as auditctl prints it.
func auditEnabled() string {
	return auditStatus("enabled", "0")
}

func kernelLost() int64 {
	n, _ := strconv.ParseInt(auditStatus("lost", "0"), 10, 64)
	return n
}

func auditStatus(field, def string) string {
	b, err := exec.Command("auditctl", "-s").Output()
	if err != nil {
		return def
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+" "); ok {
			return strings.TrimSpace(v)
		}
	}
	return def
}

// countInLog counts the distinct EXECVE records of the storm: argc=2,
// a0="/bin/true", a1="prefix-<loop>-<i>".
func countInLog(p, prefix string, n int) (int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	seen := make(map[string]bool, 2*n)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "type=EXECVE") || !strings.Contains(line, ` argc=2 a0="/bin/true" `) {
			continue
		}
		_, a1, ok := strings.Cut(line, ` a1="`)
		if !ok {
			continue
		}
		a1, _, _ = strings.Cut(a1, `"`)
		if validStormArg(a1, prefix, n) {
			seen[a1] = true
		}
	}
	return int64(len(seen)), sc.Err()
}
