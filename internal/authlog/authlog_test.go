package authlog

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

var testRef = time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)

func testOpts() Options { return Options{Ref: testRef, Loc: time.UTC, Source: "/var/log/auth.log"} }

// want describes the fields of one expected event; empty strings are not checked.
type want struct {
	action, outcome, user, effective, ip, port, method, cmd, cwd, tty, group string
	attempts                                                                 int64
	pid                                                                      int64
}

func check(t *testing.T, e event.Event, w want) {
	t.Helper()
	if err := e.Validate(); err != nil {
		t.Errorf("invalid event: %v", err)
	}
	get := func(path string) string {
		v, ok := e.Get(path)
		if !ok {
			return ""
		}
		switch x := v.(type) {
		case string:
			return x
		case int64:
			return strings.TrimSpace(strings.Repeat(" ", 0) + itoa(x))
		}
		return ""
	}
	for _, c := range []struct{ path, want string }{
		{"event.action", w.action}, {"event.outcome", w.outcome}, {"user.name", w.user},
		{"user.effective.name", w.effective}, {"source.ip", w.ip}, {"source.port", w.port},
		{"auth.method", w.method}, {"process.command_line", w.cmd},
		{"process.working_directory", w.cwd}, {"user.terminal", w.tty}, {"group.name", w.group},
	} {
		if c.want != "" && get(c.path) != c.want {
			t.Errorf("%s = %q, want %q", c.path, get(c.path), c.want)
		}
	}
	if w.attempts != 0 && (e.Auth == nil || e.Auth.Attempts != w.attempts) {
		t.Errorf("auth.attempts = %+v, want %d", e.Auth, w.attempts)
	}
	if w.pid != 0 && (e.Process == nil || e.Process.PID == nil || *e.Process.PID != w.pid) {
		t.Errorf("process.pid wrong, want %d", w.pid)
	}
	if e.Message == "" || e.Event.Dataset != Dataset {
		t.Errorf("message %q dataset %q", e.Message, e.Event.Dataset)
	}
}

