package audit

import (
	"fmt"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
)

// lossEvent builds an audit_events_lost event.
func lossEvent(count int64, reason, stage string, from, to time.Time) event.Event {
	return event.Event{
		Timestamp: to,
		Event: event.Meta{
			ID: event.NewID(to), Kind: event.KindEvent, Category: []string{event.CategoryHost},
			Type: []string{event.TypeInfo}, Action: event.ActionAuditEventsLost, Dataset: "vigil.audit",
		},
		Message: fmt.Sprintf("%d audit records lost (%s)", count, reason),
		Vigil:   &event.Vigil{Loss: &event.Loss{Count: count, Reason: reason, From: from, To: to, Stage: stage}},
	}
}

// lossTracker turns monotonic counters into loss events for their increases.
type lossTracker struct {
	last map[string]int64
	at   map[string]time.Time
}

func newLossTracker(now time.Time) *lossTracker {
	return &lossTracker{last: map[string]int64{}, at: map[string]time.Time{"": now}}
}

// update reports the increase of counter reason (at stage) since the last
// call, as an event and in health counter "lost_<reason>".
func (l *lossTracker) update(reason, stage string, value int64, now time.Time, emit collector.Emit, h *collector.Health) {
	prev, ok := l.last[reason]
	from, seen := l.at[reason]
	if !seen {
		from = l.at[""]
	}
	l.last[reason], l.at[reason] = value, now
	if !ok && stage == event.StageKernel && reason == "kernel_lost" {
		return // the kernel counter's first reading is the baseline
	}
	if d := value - prev; d > 0 {
		h.Add("lost_"+reason, d)
		emit(lossEvent(d, reason, stage, from, now))
	}
}
