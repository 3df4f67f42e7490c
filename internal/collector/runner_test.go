package collector

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// memOutput collects events; block, when set, makes Write wait until closed.
type memOutput struct {
	mu     sync.Mutex
	events []event.Event
	block  chan struct{}
}

func (m *memOutput) Write(_ context.Context, evs []event.Event) error {
	if m.block != nil {
		<-m.block
	}
	m.mu.Lock()
	m.events = append(m.events, evs...)
	m.mu.Unlock()
	return nil
}

func (m *memOutput) Flush() error { return nil }

func (m *memOutput) byAction(a string) []event.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []event.Event
	for _, e := range m.events {
		if e.Event.Action == a {
			out = append(out, e)
		}
	}
	return out
}

// burst emits n exec events as fast as it can, then waits for the end.
type burst struct{ n int }

func (b burst) Run(ctx context.Context, emit Emit, h *Health) error {
	for i := 0; i < b.n; i++ {
		emit(event.Event{Event: event.Meta{
			Category: []string{event.CategoryProcess}, Type: []string{event.TypeStart}, Action: event.ActionExec,
		}})
	}
	<-ctx.Done()
	return nil
}

func TestRunnerDeliversAndValidates(t *testing.T) {
	out := &memOutput{}
	r := NewRunner(RunnerOptions{Host: event.Host{Name: "h1"}, Agent: event.Agent{ID: "a1"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx, []Instance{{Name: "test", Collector: burst{n: 1000}}}, out) }()
	waitFor(t, func() bool { return len(out.byAction(event.ActionExec)) == 1000 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, e := range out.byAction(event.ActionExec) {
		if e.Host.Name != "h1" || e.Agent.ID != "a1" || e.Event.Dataset != "vigil.test" || e.Event.ID == "" {
			t.Fatalf("common fields not filled: %+v", e)
		}
	}
	health := out.byAction(event.ActionCollectorHealth)
	if len(health) < 2 {
		t.Fatalf("want health at start and stop, got %d", len(health))
	}
	last := health[len(health)-1]
	if err := last.Validate(); err != nil {
		t.Errorf("health event invalid: %v", err)
	}
	if got := last.Vigil.Collector.Counters["events_emitted"]; got != 1000 {
		t.Errorf("events_emitted = %d, want 1000", got)
	}
}

// TestRunnerCountsDrops: with a stuck output and a small queue, the collector
// is never blocked, and the drops are reported with their exact count.
func TestRunnerCountsDrops(t *testing.T) {
	out := &memOutput{block: make(chan struct{})}
	r := NewRunner(RunnerOptions{QueueSize: 10})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx, []Instance{{Name: "test", Collector: burst{n: 5000}}}, out) }()
	waitFor(t, func() bool { return r.health["test"] != nil && r.health["test"].Counters()["events_dropped"] > 0 })
	time.Sleep(100 * time.Millisecond)
	close(out.block)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c := r.health["test"].Counters()
	emitted, dropped := c["events_emitted"], c["events_dropped"]
	if emitted+dropped != 5000 || dropped == 0 {
		t.Fatalf("emitted %d + dropped %d, want 5000 with drops", emitted, dropped)
	}
	var reported int64
	for _, e := range out.byAction(event.ActionEventsDropped) {
		if err := e.Validate(); err != nil {
			t.Errorf("events_dropped invalid: %v", err)
		}
		reported += e.Vigil.Loss.Count
	}
	if got := int64(len(out.byAction(event.ActionExec))); got != emitted {
		t.Errorf("delivered %d exec events, emitted %d", got, emitted)
	}
	// Every drop is reported, except drops of the loss reports themselves,
	// which are counted into the next report: reported >= dropped.
	if reported < dropped {
		t.Errorf("reported %d dropped events, collector dropped %d", reported, dropped)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// retrier is a burst whose refused events are emitted again until taken,
// as the log followers do.
type retrier struct {
	n       int
	refused atomic.Int64
}

func (*retrier) RetriesRefused() bool { return true }

func (b *retrier) Run(ctx context.Context, emit Emit, h *Health) error {
	for i := 0; i < b.n; {
		if emit(event.Event{Event: event.Meta{
			Category: []string{event.CategoryProcess}, Type: []string{event.TypeStart}, Action: event.ActionExec,
		}}) {
			i++
			continue
		}
		b.refused.Add(1)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Millisecond):
		}
	}
	<-ctx.Done()
	return nil
}

// TestRunnerRetrierNoLoss: refusals of a collector that retries are
// counted as refused, and no events_dropped event claims a loss.
func TestRunnerRetrierNoLoss(t *testing.T) {
	out := &memOutput{block: make(chan struct{})}
	r := NewRunner(RunnerOptions{QueueSize: 10})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	col := &retrier{n: 500}
	go func() { done <- r.Run(ctx, []Instance{{Name: "test", Collector: col}}, out) }()
	waitFor(t, func() bool { return col.refused.Load() > 0 })
	time.Sleep(1100 * time.Millisecond) // past a drop report tick
	close(out.block)
	waitFor(t, func() bool { return len(out.byAction(event.ActionExec)) == 500 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(out.byAction(event.ActionEventsDropped)); n != 0 {
		t.Errorf("%d events_dropped events for a collector that lost nothing", n)
	}
	if c := r.health["test"].Counters(); c["events_dropped"] != 0 || c["events_emitted"] != 500 || c["events_refused"] != col.refused.Load() {
		t.Errorf("counters %v: want 500 emitted, none dropped, %d refused", c, col.refused.Load())
	}
}

// TestRunnerWaitWritten: WaitWritten returns only once the events emitted
// before it are accepted by the output's Write.
func TestRunnerWaitWritten(t *testing.T) {
	out := &memOutput{block: make(chan struct{})}
	r := NewRunner(RunnerOptions{})
	col := &waiter{n: 100, waited: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx, []Instance{{Name: "test", Collector: col}}, out) }()
	select {
	case err := <-col.waited:
		t.Fatalf("WaitWritten returned %v while the output was blocked", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(out.block)
	if err := <-col.waited; err != nil {
		t.Fatal(err)
	}
	if got := len(out.byAction(event.ActionExec)); got != 100 {
		t.Fatalf("WaitWritten returned with %d of 100 events written", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := NewHealth().WaitWritten(context.Background()); err != nil {
		t.Fatalf("bare Health: %v", err)
	}
}

// waiter emits n events, then reports what WaitWritten returned.
type waiter struct {
	n      int
	waited chan error
}

func (w *waiter) Run(ctx context.Context, emit Emit, h *Health) error {
	for range w.n {
		emit(event.Event{Event: event.Meta{
			Category: []string{event.CategoryProcess}, Type: []string{event.TypeStart}, Action: event.ActionExec,
		}})
	}
	w.waited <- h.WaitWritten(ctx)
	<-ctx.Done()
	return nil
}
