package collector

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
)

// Health is a collector's self-report: its state with a reason, and named
// counters (events emitted, records parsed, kernel lost, ...). It is safe for
// concurrent use. The runner emits it as collector_health events.
type Health struct {
	mu       sync.Mutex
	state    string
	reason   string
	counters map[string]*atomic.Int64
	// written is the runner's waitWritten; nil for a bare Health.
	written func(context.Context) error
}

// WaitWritten waits until the events the collector emitted so far have been
// accepted by the agent's output (appended to the spool, which survives a
// crash of the agent), or ctx ends. A collector that saves its position in
// a source (log offsets) saves it only after WaitWritten returned nil, so
// that a kill of the agent never skips events. A Health not made by a
// runner returns nil at once.
func (h *Health) WaitWritten(ctx context.Context) error {
	if h.written == nil {
		return nil
	}
	return h.written(ctx)
}

// NewHealth returns a Health in state "starting".
func NewHealth() *Health {
	return &Health{state: "starting", counters: map[string]*atomic.Int64{}}
}

// Set records the collector's state ("running", "degraded", "failed") and why.
func (h *Health) Set(state, reason string) {
	h.mu.Lock()
	h.state, h.reason = state, reason
	h.mu.Unlock()
}

// State returns the current state and reason.
func (h *Health) State() (state, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.state, h.reason
}

// Counter returns the named counter, creating it at zero.
func (h *Health) Counter(name string) *atomic.Int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.counters[name]
	if !ok {
		c = new(atomic.Int64)
		h.counters[name] = c
	}
	return c
}

// Add adds n to the named counter.
func (h *Health) Add(name string, n int64) { h.Counter(name).Add(n) }

// Counters returns a copy of all counters.
func (h *Health) Counters() map[string]int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int64, len(h.counters))
	for k, v := range h.counters {
		out[k] = v.Load()
	}
	return out
}

// CounterNames lists the counters, sorted.
func (h *Health) CounterNames() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	names := make([]string, 0, len(h.counters))
	for k := range h.counters {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
