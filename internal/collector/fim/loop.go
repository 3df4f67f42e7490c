package fim

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
	fimcore "github.com/vigil-sec/vigil/internal/fim"
)

// loop handles notices, scheduled scans, saves and rate windows until ctx
// ends.
func (c *Collector) loop(ctx context.Context, emit collector.Emit, h *collector.Health,
	w fimcore.Watcher, notices <-chan fimcore.Notice, overflow *atomic.Bool) error {
	scanTick := time.NewTicker(c.cfg.ScanInterval)
	defer scanTick.Stop()
	saveTick := time.NewTicker(saveInterval)
	defer saveTick.Stop()
	window := c.cfg.RateWindow
	if window <= 0 {
		window = time.Hour
	}
	rateTick := time.NewTicker(window)
	defer rateTick.Stop()
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	defer debounce.Stop()

	dirty := map[string]struct{}{}
	rescan := false
	var first time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case n := <-notices:
			if n.Overflow || len(dirty) >= maxDirtyPaths {
				rescan = true
				h.Add("overflows", 1)
			} else {
				dirty[n.Path] = struct{}{}
			}
			now := time.Now()
			if first.IsZero() {
				first = now
			}
			debounce.Reset(max(0, min(c.cfg.Debounce, first.Add(maxBatchDelay).Sub(now))))
		case <-debounce.C:
			if overflow.Swap(false) {
				rescan = true
				h.Add("overflows", 1)
			}
			var err error
			if rescan {
				err = c.fullScanMeta(ctx, emit, h)
			} else {
				err = c.examine(ctx, keys(dirty), emit, h)
			}
			if err != nil && ctx.Err() == nil {
				return err
			}
			clear(dirty)
			rescan, first = false, time.Time{}
		case <-scanTick.C:
			if overflow.Swap(false) {
				h.Add("overflows", 1)
			}
			if err := c.fullScan(ctx, emit, h); err != nil && ctx.Err() == nil {
				return err
			}
			c.setHealth(h, w)
		case <-saveTick.C:
			c.save(h)
			if overflow.Load() && first.IsZero() {
				// Notices were dropped and none is pending to trigger the rescan.
				debounce.Reset(0)
			}
		case now := <-rateTick.C:
			c.reportSuppressed(now, emit)
		}
	}
}

// fullScanMeta rescans every path by metadata after lost notices.
func (c *Collector) fullScanMeta(ctx context.Context, emit collector.Emit, h *collector.Health) error {
	next, changes, st, err := c.scanner.Rescan(ctx, c.base, c.scanner.Options().Paths, false)
	if err != nil {
		return err
	}
	c.base, c.unsaved = next, true
	h.Add("hash_errors", st.Errors)
	h.Counter(counterFiles).Store(int64(next.Len()))
	c.emitChanges(changes, emit, h, "realtime_changes")
	return nil
}

// reportSuppressed emits one events_dropped event per rate-limited path.
func (c *Collector) reportSuppressed(now time.Time, emit collector.Emit) {
	for p, s := range c.rate.roll(now) {
		emit(event.Event{
			Timestamp: now,
			Event: event.Meta{
				Kind: event.KindEvent, Category: []string{event.CategoryHost}, Type: []string{event.TypeInfo},
				Action: event.ActionEventsDropped,
			},
			Message: "fim: events for " + p + " suppressed by the per-path rate limit",
			File:    &event.File{Path: p},
			Vigil: &event.Vigil{Loss: &event.Loss{
				Count: s.suppressed, Reason: "rate_limit", From: s.from, To: now, Stage: event.StageCollector,
			}},
		})
	}
}

func keys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// prune sorts paths and drops those below another one in the list.
func prune(paths []string) []string {
	slices.Sort(paths)
	out := paths[:0]
	for _, p := range paths {
		if n := len(out); n > 0 && (out[n-1] == p || strings.HasPrefix(p, strings.TrimSuffix(out[n-1], "/")+"/")) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// limiter allows limit events per path and window.
type limiter struct {
	limit  int
	window time.Duration
	paths  map[string]*pathRate
}

type pathRate struct {
	from       time.Time
	n          int
	suppressed int64
}

func newLimiter(limit int, window time.Duration) *limiter {
	return &limiter{limit: limit, window: window, paths: map[string]*pathRate{}}
}

func (l *limiter) allow(path string, now time.Time) bool {
	if l.limit <= 0 {
		return true
	}
	r := l.paths[path]
	if r == nil || now.Sub(r.from) >= l.window && r.suppressed == 0 {
		r = &pathRate{from: now}
		l.paths[path] = r
	}
	r.n++
	if r.n > l.limit {
		r.suppressed++
		return false
	}
	return true
}

// roll ends the current windows, returning the paths that had events
// suppressed.
func (l *limiter) roll(now time.Time) map[string]pathRate {
	out := map[string]pathRate{}
	for p, r := range l.paths {
		if r.suppressed > 0 {
			out[p] = *r
			delete(l.paths, p)
		} else if now.Sub(r.from) >= l.window {
			delete(l.paths, p)
		}
	}
	return out
}