func itoa(n int64) string {
	var b []byte
	if n == 0 {
		return "0"
	}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestParseLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		want []want
		at   time.Time
	}{
		{"accepted publickey", "Mar  3 10:00:01 web1 sshd[1001]: Accepted publickey for alice from 192.0.2.10 port 50122 ssh2: ED25519 SHA256:Zm9v",
			[]want{{action: "ssh_login", outcome: "success", user: "alice", ip: "192.0.2.10", port: "50122", method: "publickey", pid: 1001}},
			time.Date(2024, 3, 3, 10, 0, 1, 0, time.UTC)},
		{"failed empty invalid user ipv6", "Mar  3 10:00:02 web1 sshd[1002]: Failed password for invalid user  from 2001:db8::7 port 4022 ssh2",
			[]want{{action: "ssh_login", outcome: "failure", ip: "2001:db8::7", port: "4022", method: "password"}}, time.Time{}},
		{"failed user with spaces", "Mar  3 10:00:02 web1 sshd[1002]: Failed password for invalid user a b from 192.0.2.1 port 1 ssh2",
			[]want{{action: "ssh_login", outcome: "failure", user: "a b", ip: "192.0.2.1"}}, time.Time{}},
		{"failed none", "Mar  3 10:00:02 web1 sshd[1002]: Failed none for invalid user x from 192.0.2.1 port 1 ssh2",
			[]want{{action: "ssh_login", outcome: "failure", user: "x", method: "none"}}, time.Time{}},
		{"repeated", "Mar  3 10:00:03 web1 sshd[1003]: message repeated 3 times: [ Failed password for root from 198.51.100.4 port 6000 ssh2]",
			[]want{{action: "ssh_login", outcome: "failure", user: "root", ip: "198.51.100.4"}, {action: "ssh_login"}, {action: "ssh_login"}}, time.Time{}},
		{"invalid user", "Mar  3 10:00:04 web1 sshd[1004]: Invalid user oracle from 198.51.100.5 port 41000",
			[]want{{action: "ssh_invalid_user", outcome: "failure", user: "oracle", ip: "198.51.100.5", port: "41000"}}, time.Time{}},
		{"preauth request", "Mar  3 10:00:04 web1 sshd[1004]: input_userauth_request: invalid user oracle [preauth]",
			[]want{{action: "ssh_preauth", user: "oracle"}}, time.Time{}},
		{"closed by invalid", "Mar  3 10:00:05 web1 sshd[1004]: Connection closed by invalid user oracle 198.51.100.5 port 41000 [preauth]",
			[]want{{action: "ssh_disconnect", user: "oracle", ip: "198.51.100.5", port: "41000"}}, time.Time{}},
		{"received disconnect", "Mar  3 10:00:05 web1 sshd[1004]: Received disconnect from 198.51.100.5 port 41000:11: Bye Bye [preauth]",
			[]want{{action: "ssh_disconnect", ip: "198.51.100.5", port: "41000"}}, time.Time{}},
		{"max attempts", "Mar  3 10:00:05 web1 sshd[1004]: error: maximum authentication attempts exceeded for root from 192.0.2.3 port 22 ssh2 [preauth]",
			[]want{{action: "ssh_max_auth_attempts", outcome: "failure", user: "root", ip: "192.0.2.3"}}, time.Time{}},
		{"pam sshd failure", "Mar  3 10:00:05 web1 sshd[1004]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.8  user=root",
			[]want{{action: "pam_auth_failure", outcome: "failure", user: "root", ip: "192.0.2.8"}}, time.Time{}},
		{"pam legacy host name", "Mar  3 10:00:05 web1 sshd(pam_unix)[1004]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=example.org",
			[]want{{action: "pam_auth_failure", outcome: "failure"}}, time.Time{}},
		{"no identification", "Mar  3 10:00:05 web1 sshd[1004]: Did not receive identification string from 192.0.2.9 port 5",
			[]want{{action: "ssh_protocol_error", ip: "192.0.2.9"}}, time.Time{}},
		{"reverse mapping", "Mar  3 10:00:05 web1 sshd[1004]: reverse mapping checking getaddrinfo for x.example [192.0.2.11] failed - POSSIBLE BREAK-IN ATTEMPT!",
			[]want{{action: "ssh_reverse_mapping_failed", ip: "192.0.2.11"}}, time.Time{}},
		{"sudo command with semicolon", "Mar  3 10:00:06 web1 sudo:    alice : TTY=pts/1 ; PWD=/srv/app ; USER=root ; COMMAND=/bin/sh -c echo a ; echo b",
			[]want{{action: "sudo", outcome: "success", user: "alice", effective: "root", cmd: "/bin/sh -c echo a ; echo b", cwd: "/srv/app", tty: "pts/1"}}, time.Time{}},
		{"sudo wrong password", "Mar  3 10:00:07 web1 sudo:      bob : 2 incorrect password attempts ; TTY=pts/2 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/id",
			[]want{{action: "sudo_auth", outcome: "failure", user: "bob", effective: "root", cmd: "/usr/bin/id", attempts: 2}}, time.Time{}},
		{"sudo not in sudoers", "Mar  3 10:00:07 web1 sudo:      eve : user NOT in sudoers ; TTY=pts/2 ; PWD=/home/eve ; USER=root ; COMMAND=/bin/ls",
			[]want{{action: "sudo_denied", outcome: "failure", user: "eve", effective: "root"}}, time.Time{}},
		{"sudo pam failure", "Mar  3 10:00:07 web1 sudo: pam_unix(sudo:auth): authentication failure; logname=bob uid=1001 euid=0 tty=/dev/pts/2 ruser=bob rhost=  user=bob",
			[]want{{action: "pam_auth_failure", outcome: "failure", user: "bob", tty: "pts/2"}}, time.Time{}},
		{"su to", "Mar  3 10:00:08 web1 su[2001]: (to root) alice on pts/1",
			[]want{{action: "user_login", outcome: "success", user: "alice", effective: "root", tty: "pts/1"}}, time.Time{}},
		{"su failed", "Mar  3 10:00:08 web1 su[2001]: FAILED su for root by alice",
			[]want{{action: "user_login", outcome: "failure", user: "alice", effective: "root"}}, time.Time{}},
		{"su successful", "Mar  3 10:00:08 web1 su[2001]: Successful su for root by alice",
			[]want{{action: "user_login", outcome: "success", user: "alice", effective: "root"}}, time.Time{}},
		{"su session", "Mar  3 10:00:09 web1 su[2001]: pam_unix(su-l:session): session opened for user root(uid=0) by alice(uid=1000)",
			[]want{{action: "user_login", outcome: "success", user: "root"}}, time.Time{}},
		{"cron session closed", "Mar  3 10:00:12 web1 CRON[5001]: pam_unix(cron:session): session closed for user root",
			[]want{{action: "user_logout", user: "root"}}, time.Time{}},
		{"useradd", "Mar  3 10:00:10 web1 useradd[3001]: new user: name=svc, UID=998, GID=998, home=/home/svc, shell=/bin/sh, from=/dev/pts/1",
			[]want{{action: "user_added", user: "svc"}}, time.Time{}},
		{"useradd group", "Mar  3 10:00:10 web1 useradd[3001]: new group: name=svc, GID=998",
			[]want{{action: "group_added", group: "svc"}}, time.Time{}},
		{"useradd shadow twin", "Mar  3 10:00:10 web1 useradd[3001]: add 'svc' to shadow group 'adm'", nil, time.Time{}},
		{"userdel", "Mar  3 10:00:10 web1 userdel[3002]: delete user 'svc'",
			[]want{{action: "user_removed", user: "svc"}}, time.Time{}},
		{"userdel group", "Mar  3 10:00:10 web1 userdel[3002]: removed group 'svc' owned by 'svc'",
			[]want{{action: "group_removed", group: "svc"}}, time.Time{}},
		{"usermod", "Mar  3 10:00:10 web1 usermod[3003]: add 'alice' to group 'sudo'",
			[]want{{action: "group_changed", user: "alice", group: "sudo"}}, time.Time{}},
		{"usermod shell", "Mar  3 10:00:10 web1 usermod[3003]: change user 'alice' shell from '/bin/sh' to '/bin/bash'",
			[]want{{action: "user_changed", user: "alice"}}, time.Time{}},
		{"groupdel", "Mar  3 10:00:10 web1 groupdel[3004]: group 'ops' removed from /etc/group",
			[]want{{action: "group_removed", group: "ops"}}, time.Time{}},
		{"gpasswd", "Mar  3 10:00:10 web1 gpasswd[3005]: user bob added by root to group ops",
			[]want{{action: "group_changed", user: "bob", group: "ops"}}, time.Time{}},
		{"chage", "Mar  3 10:00:10 web1 chage[3006]: changed password expiry for bob",
			[]want{{action: "user_changed", user: "bob"}}, time.Time{}},
		{"passwd", "Mar  3 10:00:16 web1 passwd[700]: pam_unix(passwd:chauthtok): password changed for alice",
			[]want{{action: "password_changed", user: "alice"}}, time.Time{}},
		{"logind new", "Mar  3 10:00:11 web1 systemd-logind[400]: New session 12 of user alice.",
			[]want{{action: "user_login", outcome: "success", user: "alice"}}, time.Time{}},
		{"logind removed", "Mar  3 10:00:11 web1 systemd-logind[400]: Removed session 12.",
			[]want{{action: "user_logout"}}, time.Time{}},
		{"login failed", "Mar  3 10:00:15 web1 login[600]: FAILED LOGIN (1) on '/dev/tty1' FOR 'root', Authentication failure",
			[]want{{action: "user_login", outcome: "failure", user: "root", tty: "tty1"}}, time.Time{}},
		{"root login", "Mar  3 10:00:15 web1 login[600]: ROOT LOGIN  on '/dev/tty1'",
			[]want{{action: "user_login", outcome: "success", user: "root", tty: "tty1"}}, time.Time{}},
		{"rfc5424", "<38>1 2024-03-03T10:00:13.5Z web1 sshd 1005 - - Failed publickey for carol from 203.0.113.9 port 2222 ssh2",
			[]want{{action: "ssh_login", outcome: "failure", user: "carol", method: "publickey", pid: 1005}},
			time.Date(2024, 3, 3, 10, 0, 13, 500000000, time.UTC)},
		{"rfc5424 structured data", `<38>1 2024-03-03T10:00:13Z web1 sshd 1005 ID1 [x@1 a="\]"] Invalid user z from 192.0.2.1`,
			[]want{{action: "ssh_invalid_user", user: "z"}}, time.Date(2024, 3, 3, 10, 0, 13, 0, time.UTC)},
		{"rsyslog file format", "2024-03-03T10:00:14.123456+01:00 web1 sshd[1006]: Accepted keyboard-interactive/pam for dave from 203.0.113.10 port 3333 ssh2",
			[]want{{action: "ssh_login", outcome: "success", user: "dave", method: "keyboard-interactive"}},
			time.Date(2024, 3, 3, 9, 0, 14, 123456000, time.UTC)},
		{"pri 3164", "<86>Mar  3 10:00:01 web1 sshd[1]: Accepted password for a from 192.0.2.1 port 1 ssh2",
			[]want{{action: "ssh_login", outcome: "success"}}, time.Time{}},
		{"year before ref", "Dec 31 23:59:59 web1 sshd[1]: Accepted password for a from 192.0.2.1 port 1 ssh2",
			[]want{{action: "ssh_login"}}, time.Date(2023, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"kernel line", "Mar  3 10:00:01 web1 kernel: [    0.000000] Linux version 6.1", nil, time.Time{}},
		{"cron command", "Mar  3 10:00:01 web1 CRON[9]: (root) CMD (run-parts /etc/cron.hourly)", nil, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := ParseLine([]byte(tc.line+"\n"), 100, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != len(tc.want) {
				t.Fatalf("got %d events, want %d: %+v", len(evs), len(tc.want), evs)
			}
			ids := map[string]bool{}
			for i, w := range tc.want {
				check(t, evs[i], w)
				if ids[evs[i].Event.ID] {
					t.Errorf("duplicate id %s", evs[i].Event.ID)
				}
				ids[evs[i].Event.ID] = true
			}
			if !tc.at.IsZero() && !evs[0].Timestamp.Equal(tc.at) {
				t.Errorf("time %v, want %v", evs[0].Timestamp, tc.at)
			}
			again, _ := ParseLine([]byte(tc.line), 100, testOpts())
			for i := range again {
				if again[i].Event.ID != evs[i].Event.ID {
					t.Errorf("re-parse gave id %s, first %s", again[i].Event.ID, evs[i].Event.ID)
				}
			}
		})
	}
}

