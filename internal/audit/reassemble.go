package audit

import (
	"strconv"
	"time"
)

// Event is the group of records that share one (time, serial) stamp: one
// syscall with its PATH, CWD, EXECVE, PROCTITLE... records, or one
// user-space message.
type Event struct {
	Serial  uint64
	Time    time.Time
	Records []*Record
	// TimedOut is set when the event ended without its EOE record (timeout,
	// eviction, Flush). Standalone records never wait for an EOE.
	TimedOut bool
	// Incomplete is set when records are known to be missing: a SYSCALL's
	// companion records without the SYSCALL, fewer PATH records than the
	// SYSCALL's items=, fewer EXECVE arguments than argc=, or records
	// dropped because the event passed its bounds. Such events arrive when
	// the kernel drops single records (backlog_wait_time 0) or a reader
	// falls behind.
	Incomplete bool
	bytes      int
}

// First returns the event's first record of type t, or nil.
func (e *Event) First(t RecordType) *Record {
	for _, r := range e.Records {
		if r.Type == t {
			return r
		}
	}
	return nil
}

// Config bounds and times the Reassembler. Zero fields take the defaults.
type Config struct {
	// Timeout is how long an event without its EOE waits for more records
	// (default 2 s). It is also the window in which out-of-order serials are
	// waited for before a missing serial counts as lost.
	Timeout time.Duration
	// MaxInFlight bounds the events being assembled (default 4096); beyond
	// it the oldest is emitted as it is and counted in Stats.Evicted.
	MaxInFlight int
	// MaxEventRecords and MaxEventBytes bound one event (default 4096
	// records, 4 MiB of record text); further records are dropped and the
	// event is marked Incomplete.
	MaxEventRecords int
	MaxEventBytes   int
	// MaxGap is the largest jump in serial numbers counted as loss (default
	// 1<<20). A larger jump (a reboot, a serial reset) restarts gap
	// detection and counts in Stats.Resets instead.
	MaxGap uint64
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Second
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 4096
	}
	if c.MaxEventRecords <= 0 {
		c.MaxEventRecords = 4096
	}
	if c.MaxEventBytes <= 0 {
		c.MaxEventBytes = 4 << 20
	}
	if c.MaxGap == 0 {
		c.MaxGap = 1 << 20
	}
	return c
}

// Stats are the Reassembler's counters since it was made.
type Stats struct {
	Records    uint64 // records pushed
	Events     uint64 // events emitted
	TimedOut   uint64 // events emitted without EOE
	Incomplete uint64 // events emitted with records known missing
	Evicted    uint64 // events emitted early because MaxInFlight was reached
	Dropped    uint64 // records dropped because an event passed its bounds
	Lost       uint64 // serial numbers never seen (sequence gaps)
	Late       uint64 // records whose serial was already counted as lost or passed
	Resets     uint64 // serial jumps larger than MaxGap
}

// Gap describes serial numbers that never arrived within the timeout: Count
// of them between FirstSerial and LastSerial (both included; the serials in
// between that did arrive are not counted).
type Gap struct {
	Count       uint64
	FirstSerial uint64
	LastSerial  uint64
}

// Reassembler groups records into events by serial. It is not safe for
// concurrent use; the collector calls it from one goroutine. Memory is
// bounded by Config. Time comes from the caller (now arguments), so log
// replays and tests run on record time.
type Reassembler struct {
	cfg      Config
	emit     func(*Event)
	onGap    func(Gap)
	inflight map[uint64]*Event
	queue    []queued // in-flight events in arrival order, may hold done ones
	head     int
	stats    Stats

	// Gap detection: every serial below next is accounted for; seen holds
	// serials >= next that arrived, with their first arrival time.
	started bool
	next    uint64
	seen    map[uint64]time.Time
}

type queued struct {
	ev      *Event
	arrived time.Time
}

// NewReassembler returns a Reassembler that calls emit for every finished
// event and onGap (may be nil) for every sequence gap found.
func NewReassembler(cfg Config, emit func(*Event), onGap func(Gap)) *Reassembler {
	return &Reassembler{
		cfg:      cfg.withDefaults(),
		emit:     emit,
		onGap:    onGap,
		inflight: make(map[uint64]*Event),
		seen:     make(map[uint64]time.Time),
	}
}

// Stats returns the counters.
func (r *Reassembler) Stats() Stats { return r.stats }

// InFlight returns the number of events being assembled.
func (r *Reassembler) InFlight() int { return len(r.inflight) }

// Push adds one record received at now.
func (r *Reassembler) Push(rec *Record, now time.Time) {
	if rec == nil {
		return
	}
	r.stats.Records++
	r.track(rec.Serial, now)
	ev := r.inflight[rec.Serial]
	if ev == nil {
		if rec.Type == TypeEOE {
			return // the EOE of an event already emitted (or lost)
		}
		if rec.Type.standalone() {
			r.finish(&Event{Serial: rec.Serial, Time: rec.Time, Records: []*Record{rec}}, false)
			return
		}
		if len(r.inflight) >= r.cfg.MaxInFlight {
			r.evictOldest()
		}
		ev = &Event{Serial: rec.Serial, Time: rec.Time}
		r.inflight[rec.Serial] = ev
		r.queue = append(r.queue, queued{ev: ev, arrived: now})
		r.compact()
	}
	if rec.Type == TypeEOE {
		delete(r.inflight, rec.Serial)
		r.finish(ev, false)
		return
	}
	if len(ev.Records) >= r.cfg.MaxEventRecords || ev.bytes+len(rec.Text) > r.cfg.MaxEventBytes {
		r.stats.Dropped++
		ev.Incomplete = true
		return
	}
	ev.bytes += len(rec.Text)
	ev.Records = append(ev.Records, rec)
}

