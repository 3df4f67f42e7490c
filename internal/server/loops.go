package server

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/httpapi"
	"github.com/vigil-sec/vigil/internal/store"
)

// serverAgentID is the agent id under which the server stores its own
// events (host_offline, host_online).
const serverAgentID = "vigil-server"

// statusWatch turns heartbeats into host status: a host whose last heartbeat
// is older than three intervals becomes offline, and each change of status is
// stored on the host and recorded as a host_offline or host_online event.
type statusWatch struct {
	st           store.Store
	now          func() time.Time
	offlineAfter time.Duration
	metrics      *Metrics
	// last is the status the watch last saw per host; it starts from what
	// the store says, so a restart does not repeat events.
	last map[string]string
	seq  uint64
}

// check runs one pass over the hosts.
func (w *statusWatch) check(ctx context.Context) error {
	hosts, err := w.st.Hosts(ctx)
	if err != nil {
		return fmt.Errorf("host status: %w", err)
	}
	now := w.now()
	var events []event.Event
	for _, h := range hosts {
		status := httpapi.HostStatus(h, now, w.offlineAfter)
		prev, known := w.last[h.ID]
		if !known {
			prev = h.Status
		}
		w.last[h.ID] = status
		if prev == status || (prev == "" && status == httpapi.StatusOffline) || h.Revoked {
			continue
		}
		if err := w.setStatus(ctx, h.ID, status); err != nil {
			return err
		}
		events = append(events, statusEvent(h, status, now, w.offlineAfter))
	}
	if len(events) == 0 {
		return nil
	}
	// Batch numbers only need to be unique for the server's own agent id;
	// nanoseconds plus a counter stay increasing across restarts.
	w.seq++
	seq := uint64(now.UnixNano()) + w.seq
	if _, err := w.st.Ingest(ctx, store.Batch{AgentID: serverAgentID, Seq: seq, Events: events}); err != nil {
		return fmt.Errorf("host status events: %w", err)
	}
	w.metrics.hostEvents.Add(uint64(len(events)))
	return nil
}

// setStatus re-reads the host just before writing so that a heartbeat
// recorded meanwhile is not overwritten with an older last_seen.
func (w *statusWatch) setStatus(ctx context.Context, id, status string) error {
	h, err := w.st.Host(ctx, id)
	if err != nil {
		return fmt.Errorf("host status: %w", err)
	}
	h.Status = status
	if err := w.st.UpsertHost(ctx, h); err != nil {
		return fmt.Errorf("host status: %w", err)
	}
	return nil
}

func statusEvent(h store.Host, status string, now time.Time, offlineAfter time.Duration) event.Event {
	action, msg := event.ActionHostOnline, "heartbeats resumed"
	if status == httpapi.StatusOffline {
		action = event.ActionHostOffline
		msg = fmt.Sprintf("no heartbeat for %s", now.Sub(h.LastSeen).Truncate(time.Second))
		if h.LastSeen.IsZero() {
			msg = fmt.Sprintf("no heartbeat within %s", offlineAfter)
		}
	}
	e := event.Event{
		Timestamp: now,
		Event: event.Meta{
			ID:   event.DeterministicID(now, action, h.ID),
			Kind: event.KindEvent, Category: []string{event.CategoryHost}, Type: []string{event.TypeInfo},
			Action: action, Dataset: "vigil.server", Ingested: now,
		},
		Message: msg,
		Host:    &event.Host{Name: h.Name, Hostname: h.Hostname},
		Agent:   &event.Agent{ID: h.ID, Name: h.Name, Version: h.AgentVersion, Type: "vigil"},
	}
	return e
}

// retentionCutoffs turns retention days per category into cutoff times.
func retentionCutoffs(now time.Time, perCategory map[string]int, fallbackDays int) (map[string]time.Time, time.Time) {
	cut := make(map[string]time.Time, len(perCategory))
	for c, d := range perCategory {
		cut[c] = now.Add(-time.Duration(d) * 24 * time.Hour)
	}
	return cut, now.Add(-time.Duration(fallbackDays) * 24 * time.Hour)
}

// every runs fn now and then at each tick until ctx ends.
func every(ctx context.Context, d time.Duration, fn func(context.Context)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
