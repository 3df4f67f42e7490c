package detect_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
)

const (
	dsAudit = "vigil.audit"
	dsLogin = "vigil.login"
)

// bruteRule is the pack's "SSH Brute Force From One Source" (≥ 8 failed
// ssh_login from one source.ip within 2 minutes).
const bruteRule = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e01"

// sshAttempt is one observation of an SSH authentication attempt as the
// audit collector (USER_AUTH, no source port) or the login collector
// (auth-log line, with the port) reports it.
type sshAttempt struct {
	ds      string
	off     time.Duration
	pid     int64
	user    string
	ip      string
	outcome string
	host    string
}

func (a sshAttempt) event() event.Event {
	if a.user == "" {
		a.user = "alice"
	}
	if a.ip == "" {
		a.ip = "203.0.113.9"
	}
	if a.outcome == "" {
		a.outcome = event.OutcomeFailure
	}
	if a.host == "" {
		a.host = "web1"
	}
	ts := t0.Add(a.off)
	e := event.Event{
		Timestamp: ts,
		Event: event.Meta{
			ID:       event.DeterministicID(ts, a.ds, fmt.Sprint(a.pid), a.user, a.ip),
			Kind:     event.KindEvent,
			Category: []string{event.CategoryAuthentication},
			Type:     []string{event.TypeStart},
			Action:   event.ActionSSHLogin,
			Outcome:  a.outcome,
			Dataset:  a.ds,
		},
		Host:    &event.Host{Name: a.host},
		Process: &event.Process{PID: new(a.pid), Name: "sshd", Executable: "/usr/sbin/sshd"},
		User:    &event.User{Name: a.user},
		Source:  &event.Endpoint{IP: a.ip},
	}
	if a.ds == dsLogin {
		e.Source.Port = new(int64(40000 + a.pid%1000))
	}
	return e
}

func TestPairerSecond(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		evs  []sshAttempt
		want []bool // Second for each event, in order
	}{
		{
			name: "cross-dataset pair collapses",
			evs:  []sshAttempt{{ds: dsAudit, pid: 100}, {ds: dsLogin, off: 2300 * ms, pid: 100}},
			want: []bool{false, true},
		},
		{
			name: "auth log first, audit second",
			evs:  []sshAttempt{{ds: dsLogin, pid: 100}, {ds: dsAudit, off: 300 * ms, pid: 100}},
			want: []bool{false, true},
		},
		{
			name: "same-connection repeats from one dataset stay separate",
			evs: []sshAttempt{
				{ds: dsAudit, pid: 100}, {ds: dsAudit, off: 2 * time.Second, pid: 100},
				{ds: dsAudit, off: 4 * time.Second, pid: 100},
			},
			want: []bool{false, false, false},
		},
		{
			name: "same-connection repeats from both datasets pair 1:1",
			evs: []sshAttempt{
				{ds: dsAudit, pid: 100}, {ds: dsAudit, off: 2 * time.Second, pid: 100},
				{ds: dsAudit, off: 4 * time.Second, pid: 100},
				{ds: dsLogin, off: 2300 * ms, pid: 100}, {ds: dsLogin, off: 4300 * ms, pid: 100},
				{ds: dsLogin, off: 6300 * ms, pid: 100}, {ds: dsLogin, off: 6400 * ms, pid: 100},
			},
			want: []bool{false, false, false, true, true, true, false},
		},
		{
			name: "out of window stays separate",
			evs:  []sshAttempt{{ds: dsAudit, pid: 100}, {ds: dsLogin, off: detect.DefaultPairWindow + ms, pid: 100}},
			want: []bool{false, false},
		},
		{
			name: "at the window edge pairs",
			evs:  []sshAttempt{{ds: dsAudit, off: detect.DefaultPairWindow, pid: 100}, {ds: dsLogin, pid: 100}},
			want: []bool{false, true},
		},
		{
			name: "different pid stays separate",
			evs:  []sshAttempt{{ds: dsAudit, pid: 100}, {ds: dsLogin, off: 2300 * ms, pid: 101}},
			want: []bool{false, false},
		},
		{
			name: "different user stays separate",
			evs:  []sshAttempt{{ds: dsAudit, pid: 100}, {ds: dsLogin, pid: 100, user: "bob"}},
			want: []bool{false, false},
		},
		{
			name: "different source stays separate",
			evs:  []sshAttempt{{ds: dsAudit, pid: 100}, {ds: dsLogin, pid: 100, ip: "198.51.100.1"}},
			want: []bool{false, false},
		},
		{
			name: "different outcome stays separate",
			evs:  []sshAttempt{{ds: dsAudit, pid: 100}, {ds: dsLogin, pid: 100, outcome: event.OutcomeSuccess}},
			want: []bool{false, false},
		},
		{
			name: "different host stays separate",
			evs:  []sshAttempt{{ds: dsAudit, pid: 100}, {ds: dsLogin, pid: 100, host: "web2"}},
			want: []bool{false, false},
		},
		{
			name: "a third observation finds no partner",
			evs: []sshAttempt{
				{ds: dsAudit, pid: 100}, {ds: dsLogin, off: 2300 * ms, pid: 100},
				{ds: dsLogin, off: 2400 * ms, pid: 100},
			},
			want: []bool{false, true, false},
		},
		{
			name: "other datasets are not paired",
			evs:  []sshAttempt{{ds: "vigil.other", pid: 100}, {ds: dsLogin, pid: 100}, {ds: "vigil.other", pid: 100}},
			want: []bool{false, false, false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := detect.NewPairer(detect.PairOptions{})
			var got []bool
			for _, a := range tt.evs {
				e := a.event()
				got = append(got, p.Second(&e))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Second = %v, want %v", got, tt.want)
			}
			paired, pairable := 0, 0
			for i, b := range tt.want {
				if b {
					paired++
				}
				if ds := tt.evs[i].ds; ds == dsAudit || ds == dsLogin {
					pairable++
				}
			}
			if s := p.Stats(); s.Paired != uint64(paired) || s.Pending != pairable-2*paired {
				t.Errorf("stats %+v, want %d paired and %d pending", s, paired, pairable-2*paired)
			}
		})
	}
}