// Tick emits the events that waited longer than the timeout and counts the
// serials that did not arrive within it as lost.
func (r *Reassembler) Tick(now time.Time) {
	deadline := now.Add(-r.cfg.Timeout)
	for r.head < len(r.queue) {
		q := r.queue[r.head]
		if r.inflight[q.ev.Serial] != q.ev {
			r.pop()
			continue
		}
		if q.arrived.After(deadline) {
			break
		}
		r.pop()
		delete(r.inflight, q.ev.Serial)
		r.finish(q.ev, true)
	}
	r.closeGaps(deadline, false)
}

// Flush emits every event in flight (at shutdown) and counts the remaining
// gaps.
func (r *Reassembler) Flush() {
	for r.head < len(r.queue) {
		q := r.queue[r.head]
		r.pop()
		if r.inflight[q.ev.Serial] == q.ev {
			delete(r.inflight, q.ev.Serial)
			r.finish(q.ev, true)
		}
	}
	r.queue, r.head = r.queue[:0], 0
	r.closeGaps(time.Time{}, true)
}

func (r *Reassembler) pop() {
	r.queue[r.head] = queued{}
	r.head++
}

// compact drops emitted entries from the queue when it has grown.
func (r *Reassembler) compact() {
	if r.head < 1024 || r.head < len(r.queue)/2 {
		return
	}
	n := copy(r.queue, r.queue[r.head:])
	clear(r.queue[n:])
	r.queue, r.head = r.queue[:n], 0
}

func (r *Reassembler) evictOldest() {
	for r.head < len(r.queue) {
		q := r.queue[r.head]
		r.pop()
		if r.inflight[q.ev.Serial] == q.ev {
			delete(r.inflight, q.ev.Serial)
			r.stats.Evicted++
			r.finish(q.ev, true)
			return
		}
	}
}

func (r *Reassembler) finish(ev *Event, timedOut bool) {
	ev.TimedOut = timedOut
	if !ev.Incomplete {
		ev.Incomplete = missingRecords(ev)
	}
	r.stats.Events++
	if timedOut {
		r.stats.TimedOut++
	}
	if ev.Incomplete {
		r.stats.Incomplete++
	}
	r.emit(ev)
}

// missingRecords reports whether records of ev are known to be missing.
func missingRecords(ev *Event) bool {
	var sys *Record
	var paths, aux int
	var execve []*Record
	for _, rec := range ev.Records {
		switch rec.Type {
		case TypeSyscall:
			sys = rec
		case TypePath:
			paths++
			aux++
		case TypeExecve:
			execve = append(execve, rec)
			aux++
		case TypeCWD, TypeProctitle, TypeSockaddr:
			aux++
		}
	}
	if sys == nil {
		return aux > 0
	}
	if n, err := strconv.Atoi(sys.Value("items")); err == nil && paths < n {
		return true
	}
	if len(execve) > 0 {
		_, complete := ExecveArgs(execve)
		return !complete
	}
	return false
}

// track does the sequence-gap bookkeeping for one arriving serial.
func (r *Reassembler) track(s uint64, now time.Time) {
	switch {
	case !r.started:
		r.started, r.next = true, s
	case s < r.next:
		switch {
		case r.next > 1<<32-r.cfg.MaxGap && s < r.cfg.MaxGap && r.next <= 1<<32:
			// The kernel's 32-bit serial wrapped: close what is before it.
			r.closeGaps(time.Time{}, true)
			r.next = s
		case r.next-s > r.cfg.MaxGap:
			r.reset(s)
		default:
			if r.inflight[s] == nil {
				r.stats.Late++
			}
			return
		}
	case s-r.next > r.cfg.MaxGap:
		r.reset(s)
	}
	if _, ok := r.seen[s]; !ok {
		r.seen[s] = now
	}
	r.advance()
	if len(r.seen) > 4*r.cfg.MaxInFlight {
		r.closeGaps(time.Time{}, true)
	}
}

func (r *Reassembler) reset(s uint64) {
	r.stats.Resets++
	clear(r.seen)
	r.next = s
}

func (r *Reassembler) advance() {
	for {
		if _, ok := r.seen[r.next]; !ok {
			return
		}
		delete(r.seen, r.next)
		r.next++
	}
}

// closeGaps declares missing every serial below the highest one that
// arrived before deadline (all of them when force is set).
func (r *Reassembler) closeGaps(deadline time.Time, force bool) {
	if len(r.seen) == 0 {
		return
	}
	var top uint64
	found := false
	for s, t := range r.seen {
		if (force || !t.After(deadline)) && (!found || s > top) {
			top, found = s, true
		}
	}
	if !found {
		return
	}
	present := uint64(0)
	for s := range r.seen {
		if s <= top {
			present++
			delete(r.seen, s)
		}
	}
	g := Gap{Count: top - r.next + 1 - present, FirstSerial: r.next, LastSerial: top - 1}
	r.next = top + 1
	r.advance()
	if g.Count > 0 {
		r.stats.Lost += g.Count
		if r.onGap != nil {
			r.onGap(g)
		}
	}
}
