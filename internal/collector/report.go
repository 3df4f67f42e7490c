package collector

import (
	"context"
	"sort"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// reportLoop emits collector_health events at start and every HealthInterval,
// and an events_dropped event each second in which the queue dropped events.
func (r *Runner) reportLoop(ctx context.Context) {
	r.emitHealth(false)
	healthTick := time.NewTicker(r.opts.HealthInterval)
	dropTick := time.NewTicker(time.Second)
	defer healthTick.Stop()
	defer dropTick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-healthTick.C:
			r.emitHealth(false)
		case now := <-dropTick.C:
			r.reportDrops(now)
		}
	}
}

// reportDrops emits one events_dropped event for the drops since the last
// report. The event itself bypasses the queue's drop path by waiting briefly:
// a loss report must not be lost to the loss it reports.
func (r *Runner) reportDrops(now time.Time) {
	n := r.dropped.Swap(0)
	r.dropMu.Lock()
	from := r.dropFrom
	r.dropFrom = now
	r.dropMu.Unlock()
	if n == 0 {
		return
	}
	if from.IsZero() {
		from = now.Add(-time.Second)
	}
	ev := event.Event{
		Timestamp: now,
		Event: event.Meta{
			Kind: event.KindEvent, Category: []string{event.CategoryHost}, Type: []string{event.TypeInfo},
			Action: event.ActionEventsDropped, Dataset: event.DatasetPrefix + "agent",
		},
		Message: "agent queue full: events dropped",
		Vigil: &event.Vigil{Loss: &event.Loss{
			Count: n, Reason: "queue_full", From: from, To: now, Stage: event.StageCollector,
		}},
	}
	r.enqueueReliably(ev)
}

// emitHealth emits one collector_health event per collector.
func (r *Runner) emitHealth(final bool) {
	names := make([]string, 0, len(r.health))
	for n := range r.health {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ev := r.healthEvent(n, r.health[n])
		if final {
			ev.Message = "collector " + n + " stopped"
		}
		r.enqueueReliably(ev)
	}
}

func (r *Runner) healthEvent(name string, h *Health) event.Event {
	state, reason := h.State()
	now := r.opts.Now()
	return event.Event{
		Timestamp: now,
		Event: event.Meta{
			ID:   event.NewID(now),
			Kind: event.KindMetric, Category: []string{event.CategoryHost}, Type: []string{event.TypeInfo},
			Action: event.ActionCollectorHealth, Dataset: event.DatasetPrefix + name,
		},
		Message: "collector " + name + " " + state,
		Vigil: &event.Vigil{Collector: &event.Collector{
			Name: name, State: state, Reason: reason, Counters: h.Counters(),
		}},
	}
}

// enqueueReliably queues a pipeline event, waiting up to a second for room.
func (r *Runner) enqueueReliably(ev event.Event) {
	if ev.Event.ID == "" {
		ev.Event.ID = event.NewID(ev.Timestamp)
	}
	r.setSource(&ev)
	select {
	case r.queue <- &ev:
		r.enqueued.Add(1)
	case <-time.After(time.Second):
		r.dropped.Add(1)
	}
}
