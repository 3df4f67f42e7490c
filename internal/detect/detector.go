package detect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rules"
)

// DefaultSuppression is the suppression window the server uses: a repeat of
// an alert within 10 minutes of its last_seen increments the open alert.
const DefaultSuppression = 10 * time.Minute

// DefaultPoll is how often rule directories are checked for changes.
const DefaultPoll = 2 * time.Second

// Notifier receives every alert the detector creates (not the repeats folded
// into an open alert). Notify must not block: implementations queue.
type Notifier interface {
	Notify(a Alert)
}

// Options configure a Detector. The zero value runs the built-in pack with an
// in-memory store.
type Options struct {
	// NoPack leaves vigil's built-in rule pack out.
	NoPack bool
	// RuleDirs are directories (or single files) of SigmaHQ-format rules,
	// loaded after the pack and watched for changes.
	RuleDirs []string
	// Suppression is the window within which repeats fold into the open
	// alert (default DefaultSuppression; negative: no limit).
	Suppression time.Duration
	// Store keeps the alerts (default a new MemoryStore).
	Store AlertStore
	// Notifier, when set, is told about every new alert.
	Notifier Notifier
	// SelfExecutables are the paths of vigil binaries whose processes (and
	// their children) are not alerted on. The running binary is always
	// included; list the agents' install path when it differs.
	SelfExecutables []string
	// SelfDatasets are event.dataset values of events vigil makes about
	// itself, never alerted on (default "vigil.server").
	SelfDatasets []string
	// Poll is the interval Run checks rule directories at (default
	// DefaultPoll).
	Poll time.Duration
	// Rules tunes compilation (placeholders, correlation bounds).
	Rules rules.Options
	// Pairing configures how the two observations of one authentication
	// attempt (audit and auth log) are recognised, so that only the first
	// is evaluated. The zero value pairs ssh_login events.
	Pairing PairOptions
	// Logger receives reload reports (default slog.Default()).
	Logger *slog.Logger
}

// Detector evaluates ingested events. It is safe for concurrent use: one
// correlation state is shared by all callers of Process.
type Detector struct {
	opts   Options
	store  AlertStore
	window time.Duration
	log    *slog.Logger
	self   map[string]bool
	selfDS map[string]bool
	engine *rules.Engine
	loader *loader
	pair   *Pairer

	mu     sync.Mutex // guards stream
	stream *rules.Stream
}

