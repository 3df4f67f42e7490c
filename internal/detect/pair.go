package detect

import (
	"slices"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// Defaults of the pairing of observations reported by two collectors.
const (
	// DefaultPairWindow is the largest gap between the @timestamp of the
	// two observations of one attempt. Measured on Debian 12 (OpenSSH 9.2,
	// rsyslogd): the auth-log line of a failed sshd password comes 2.3 s
	// after its audit USER_AUTH record, pam_unix's 2 s failure delay
	// included; a longer delay configured with pam_faildelay lengthens it.
	DefaultPairWindow = 10 * time.Second
	// DefaultPairRetain is how far a host's newest event time may move past
	// an unpaired observation before it is forgotten. It covers one
	// collector shipping later than the other.
	DefaultPairRetain = time.Minute
	// DefaultPairMax bounds the unpaired observations kept (all hosts).
	DefaultPairMax = 10000
)

// DefaultPairDatasets are the two datasets whose observations are paired:
// the audit collector's and the login (auth log) collector's.
var DefaultPairDatasets = [2]string{"vigil.audit", "vigil.login"}

// DefaultPairActions are the event.action values both collectors report
// as one observation each of the same attempt. sudo_auth and su's
// user_login are left out: see docs/alerts.md, "One attempt, two
// observations".
var DefaultPairActions = []string{event.ActionSSHLogin}

// PairOptions configure a Pairer. The zero value uses the defaults above.
type PairOptions struct {
	// Window is the largest @timestamp gap within a pair (default
	// DefaultPairWindow).
	Window time.Duration
	// Retain is how long, in the host's event time, an unpaired observation
	// waits for its partner (default DefaultPairRetain; at least Window).
	Retain time.Duration
	// Max bounds the unpaired observations kept (default DefaultPairMax).
	Max int
	// Actions are the event.action values paired (default
	// DefaultPairActions).
	Actions []string
	// Datasets are the two event.dataset values paired with each other
	// (default DefaultPairDatasets).
	Datasets [2]string
}

// PairStats counts what a Pairer did.
type PairStats struct {
	// Paired is the number of second observations recognised (and left
	// out of evaluation).
	Paired uint64 `json:"paired"`
	// Evicted is the number of unpaired observations forgotten because
	// Max was reached before they expired; a partner arriving later is
	// evaluated as a separate attempt.
	Evicted uint64 `json:"evicted"`
	// Pending is the number of unpaired observations kept now.
	Pending int `json:"pending"`
}

// Pairer recognises the second observation of an authentication attempt
// that two collectors report: the audit USER_AUTH record and the auth-log
// line of one sshd attempt. Two events form a pair when they come from the
// two different Datasets and have the same event.action (one of Actions),
// event.outcome, host, process.pid, user.name and source.ip, and their
// @timestamps are at most Window apart. Pairs are 1:1 and only across
// datasets: the repeated attempts of one SSH connection (same pid, user
// and address) from one dataset never pair with each other. Each event is
// paired with the oldest waiting observation of the other dataset.
//
// A Pairer is safe for concurrent use. Its memory is bounded by Max.
type Pairer struct {
	window, retain time.Duration
	max            int
	actions        map[string]bool
	datasets       [2]string

	mu      sync.Mutex
	waiting map[pairKey][]*pending
	queue   []*pending            // insertion order, for expiry and eviction
	hosts   map[string]*hostClock // hosts with waiting observations
	stats   PairStats
}

type pairKey struct {
	action, outcome, host, user, ip string
	pid                             int64
}

// hostClock is a host's newest event time and how many of its
// observations wait.
type hostClock struct {
	newest  time.Time
	waiting int
}

type pending struct {
	key     pairKey
	dataset string
	at      time.Time
	done    bool // paired, expired or evicted
}

// NewPairer returns a Pairer with opts (zero fields take the defaults).
func NewPairer(opts PairOptions) *Pairer {
	p := &Pairer{
		window:   opts.Window,
		retain:   opts.Retain,
		max:      opts.Max,
		actions:  map[string]bool{},
		datasets: opts.Datasets,
		waiting:  map[pairKey][]*pending{},
		hosts:    map[string]*hostClock{},
	}
	if p.window <= 0 {
		p.window = DefaultPairWindow
	}
	if p.retain <= 0 {
		p.retain = DefaultPairRetain
	}
	p.retain = max(p.retain, p.window)
	if p.max <= 0 {
		p.max = DefaultPairMax
	}
	if p.datasets == [2]string{} {
		p.datasets = DefaultPairDatasets
	}
	acts := opts.Actions
	if acts == nil {
		acts = DefaultPairActions
	}
	for _, a := range acts {
		p.actions[a] = true
	}
	return p
}

// Second reports whether e is the second observation of an attempt whose
// first observation (from the other dataset) was passed to Second before;
// the caller then leaves e out of evaluation. Otherwise e, when it is an
// event that can be paired, waits for its partner, and Second returns false.
// Pass each event once, in the order they are evaluated.
func (p *Pairer) Second(e *event.Event) bool {
	key, ok := p.key(e)
	if !ok {
		return false
	}
	ds := e.Event.Dataset
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.hosts[key.host]
	if h == nil {
		h = &hostClock{}
		p.hosts[key.host] = h
	}
	if e.Timestamp.After(h.newest) {
		h.newest = e.Timestamp
	}
	list := p.waiting[key]
	for i, w := range list {
		if w.dataset == ds || absDuration(e.Timestamp.Sub(w.at)) > p.window {
			continue
		}
		p.remove(w, i)
		p.stats.Paired++
		return true
	}
	w := &pending{key: key, dataset: ds, at: e.Timestamp}
	p.waiting[key] = append(list, w)
	p.queue = append(p.queue, w)
	h.waiting++
	p.stats.Pending++
	p.trim()
	return false
}

// Stats returns the counts so far.
func (p *Pairer) Stats() PairStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// key returns the pairing key of e, or false when e is not paired: not one
// of the actions, not from one of the datasets, or without a process ID.
func (p *Pairer) key(e *event.Event) (pairKey, bool) {
	if !p.actions[e.Event.Action] || e.Process == nil || e.Process.PID == nil ||
		(e.Event.Dataset != p.datasets[0] && e.Event.Dataset != p.datasets[1]) {
		return pairKey{}, false
	}
	k := pairKey{action: e.Event.Action, outcome: e.Event.Outcome, pid: *e.Process.PID}
	if e.Host != nil {
		k.host = e.Host.ID + "\x00" + e.Host.Name
	}
	if e.User != nil {
		k.user = e.User.Name
	}
	if e.Source != nil {
		k.ip = e.Source.IP
	}
	return k, true
}

// trim drops, from the front of the queue, entries already paired, entries
// whose host's newest event time is more than retain past them, and, while
// more than max wait, the oldest (counted as evicted). Expired entries
// behind a live one stay until they reach the front; they still count
// towards max.
func (p *Pairer) trim() {
	n := 0
	for ; n < len(p.queue); n++ {
		w := p.queue[n]
		if w.done {
			continue
		}
		if p.hosts[w.key.host].newest.Sub(w.at) > p.retain {
			p.remove(w, -1)
			continue
		}
		if p.stats.Pending > p.max {
			p.remove(w, -1)
			p.stats.Evicted++
			continue
		}
		break
	}
	clear(p.queue[:n])
	p.queue = p.queue[n:]
}

// remove takes a waiting entry out of its key's list (at index i when
// known, else looked up) and out of the counts; the queue drops it later.
func (p *Pairer) remove(w *pending, i int) {
	w.done = true
	list := p.waiting[w.key]
	if i < 0 {
		i = slices.Index(list, w)
	}
	if i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	if len(list) == 0 {
		delete(p.waiting, w.key)
	} else {
		p.waiting[w.key] = list
	}
	p.stats.Pending--
	if h := p.hosts[w.key.host]; h != nil {
		if h.waiting--; h.waiting <= 0 {
			delete(p.hosts, w.key.host)
		}
	}
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
