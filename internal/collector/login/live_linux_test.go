package login

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

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

// startDaemon starts a foreground daemon and stops it at cleanup.
func startDaemon(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
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

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}

// TestLiveSSHD starts rsyslogd (auth,authpriv.* to a temporary file, its own
// /dev/log) and Debian's sshd on a free loopback port, makes one failed and
// one successful public-key login for a user it creates, and checks the
// collector reports them as ssh_login events with outcome and source.ip.
// sshd runs at LogLevel VERBOSE: OpenSSH 9.2 at INFO logs a rejected public
// key only as "Connection closed by authenticating user ... [preauth]".
func TestLiveSSHD(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: starts sshd and rsyslogd, creates a user and /dev/log")
	}
	for _, bin := range []string{"/usr/sbin/sshd", "/usr/sbin/rsyslogd", "ssh", "ssh-keygen", "useradd", "userdel"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed", bin)
		}
	}
	if _, err := os.Lstat("/dev/log"); err == nil {
		t.Skip("/dev/log exists: a syslog daemon (or another test) owns it")
	}
	// sshd reads authorized_keys as the user: the whole path must be readable,
	// which t.TempDir's 0700 parent is not.
	dir, err := os.MkdirTemp("", "vigil-login-live-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	authLog := filepath.Join(dir, "auth.log")

	// rsyslogd, with the ISO timestamps of RSYSLOG_FileFormat.
	conf := fmt.Sprintf(`global(workDirectory=%q)
module(load="imuxsock" SysSock.Name="/dev/log")
auth,authpriv.* action(type="omfile" file=%q template="RSYSLOG_FileFormat")
`, dir, authLog)
	write(t, filepath.Join(dir, "rsyslog.conf"), conf, 0o644)
	t.Cleanup(func() { os.Remove("/dev/log") })
	startDaemon(t, "/usr/sbin/rsyslogd", "-n", "-f", filepath.Join(dir, "rsyslog.conf"), "-i", filepath.Join(dir, "rsyslog.pid"))
	if !waitFor(func() bool { _, err := os.Stat("/dev/log"); return err == nil }) {
		t.Fatal("rsyslogd did not create /dev/log")
	}

	// The collector, reading the new log from its start.
	cfg := fastConfig()
	cfg.AuthLogs, cfg.Wtmp, cfg.Btmp = []string{authLog}, "", ""
	deps := collector.Deps{Root: hostfs.Live(), StateDir: t.TempDir(), FromStart: true, Now: time.Now}
	user := "vigiltest" + strconv.Itoa(os.Getpid()%100000)

	var evs []event.Event
	evs = runCollector(t, cfg, deps, func(got []event.Event) bool {
		if evs == nil {
			evs = []event.Event{} // only once: set up and log in
			sshLogins(t, dir, user)
		}
		return count(got, "ssh_login", "success") >= 1 && count(got, "ssh_login", "failure") >= 1
	})
	data, _ := os.ReadFile(authLog)
	var failed, ok *event.Event
	for i, e := range evs {
		if e.Event.Action != "ssh_login" {
			continue
		}
		if e.User == nil || e.User.Name != user {
			t.Errorf("ssh_login for another user: %s", e.Message)
		}
		if e.Source == nil || e.Source.IP != "127.0.0.1" || e.Source.Port == nil {
			t.Errorf("ssh_login without source 127.0.0.1 and port: %s", e.Message)
		}
		if e.Event.Outcome == "failure" {
			failed = &evs[i]
		} else {
			ok = &evs[i]
		}
	}
	if failed == nil || ok == nil {
		t.Fatalf("want one failed and one successful ssh_login; auth log:\n%s", data)
	}
	if ok.Auth == nil || ok.Auth.Method != "publickey" {
		t.Errorf("success method %+v", ok.Auth)
	}
	if count(evs, "user_added", "") == 0 {
		t.Errorf("no user_added event for useradd; auth log:\n%s", data)
	}
}

// sshLogins creates user, starts sshd and logs in once with a key that is not
// authorized and once with one that is.
func sshLogins(t *testing.T, dir, user string) {
	t.Helper()
	run(t, "useradd", "-M", "-d", dir, "-s", "/bin/sh", user)
	t.Cleanup(func() { exec.Command("userdel", user).Run() })
	run(t, "usermod", "-p", "*", user) // not locked, no password
	for _, k := range []string{"hostkey", "good", "bad"} {
		run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k))
	}
	pub, err := os.ReadFile(filepath.Join(dir, "good.pub"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "authorized_keys"), string(pub), 0o644)
	if _, err := os.Stat("/run/sshd"); err != nil {
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove("/run/sshd") })
	}
	port := freePort(t)
	write(t, filepath.Join(dir, "sshd_config"), fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s/hostkey
PidFile %s/sshd.pid
AuthorizedKeysFile %s/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
SyslogFacility AUTH
LogLevel VERBOSE
`, port, dir, dir, dir), 0o644)
	startDaemon(t, "/usr/sbin/sshd", "-D", "-f", filepath.Join(dir, "sshd_config"))
	if !waitFor(func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		t.Fatal("sshd did not listen")
	}
	login := func(key string) error {
		cmd := exec.Command("ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
			"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
			"-i", filepath.Join(dir, key), "-p", strconv.Itoa(port), user+"@127.0.0.1", "true")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	if err := login("bad"); err == nil {
		t.Error("login with an unauthorized key succeeded")
	}
	if err := login("good"); err != nil {
		t.Errorf("login with the authorized key: %v", err)
	}
}

func write(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}