// New loads the rules and returns a detector. Rules that fail to parse or
// compile are left out and reported by Problems (SigmaHQ's own directory
// always has a few); New fails only when a rule directory cannot be read.
func New(opts Options) (*Detector, error) {
	d := &Detector{opts: opts, store: opts.Store, log: opts.Logger}
	if d.store == nil {
		d.store = NewMemoryStore()
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	d.log = d.log.With("component", "detect")
	switch {
	case opts.Suppression == 0:
		d.window = DefaultSuppression
	case opts.Suppression > 0:
		d.window = opts.Suppression
	}
	d.self = selfPaths(opts.SelfExecutables)
	d.selfDS = map[string]bool{}
	ds := opts.SelfDatasets
	if ds == nil {
		ds = []string{"vigil.server"}
	}
	for _, s := range ds {
		d.selfDS[s] = true
	}
	d.pair = NewPairer(opts.Pairing)
	d.loader = newLoader(opts.RuleDirs, !opts.NoPack, opts.Rules)
	set, _, err := d.loader.load(true)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	d.logProblems()
	d.engine = rules.NewEngine(set)
	d.stream = d.engine.NewStream()
	return d, nil
}

// selfPaths returns the set of vigil binary paths: the given ones and the
// running executable, each also with symlinks resolved.
func selfPaths(extra []string) map[string]bool {
	m := map[string]bool{}
	add := func(p string) {
		if p == "" {
			return
		}
		m[filepath.Clean(p)] = true
		if r, err := filepath.EvalSymlinks(p); err == nil {
			m[r] = true
		}
	}
	if exe, err := os.Executable(); err == nil {
		add(exe)
	}
	for _, p := range extra {
		add(p)
	}
	return m
}

// IsSelf reports whether e comes from vigil itself: an event of one of the
// SelfDatasets, or a process (or the child of a process) whose executable is
// a vigil binary. Every event the agent ships carries agent.type "vigil", so
// that field names the shipper, not the actor, and is not used here.
func (d *Detector) IsSelf(e *event.Event) bool {
	if d.selfDS[e.Event.Dataset] {
		return true
	}
	p := e.Process
	if p == nil {
		return false
	}
	if d.isSelfPath(p.Executable) {
		return true
	}
	return p.Parent != nil && d.isSelfPath(p.Parent.Executable)
}

func (d *Detector) isSelfPath(exe string) bool {
	if exe == "" {
		return false
	}
	// A binary replaced by an upgrade while running shows as "(deleted)".
	exe = strings.TrimSuffix(exe, " (deleted)")
	return d.self[exe]
}

// Process evaluates one ingested batch, in order, and stores the alerts it
// raises: new ones are created (and passed to the Notifier), repeats within
// the suppression window are folded into the open alert. It returns the
// stored state of every alert the batch created or changed, once each.
// The caller stores the events themselves whether or not they match; pass
// each event once (after the store's own deduplication), since a repeated
// event counts again. The second observation of an authentication attempt
// that two collectors report is not evaluated (see Pairer), whether its
// partner came in this batch or an earlier one. Correlations use the
// events' own timestamps.
func (d *Detector) Process(ctx context.Context, events []event.Event) ([]Alert, error) {
	var raised []rules.Alert
	d.mu.Lock()
	for i := range events {
		if d.IsSelf(&events[i]) || d.pair.Second(&events[i]) {
			continue
		}
		raised = append(raised, d.stream.Process(&events[i])...)
	}
	d.mu.Unlock()
	var (
		out  []Alert
		pos  = map[string]int{}
		errs []error
	)
	for _, r := range raised {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		stored, created, err := d.store.UpsertAlert(ctx, Alert{Alert: r}, d.window)
		if err != nil {
			errs = append(errs, fmt.Errorf("store alert of rule %s: %w", r.Rule.ID, err))
			continue
		}
		if created && d.opts.Notifier != nil {
			d.opts.Notifier.Notify(stored)
		}
		if i, ok := pos[stored.ID]; ok {
			out[i] = stored
			continue
		}
		pos[stored.ID] = len(out)
		out = append(out, stored)
	}
	return out, errors.Join(errs...)
}

// PairStats returns how many second observations were left out of
// evaluation and how many waiting ones were evicted at the bound.
func (d *Detector) PairStats() PairStats { return d.pair.Stats() }

// Store returns the detector's alert store.
func (d *Detector) Store() AlertStore { return d.store }

// Set returns the rule set running now.
func (d *Detector) Set() *rules.Set { return d.engine.Set() }

// Problems returns the rules of the last load that are not running: files
// that failed to parse or compile (with the previous version of a file kept
// running where there was one).
func (d *Detector) Problems() []rules.Problem {
	return d.loader.problems()
}

// Reload checks the rule directories now and, when a file changed, compiles
// the new set and swaps it in without a restart. It reports whether the set
// changed. On an error (a directory cannot be read) the running set stays.
// Correlation windows in progress start afresh after a swap.
func (d *Detector) Reload(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	set, changed, err := d.loader.load(false)
	if err != nil {
		d.log.Error("rule reload failed, previous rules keep running", "err", err)
		return false, fmt.Errorf("reload rules: %w", err)
	}
	if !changed {
		return false, nil
	}
	d.engine.Swap(set)
	d.logProblems()
	d.log.Info("rules reloaded", "rules", set.Len(), "problems", len(d.Problems()))
	return true, nil
}

func (d *Detector) logProblems() {
	for _, p := range d.loader.problems() {
		d.log.Warn("rule problem", "problem", p.String())
	}
}

// Run reloads changed rule directories every Poll until ctx is done; it
// returns nil then.
func (d *Detector) Run(ctx context.Context) error {
	poll := d.opts.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			_, _ = d.Reload(ctx) // logged by Reload
		}
	}
}