func TestPairerUnpairable(t *testing.T) {
	p := detect.NewPairer(detect.PairOptions{})
	noPID := sshAttempt{ds: dsAudit, pid: 100}.event()
	noPID.Process = nil
	exec := execEvent(0, "ls")
	exec.Event.Dataset = dsAudit
	for _, e := range []event.Event{noPID, noPID, exec, exec} {
		if p.Second(&e) {
			t.Errorf("event %s %s paired", e.Event.Dataset, e.Event.Action)
		}
	}
	if s := p.Stats(); s.Pending != 0 {
		t.Errorf("%d pending, want none kept", s.Pending)
	}
}

// TestPairerBound: at most Max observations wait; beyond, the oldest is
// forgotten and counted, and its late partner is not paired.
func TestPairerBound(t *testing.T) {
	p := detect.NewPairer(detect.PairOptions{Max: 3})
	for pid := range int64(5) {
		e := sshAttempt{ds: dsAudit, pid: 100 + pid, off: time.Duration(pid) * time.Millisecond}.event()
		if p.Second(&e) {
			t.Fatalf("audit event of pid %d paired", 100+pid)
		}
	}
	if s := p.Stats(); s.Pending != 3 || s.Evicted != 2 {
		t.Fatalf("stats %+v, want 3 pending and 2 evicted", s)
	}
	for _, c := range []struct {
		pid  int64
		want bool
	}{{102, true}, {103, true}, {104, true}, {100, false}, {101, false}} {
		e := sshAttempt{ds: dsLogin, pid: c.pid, off: 2300 * time.Millisecond}.event()
		if got := p.Second(&e); got != c.want {
			t.Errorf("auth-log event of pid %d: Second = %v, want %v", c.pid, got, c.want)
		}
	}
}

// TestPairerRetain: an observation is forgotten once its host's events have
// moved more than Retain past it; other hosts' events do not age it.
func TestPairerRetain(t *testing.T) {
	p := detect.NewPairer(detect.PairOptions{Retain: 10 * time.Second})
	for _, a := range []sshAttempt{
		{ds: dsAudit, pid: 100},
		{ds: dsAudit, pid: 200, host: "web2"},
		{ds: dsAudit, pid: 300, host: "web2", off: time.Minute}, // ages web2 only
		{ds: dsAudit, pid: 101, off: 11 * time.Second},          // ages web1's pid 100
	} {
		e := a.event()
		p.Second(&e)
	}
	if s := p.Stats(); s.Pending != 2 || s.Evicted != 0 {
		t.Fatalf("stats %+v, want 2 pending (pids 101 and 300), none evicted", s)
	}
	for _, a := range []sshAttempt{
		{ds: dsLogin, pid: 100, off: 2300 * time.Millisecond},
		{ds: dsLogin, pid: 200, host: "web2", off: 2300 * time.Millisecond},
	} {
		e := a.event()
		if p.Second(&e) {
			t.Errorf("pid %d on %s paired after its partner expired", a.pid, a.host)
		}
	}
}

