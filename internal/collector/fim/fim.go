// Package fim is the file integrity collector ("fim"): a baseline of the
// watched paths kept in the collector's state directory, realtime
// notification (fanotify, else inotify) that examines each changed path
// within about a second, and scheduled rescans that catch whatever realtime
// missed. The scanning, baseline and watchers live in internal/fim.
//
// Behaviour worth knowing:
//
//   - First start (no baseline in the state dir, or a damaged one): the
//     whole tree is scanned and saved without emitting file events; one
//     collector_health event says how many entries the baseline holds and
//     how long it took. Later starts rescan (metadata first) and report what
//     changed while the agent was stopped.
//   - Realtime: notices are debounced (config debounce, 250 ms by default,
//     at most 1 s after the first notice of a batch), then the changed paths
//     are stat'ed, hashed when their metadata changed, and diffed against the
//     baseline. A rename seen in one batch is one "moved" event. Realtime
//     starts before the baseline scan, so changes during it are not missed.
//   - Loss: the notice queue (4096) never blocks the watcher; when it is
//     full, or the kernel reports an overflow, the collector rescans all
//     paths by metadata, so nothing is lost, only delayed; the counter
//     "overflows" says how often.
//   - inotify beyond its watch limit (max_watches or the kernel's
//     fs.inotify.max_user_watches): the directories beyond it are not
//     watched; health turns "degraded" with their number (counter
//     "unwatched_dirs") and changes there are found by the scheduled scans.
//   - Rate limit: more than rate_limit events for one path in rate_window
//     are suppressed (the baseline still follows the file); at the end of
//     the window one events_dropped event per path gives the count with
//     reason "rate_limit".
//   - The actor (user, process) of a change is joined through Actors (an
//     fimcore.ActorResolver). In the agent it answers from the shared
//     actors cache (collector.Deps.Actors), which the audit collector fills
//     from its file-watch records; New also tells the cache the watched
//     paths, so that the audit collector can watch them (its
//     watch_fim_paths). An actor is joined when audit recorded an action on
//     the changed path (or an entry created, deleted or renamed in its
//     directory) in the 5 s before the event; a change audit did not see
//     (audit off or unavailable, the path outside its watches, the audit
//     record arriving after the fim event) has no user.* and process.*.
package fim

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
	fimcore "github.com/vigil-sec/vigil/internal/fim"
)

// Name is the collector's registry name.
const Name = "fim"

func init() {
	collector.Register(collector.Registration{
		Name:          Name,
		Doc:           "file integrity: baseline with sha256, realtime changes (fanotify/inotify) and scheduled rescans",
		DefaultConfig: func() any { return DefaultConfig() },
		Available:     func(collector.Deps) (bool, string) { return true, "" },
		New:           New,
	})
}

const (
	baselineFile  = "baseline.fimdb"
	rehashFile    = "last_full_rehash"
	noticeQueue   = 4096
	maxBatchDelay = time.Second
	maxDirtyPaths = 10000
	saveInterval  = time.Minute
	counterFiles  = "files"
)

// Collector is the fim Streamer.
type Collector struct {
	cfg     Config
	deps    collector.Deps
	scanner *fimcore.Scanner
	// Actors, when set before Run, joins who made each change.
	Actors fimcore.ActorResolver

	base     *fimcore.Baseline
	names    fimcore.Names
	unsaved  bool
	lastFull time.Time
	rate     *limiter
}

