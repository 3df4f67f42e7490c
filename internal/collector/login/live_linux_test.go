package login

import (
	"fmt"
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
	"github.com/vigil-sec/vigil/internal/livetest"
)

// TestLiveSSHD starts rsyslogd (auth,authpriv.* to a temporary file, its own
// /dev/log) and Debian's sshd on a free loopback port, makes one failed and
// one successful public-key login for a user it creates, and checks the
// collector reports them as ssh_login events with outcome and source.ip.
func TestLiveSSHD(t *testing.T) {
	livetest.NeedRoot(t, "starts sshd and rsyslogd, creates a user and /dev/log",
		"/usr/sbin/sshd", "/usr/sbin/rsyslogd", "ssh", "ssh-keygen", "useradd", "userdel")
	dir := livetest.Dir(t)
	authLog := livetest.StartRsyslog(t, dir)

	// The collector, reading the new log from its start.
	cfg := fastConfig()
	cfg.AuthLogs, cfg.Wtmp, cfg.Btmp = []string{authLog}, "", ""
	deps := collector.Deps{Root: hostfs.Live(), StateDir: t.TempDir(), FromStart: true, Now: time.Now}
	user := livetest.UserName("vigiltest")

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
	livetest.AddUser(t, user, dir, "")
	for _, k := range []string{"good", "bad"} {
		livetest.Run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k))
	}
	pub, err := os.ReadFile(filepath.Join(dir, "good.pub"))
	if err != nil {
		t.Fatal(err)
	}
	livetest.WriteFile(t, filepath.Join(dir, "authorized_keys"), string(pub), 0o644)
	port := livetest.StartSSHD(t, dir,
		"AuthorizedKeysFile "+filepath.Join(dir, "authorized_keys"),
		"StrictModes no", "UsePAM no", "PasswordAuthentication no", "KbdInteractiveAuthentication no")
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