func TestPairerConcurrent(t *testing.T) {
	p := detect.NewPairer(detect.PairOptions{})
	const n = 200
	var wg sync.WaitGroup
	for _, ds := range []string{dsAudit, dsLogin} {
		wg.Go(func() {
			for i := range int64(n) {
				e := sshAttempt{ds: ds, pid: 1000 + i}.event()
				p.Second(&e)
			}
		})
	}
	wg.Wait()
	if s := p.Stats(); s.Paired != n || s.Pending != 0 {
		t.Errorf("stats %+v, want %d paired and none pending", s, n)
	}
}

// attempts returns n SSH attempts from one address, each on its own
// connection (pid), 3 s apart, observed by the audit collector and 2.3 s
// later by the auth log, in the order a server receives them when each
// collector ships its own batch: all audit events, then all auth-log ones.
func attempts(n int, from time.Duration) (audit, login []event.Event) {
	for i := range n {
		off := from + time.Duration(i)*3*time.Second
		pid := int64(5000 + int(from/time.Second) + i)
		audit = append(audit, sshAttempt{ds: dsAudit, pid: pid, off: off}.event())
		login = append(login, sshAttempt{ds: dsLogin, pid: pid, off: off + 2300*time.Millisecond}.event())
	}
	return audit, login
}

func bruteAlerts(as []detect.Alert) []detect.Alert {
	var out []detect.Alert
	for _, a := range as {
		if a.Rule.ID == bruteRule {
			out = append(out, a)
		}
	}
	return out
}

// TestBruteForceCountsEachAttemptOnce: 4 attempts seen by both collectors
// are 4 failures, not 8; 4 more make 8 and raise one alert whose event IDs
// are the evaluated (first) observation of each attempt.
func TestBruteForceCountsEachAttemptOnce(t *testing.T) {
	d := mustNew(t, detect.Options{})
	audit, login := attempts(4, 0)
	if got := bruteAlerts(append(process(t, d, audit...), process(t, d, login...)...)); len(got) != 0 {
		t.Fatalf("4 attempts seen twice raised %d brute-force alerts: %+v", len(got), got)
	}
	audit2, login2 := attempts(4, 20*time.Second)
	got := bruteAlerts(append(process(t, d, audit2...), process(t, d, login2...)...))
	if len(got) != 1 {
		t.Fatalf("8 attempts seen twice raised %d brute-force alerts, want 1: %+v", len(got), got)
	}
	var want []string
	for _, e := range append(audit, audit2...) {
		want = append(want, e.Event.ID)
	}
	if !slices.Equal(got[0].EventIDs, want) {
		t.Errorf("event ids %v, want the 8 audit observations %v", got[0].EventIDs, want)
	}
	if s := d.PairStats(); s.Paired != 8 || s.Pending != 0 {
		t.Errorf("pair stats %+v, want 8 paired, none pending", s)
	}
}

// TestBruteForceOneCollector: with only the auth log, 8 attempts still
// raise the alert (unpaired events are evaluated as they are).
func TestBruteForceOneCollector(t *testing.T) {
	for _, ds := range []string{dsAudit, dsLogin} {
		t.Run(ds, func(t *testing.T) {
			d := mustNew(t, detect.Options{})
			audit, login := attempts(8, 0)
			evs := audit
			if ds == dsLogin {
				evs = login
			}
			if got := bruteAlerts(process(t, d, evs[:7]...)); len(got) != 0 {
				t.Fatalf("7 attempts raised %+v", got)
			}
			if got := bruteAlerts(process(t, d, evs[7])); len(got) != 1 {
				t.Fatalf("8 attempts raised %d brute-force alerts, want 1", len(got))
			}
		})
	}
}

// TestBruteForceOneConnection: 8 attempts on one connection (one pid,
// MaxAuthTries 8) seen by both collectors, interleaved, are 8 failures.
func TestBruteForceOneConnection(t *testing.T) {
	d := mustNew(t, detect.Options{})
	var evs []event.Event
	for i := range 8 {
		off := time.Duration(i) * 2 * time.Second
		evs = append(evs, sshAttempt{ds: dsAudit, pid: 77, off: off}.event(),
			sshAttempt{ds: dsLogin, pid: 77, off: off + 2300*time.Millisecond}.event())
	}
	if got := bruteAlerts(process(t, d, evs[:14]...)); len(got) != 0 {
		t.Fatalf("7 attempts seen twice raised %+v", got)
	}
	if got := bruteAlerts(process(t, d, evs[14:]...)); len(got) != 1 {
		t.Fatalf("8 attempts seen twice raised %d brute-force alerts, want 1", len(got))
	}
}
