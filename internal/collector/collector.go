// Package collector defines what an agent collector is, the registry that
// collector packages add themselves to, and the runner that drives them.
//
// There are two shapes of collector:
//
//   - a Streamer watches a source continuously (audit netlink, file
//     notifications, a growing log) and emits events as they happen;
//   - a Snapshotter reads a state periodically (packages, users, listening
//     sockets); the runner diffs consecutive snapshots into created, changed
//     and deleted events, so the collector only says what exists now.
//
// Collector packages (internal/collector/audit, fim, login, ...) register a
// Factory from init. The agent builds the enabled ones with their part of the
// configuration and runs them until its context ends. A collector never blocks
// its source because of a slow consumer: Emit never blocks (the runner's queue
// drops and counts when full), and every drop is reported as an events_dropped
// event with the count.
package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/actors"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

// Emit hands one event to the agent's pipeline. It never blocks; it returns
// false when the event had to be dropped (the drop is counted and reported by
// the runner, the collector need not do anything more).
type Emit func(event.Event) bool

// Retrier is implemented by a collector that keeps an event Emit refused and
// emits it again later (a log follower stops at the refused line and reads
// it again at its next poll). The runner does not report its refusals as
// dropped events, since nothing is lost.
type Retrier interface {
	RetriesRefused() bool
}

// Streamer is a collector that watches a source continuously.
type Streamer interface {
	// Run watches until ctx ends, emitting events. It returns nil when ctx
	// ended, and an error when the source failed for good (the runner reports
	// the collector as failed). Run returns only after its goroutines stopped
	// and anything it installed (audit rules, watches) was removed.
	Run(ctx context.Context, emit Emit, health *Health) error
}

// Snapshotter is a collector that reads a state periodically.
type Snapshotter interface {
	// Snapshot returns the items that exist now. Each item has a stable Key
	// (package name + arch, user name, proto/address/port, ...) and a Digest
	// of the fields whose change is worth an event.
	Snapshot(ctx context.Context) ([]Item, error)
	// Interval is how often to take a snapshot.
	Interval() time.Duration
}

// Item is one thing a Snapshotter found, with the events that describe it.
type Item struct {
	// Key identifies the item across snapshots.
	Key string
	// Digest changes when the item changes in a way worth reporting.
	Digest string
	// State is the event for the item as it exists now; the runner copies it
	// and sets the action (created/changed/deleted or the existing_* one) via
	// the item's Kind.
	State event.Event
	// Kind names the item's family for event actions: "package", "user",
	// "group", "socket", "module", "service", "cron", "ssh_key".
	Kind string
}

// Deps is what every collector may use. The agent fills it.
type Deps struct {
	Root hostfs.Root
	// StateDir is a directory private to this collector (created by the
	// agent, mode 0700) where it keeps positions, baselines and the like.
	StateDir string
	Logger   *slog.Logger
	Now      func() time.Time
	// Host and Agent are copied into every event by the runner; collectors
	// need not set them.
	Host  event.Host
	Agent event.Agent
	// FromStart asks log readers to read existing files from the beginning
	// on a first start instead of from their end.
	FromStart bool
	// Actors is shared by all collectors of one agent: the audit collector
	// records who acted on watched files, the fim collector looks the actor
	// of each change up. Nil when nothing joins actors; collectors that do
	// not use it ignore it.
	Actors *actors.Cache
}

// Factory builds a collector from its configuration section. cfg is the value
// returned by the registration's DefaultConfig, after the config file and
// flags were applied to it.
type Factory func(cfg any, deps Deps) (any, error)

// Registration describes a collector to the registry.
type Registration struct {
	Name string
	// Doc is one line saying what the collector records.
	Doc string
	// DefaultConfig returns a pointer to the collector's configuration struct
	// with its defaults (YAML tags give the keys; `doc` tags the help shown
	// by --print-config).
	DefaultConfig func() any
	// Available reports whether the collector can run here, and why not (not
	// root, kernel feature missing). Used to pick the default set.
	Available func(deps Deps) (bool, string)
	New       Factory
}

var (
	regMu    sync.RWMutex
	registry = map[string]Registration{}
)

// Register adds a collector. It panics on a duplicate name; call it from init.
func Register(r Registration) {
	regMu.Lock()
	defer regMu.Unlock()
	if r.Name == "" || r.New == nil || r.DefaultConfig == nil {
		panic("collector: registration needs Name, New and DefaultConfig")
	}
	if _, dup := registry[r.Name]; dup {
		panic(fmt.Sprintf("collector: %q registered twice", r.Name))
	}
	registry[r.Name] = r
}

// Lookup returns the registration of name.
func Lookup(name string) (Registration, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	r, ok := registry[name]
	return r, ok
}

// Names lists registered collectors, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ErrUnavailable is returned (wrapped, with the reason) by a Factory or Run
// when the collector cannot work on this host.
var ErrUnavailable = errors.New("collector unavailable")
