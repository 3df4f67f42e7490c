package livetest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// lock takes the machine-wide test lock of the given name until the test
// ends.
func lock(tb testing.TB, name string) {
	tb.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "vigil-"+name+"-live-test.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	})
}

// NeedRoot skips the test unless it runs as root and every program in bins
// is installed. why says what the test does that needs root.
func NeedRoot(tb testing.TB, why string, bins ...string) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skipf("needs root: %s", why)
	}
	for _, bin := range bins {
		if _, err := exec.LookPath(bin); err != nil {
			tb.Skipf("%s not installed", bin)
		}
	}
}

// Dir returns a new temporary directory readable by every user (sshd reads
// authorized_keys as the user logging in, which t.TempDir's 0700 parent
// does not allow), removed when the test ends.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "vigil-live-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// WriteFile writes a file or fails the test.
func WriteFile(tb testing.TB, path, data string, mode os.FileMode) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		tb.Fatal(err)
	}
}

// Run runs a program to its end and fails the test when it fails.
func Run(tb testing.TB, name string, args ...string) {
	tb.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		tb.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
}

// StartDaemon starts a program that stays in the foreground and stops it
// (interrupt, then kill after 5 s) when the test ends.
func StartDaemon(tb testing.TB, name string, args ...string) {
	tb.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	tb.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitFor polls cond every 50 ms until it holds (true) or d passes (false).
func WaitFor(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// StartRsyslog starts rsyslogd with its own /dev/log, writing auth and
// authpriv messages with ISO timestamps (RSYSLOG_FileFormat) to
// dir/auth.log, and returns that path. It takes a machine-wide lock first
// (one /dev/log per machine), and skips the test when not root, when
// rsyslogd is missing or when /dev/log exists already (a syslog daemon
// owns it). The auth log exists when StartRsyslog returns.
func StartRsyslog(tb testing.TB, dir string) string {
	tb.Helper()
	NeedRoot(tb, "starts rsyslogd with its own /dev/log", "/usr/sbin/rsyslogd")
	lock(tb, "syslog")
	if _, err := os.Lstat("/dev/log"); err == nil {
		tb.Skip("/dev/log exists: a syslog daemon owns it")
	}
	authLog := filepath.Join(dir, "auth.log")
	// Created here so that a reader started right after finds it, and reads
	// it from its start on.
	WriteFile(tb, authLog, "", 0o640)
	conf := fmt.Sprintf(`global(workDirectory=%q)
module(load="imuxsock" SysSock.Name="/dev/log")
auth,authpriv.* action(type="omfile" file=%q template="RSYSLOG_FileFormat")
`, dir, authLog)
	WriteFile(tb, filepath.Join(dir, "rsyslog.conf"), conf, 0o644)
	tb.Cleanup(func() { os.Remove("/dev/log") })
	StartDaemon(tb, "/usr/sbin/rsyslogd", "-n", "-f", filepath.Join(dir, "rsyslog.conf"), "-i", filepath.Join(dir, "rsyslog.pid"))
	if !WaitFor(10*time.Second, func() bool { _, err := os.Stat("/dev/log"); return err == nil }) {
		tb.Fatal("rsyslogd did not create /dev/log")
	}
	return authLog
}

// StartSSHD starts Debian's sshd in the foreground on a free port of
// 127.0.0.1, with a new host key in dir, SyslogFacility AUTH, LogLevel
// VERBOSE and the extra sshd_config lines given (authentication options),
// waits until it listens and returns the port. It stops at the end of the
// test. LogLevel VERBOSE because OpenSSH 9.2 at INFO logs a rejected public
// key only as "Connection closed by authenticating user ... [preauth]".
func StartSSHD(tb testing.TB, dir string, extra ...string) int {
	tb.Helper()
	NeedRoot(tb, "starts sshd", "/usr/sbin/sshd", "ssh-keygen")
	if _, err := os.Stat("/run/sshd"); err != nil {
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { os.Remove("/run/sshd") })
	}
	hostKey := filepath.Join(dir, "ssh_host_ed25519_key")
	Run(tb, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey)
	port := FreePort(tb)
	conf := fmt.Sprintf("Port %d\nListenAddress 127.0.0.1\nHostKey %s\nPidFile %s\nSyslogFacility AUTH\nLogLevel VERBOSE\n%s\n",
		port, hostKey, filepath.Join(dir, "sshd.pid"), strings.Join(extra, "\n"))
	WriteFile(tb, filepath.Join(dir, "sshd_config"), conf, 0o644)
	StartDaemon(tb, "/usr/sbin/sshd", "-D", "-f", filepath.Join(dir, "sshd_config"))
	if !WaitFor(10*time.Second, func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		tb.Fatal("sshd did not listen")
	}
	return port
}

// UserName returns a test user name unique to this process.
func UserName(prefix string) string {
	return prefix + strconv.Itoa(os.Getpid()%100000)
}

// AddUser creates a local user with home (not created) and /bin/sh as its
// shell, and deletes it when the test ends. An empty password leaves the
// account unlocked without a password (key logins only); otherwise the
// password is set.
func AddUser(tb testing.TB, name, home, password string) {
	tb.Helper()
	NeedRoot(tb, "creates a local user", "useradd", "usermod", "userdel", "chpasswd")
	Run(tb, "useradd", "-M", "-d", home, "-s", "/bin/sh", name)
	tb.Cleanup(func() { exec.Command("userdel", name).Run() })
	if password == "" {
		Run(tb, "usermod", "-p", "*", name)
		return
	}
	cmd := exec.Command("chpasswd")
	cmd.Stdin = strings.NewReader(name + ":" + password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("chpasswd: %v: %s", err, out)
	}
}