func TestParseLineNoHeader(t *testing.T) {
	for _, l := range []string{"", "garbage", "Mar 99 10:00:00 h p: x", "2024-13-01T00:00:00Z h p: x", "<1>1 bad"} {
		if evs, err := ParseLine([]byte(l), 0, testOpts()); err == nil {
			t.Errorf("%q: no error, events %v", l, evs)
		}
	}
}

func TestParseAllFile(t *testing.T) {
	data, err := os.ReadFile("testdata/auth.log")
	if err != nil {
		t.Fatal(err)
	}
	evs, skip, err := ParseAll(bytes.NewReader(data), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(skip) != 1 || skip[0].Line != 15 {
		t.Errorf("skipped %v, want line 15", skip)
	}
	counts := map[string]int{}
	for _, e := range evs {
		if err := e.Validate(); err != nil {
			t.Errorf("%s: %v", e.Message, err)
		}
		counts[e.Event.Action]++
	}
	want := map[string]int{"ssh_login": 7, "ssh_invalid_user": 1, "ssh_disconnect": 1, "sudo": 1, "sudo_auth": 1,
		"user_login": 4, "user_added": 1, "user_logout": 1, "password_changed": 1}
	for a, n := range want {
		if counts[a] != n {
			t.Errorf("%s: %d events, want %d", a, counts[a], n)
		}
	}
}

func TestLongLine(t *testing.T) {
	long := "Mar  3 10:00:01 web1 sshd[1]: Accepted password for " + strings.Repeat("x", 2*MaxLineBytes) + " from 192.0.2.1 port 1 ssh2\n"
	short := "Mar  3 10:00:02 web1 sshd[1]: Accepted password for a from 192.0.2.1 port 1 ssh2\n"
	evs, skip, err := ParseAll(strings.NewReader(long+short), testOpts())
	if err != nil || len(skip) != 0 {
		t.Fatal(err, skip)
	}
	// The cut line lost its " from ..." part and is no attempt; the next
	// line's offset (part of its ID) counts the whole long line.
	want, _ := ParseLine([]byte(short), int64(len(long)), testOpts())
	if len(evs) != 1 || len(want) != 1 || evs[0].Event.ID != want[0].Event.ID {
		t.Fatalf("got %d events, want the short line at offset %d", len(evs), len(long))
	}
}