// New builds the collector from its configuration (*Config).
func New(cfg any, deps collector.Deps) (any, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("fim: config is %T, want *fim.Config", cfg)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if deps.StateDir == "" {
		return nil, errors.New("fim: no state directory")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := fimcore.NewScanner(deps.Root, fimcore.Options{
		Paths: append([]string(nil), c.Paths...), Exclude: c.Exclude, MaxFileSize: c.MaxFileSize, Workers: c.Workers,
	})
	if err != nil {
		return nil, fmt.Errorf("fim: %w", err)
	}
	col := &Collector{cfg: *c, deps: deps, scanner: s, rate: newLimiter(c.RateLimit, c.RateWindow)}
	if deps.Actors != nil {
		deps.Actors.Watch(c.Paths...)
		col.Actors = cacheResolver{deps.Actors}
	}
	return col, nil
}

// Run implements collector.Streamer.
func (c *Collector) Run(ctx context.Context, emit collector.Emit, h *collector.Health) error {
	c.names = fimcore.LoadNames(ctx, c.deps.Root)
	notices := make(chan fimcore.Notice, noticeQueue)
	var overflow atomic.Bool
	wctx, stopWatch := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopWatch()
	watcher := c.startWatcher(wctx, &wg, h, func(n fimcore.Notice) {
		select {
		case notices <- n:
		default:
			overflow.Store(true)
		}
	})
	if err := c.start(ctx, emit, h); err != nil {
		return err
	}
	defer c.save(h)
	c.setHealth(h, watcher)
	return c.loop(ctx, emit, h, watcher, notices, &overflow)
}

// startWatcher starts realtime notification; failure degrades to scheduled
// scans only.
func (c *Collector) startWatcher(ctx context.Context, wg *sync.WaitGroup, h *collector.Health, notify func(fimcore.Notice)) fimcore.Watcher {
	if c.cfg.Realtime == fimcore.BackendOff {
		return nil
	}
	w, err := fimcore.NewWatcher(c.deps.Root, c.scanner, fimcore.WatchOptions{Backend: c.cfg.Realtime, MaxWatches: c.cfg.MaxWatches})
	if err != nil {
		h.Set(event.CollectorStateDegraded, "realtime unavailable, scheduled scans only: "+err.Error())
		h.Add("realtime_errors", 1)
		return nil
	}
	wg.Go(func() {
		if err := w.Run(ctx, notify); err != nil {
			h.Set(event.CollectorStateDegraded, "realtime stopped, scheduled scans only: "+err.Error())
			h.Add("realtime_errors", 1)
		}
	})
	return w
}

func (c *Collector) setHealth(h *collector.Health, w fimcore.Watcher) {
	h.Counter(counterFiles).Store(int64(c.base.Len()))
	if state, _ := h.State(); state == event.CollectorStateDegraded {
		return
	}
	if w == nil {
		if c.cfg.Realtime == fimcore.BackendOff {
			h.Set(event.CollectorStateRunning, "realtime off; scheduled scans every "+c.cfg.ScanInterval.String())
		}
		return
	}
	if n := w.Unwatched(); n > 0 {
		h.Counter("unwatched_dirs").Store(n)
		h.Set(event.CollectorStateDegraded, fmt.Sprintf(
			"%s watch limit reached: %d directories not watched in realtime, covered by scans every %s",
			w.Backend(), n, c.cfg.ScanInterval))
		return
	}
	h.Set(event.CollectorStateRunning, "realtime: "+w.Backend())
}

// start loads the baseline, or builds the first one without file events.
func (c *Collector) start(ctx context.Context, emit collector.Emit, h *collector.Health) error {
	c.lastFull = c.readLastFull()
	base, err := fimcore.Load(filepath.Join(c.deps.StateDir, baselineFile))
	if err == nil {
		c.base = base
		return c.fullScan(ctx, emit, h)
	}
	reason := "initial baseline"
	if !errors.Is(err, fs.ErrNotExist) {
		reason = "baseline rebuilt (" + err.Error() + ")"
		h.Add("baseline_errors", 1)
	}
	start := c.deps.Now()
	base, st, err := c.scanner.Scan(ctx, nil, false)
	if err != nil {
		return fmt.Errorf("fim: %s: %w", reason, err)
	}
	c.base, c.unsaved, c.lastFull = base, true, start
	c.writeLastFull()
	h.Add("hash_errors", st.Errors)
	h.Counter(counterFiles).Store(int64(base.Len()))
	now := c.deps.Now()
	emit(event.Event{
		Timestamp: now,
		Event: event.Meta{
			Kind: event.KindMetric, Category: []string{event.CategoryHost}, Type: []string{event.TypeInfo},
			Action: event.ActionCollectorHealth,
		},
		Message: fmt.Sprintf("fim %s: %d entries, %d files hashed (%d bytes), %d too large, %d unreadable, in %s",
			reason, st.Entries, st.Hashed, st.HashedBytes, st.TooLarge, st.Errors, st.Duration.Round(time.Millisecond)),
		Vigil: &event.Vigil{Collector: &event.Collector{
			Name: Name, State: event.CollectorStateRunning, Reason: reason, Counters: h.Counters(),
		}},
	})
	c.save(h)
	return nil
}

// fullScan rescans every path (rehashing everything when the full rehash
// is due) and emits what changed.
func (c *Collector) fullScan(ctx context.Context, emit collector.Emit, h *collector.Health) error {
	start := c.deps.Now()
	rehash := c.cfg.FullRehashInterval > 0 && start.Sub(c.lastFull) >= c.cfg.FullRehashInterval
	next, changes, st, err := c.scanner.Rescan(ctx, c.base, c.scanner.Options().Paths, rehash)
	if err != nil {
		return fmt.Errorf("fim: scan: %w", err)
	}
	c.base, c.unsaved = next, true
	if rehash {
		c.lastFull = start
		c.writeLastFull()
	}
	h.Add("scans", 1)
	h.Add("hash_errors", st.Errors)
	h.Counter(counterFiles).Store(int64(next.Len()))
	c.emitChanges(changes, emit, h, "scan_changes")
	return nil
}

// examine rescans the given paths after realtime notices.
func (c *Collector) examine(ctx context.Context, paths []string, emit collector.Emit, h *collector.Health) error {
	paths = prune(paths)
	sub, changes, st, err := c.scanner.Rescan(ctx, c.base.Under(paths...), paths, false)
	if err != nil {
		return fmt.Errorf("fim: examine: %w", err)
	}
	c.base.Replace(paths, sub)
	if len(changes) > 0 {
		c.unsaved = true
	}
	h.Add("hash_errors", st.Errors)
	c.emitChanges(changes, emit, h, "realtime_changes")
	return nil
}

func (c *Collector) emitChanges(changes []fimcore.Change, emit collector.Emit, h *collector.Health, counter string) {
	now := c.deps.Now()
	for _, ch := range changes {
		h.Add(counter, 1)
		if !c.rate.allow(ch.Path(), now) {
			h.Add("suppressed", 1)
			continue
		}
		ev := ch.Event(now, c.names, c.scanner.Options().MaxFileSize)
		if c.Actors != nil {
			if a, ok := c.Actors.Actor(ch.Path(), now); ok {
				ev.User, ev.Process = a.User, a.Process
			}
		}
		emit(ev)
	}
}

func (c *Collector) save(h *collector.Health) {
	if !c.unsaved || c.base == nil {
		return
	}
	if err := c.base.Save(filepath.Join(c.deps.StateDir, baselineFile)); err != nil {
		h.Add("save_errors", 1)
		c.deps.Logger.Warn("fim: saving baseline", "err", err)
		return
	}
	c.unsaved = false
}

func (c *Collector) readLastFull() time.Time {
	data, err := os.ReadFile(filepath.Join(c.deps.StateDir, rehashFile))
	if err != nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(string(data)))
	if err != nil {
		return time.Time{}
	}
	return t
}

func (c *Collector) writeLastFull() {
	_ = os.WriteFile(filepath.Join(c.deps.StateDir, rehashFile), []byte(c.lastFull.UTC().Format(time.RFC3339)+"\n"), 0o600)
}
