package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// Output receives batches of events from the runner. The NDJSON writer and,
// later, the spool that ships to the server implement it. Write may block (it
// is the runner's single consumer goroutine); when it does, the queue in front
// of it fills and further events are dropped and counted, never blocking a
// collector.
type Output interface {
	// Write stores or sends the events in order. An error stops the agent.
	Write(ctx context.Context, events []event.Event) error
	// Flush makes everything written so far durable.
	Flush() error
}

// Instance is one built collector with its name.
type Instance struct {
	Name      string
	Collector any // Streamer or Snapshotter
	Deps      Deps
}

// RunnerOptions tune the runner.
type RunnerOptions struct {
	// QueueSize bounds the events waiting for the output (default 65536).
	QueueSize int
	// HealthInterval is how often collector_health events are emitted
	// (default 60 s; also once at start and once at stop).
	HealthInterval time.Duration
	// StateInterval is how often snapshotters re-emit their full state as
	// existing_* events (default 12 h).
	StateInterval time.Duration
	Logger        *slog.Logger
	Now           func() time.Time
	Host          event.Host
	Agent         event.Agent
}

// Runner drives collectors and feeds their events to an Output.
type Runner struct {
	opts    RunnerOptions
	queue   chan *event.Event // pointers: an idle queue costs 8 bytes a slot, not an event
	dropped atomic.Int64
	health  map[string]*Health

	dropMu   sync.Mutex
	dropFrom time.Time // start of the window the next drop report covers

	enqueued atomic.Int64 // events put into the queue
	written  atomic.Int64 // events the output's Write accepted
	wmu      sync.Mutex
	wake     chan struct{} // closed and replaced when written grows
}

// NewRunner returns a runner with defaults applied.
func NewRunner(opts RunnerOptions) *Runner {
	if opts.QueueSize <= 0 {
		opts.QueueSize = 1 << 16
	}
	if opts.HealthInterval <= 0 {
		opts.HealthInterval = time.Minute
	}
	if opts.StateInterval <= 0 {
		opts.StateInterval = 12 * time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Runner{opts: opts, queue: make(chan *event.Event, opts.QueueSize), health: map[string]*Health{},
		wake: make(chan struct{})}
}

// Run runs every collector until ctx ends, then stops them, drains the queue
// into out and flushes it. It returns the first output error, or nil.
func (r *Runner) Run(ctx context.Context, instances []Instance, out Output) error {
	colCtx, stopCollectors := context.WithCancel(ctx)
	defer stopCollectors()
	for _, in := range instances {
		h := NewHealth()
		h.written = r.waitWritten
		r.health[in.Name] = h
	}

	outErr := make(chan error, 1)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		outErr <- r.write(out)
	}()

	var wg sync.WaitGroup
	for _, in := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.runOne(colCtx, in)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.reportLoop(colCtx)
	}()

	var err error
	select {
	case <-ctx.Done():
	case err = <-outErr:
		stopCollectors()
	}
	stopCollectors()
	wg.Wait()
	r.emitHealth(true)
	r.reportDrops(r.opts.Now())
	close(r.queue)
	if err == nil {
		<-writerDone
		err = <-outErr
	}
	return err
}

func (r *Runner) runOne(ctx context.Context, in Instance) {
	h := r.health[in.Name]
	rt, _ := in.Collector.(Retrier)
	emit := r.emitter(in.Name, h, rt != nil && rt.RetriesRefused())
	log := r.opts.Logger.With("collector", in.Name)
	var err error
	switch c := in.Collector.(type) {
	case Streamer:
		h.Set(event.CollectorStateRunning, "")
		err = c.Run(ctx, emit, h)
	case Snapshotter:
		h.Set(event.CollectorStateRunning, "")
		err = r.runSnapshots(ctx, in, c, emit, h)
	default:
		err = fmt.Errorf("collector %s is neither a Streamer nor a Snapshotter", in.Name)
	}
	switch {
	case err == nil || errors.Is(err, context.Canceled):
		h.Set("stopped", "")
	case errors.Is(err, ErrUnavailable):
		log.Warn("collector unavailable", "reason", err)
		h.Set(event.CollectorStateFailed, err.Error())
		emit(r.healthEvent(in.Name, h))
	default:
		log.Error("collector failed", "err", err)
		h.Set(event.CollectorStateFailed, err.Error())
		emit(r.healthEvent(in.Name, h))
	}
}

// emitter returns the non-blocking Emit of one collector: it fills the common
// fields and queues the event, or drops and counts it when the queue is full.
// A collector that retries refused events (retries) loses nothing: its
// refusals are counted as events_refused, not reported as dropped.
func (r *Runner) emitter(name string, h *Health, retries bool) Emit {
	dataset := event.DatasetPrefix + name
	return func(ev event.Event) bool {
		if ev.Timestamp.IsZero() {
			ev.Timestamp = r.opts.Now()
		}
		if ev.Event.ID == "" {
			ev.Event.ID = event.NewID(ev.Timestamp)
		}
		if ev.Event.Dataset == "" {
			ev.Event.Dataset = dataset
		}
		if ev.Event.Kind == "" {
			ev.Event.Kind = event.KindEvent
		}
		r.setSource(&ev)
		select {
		case r.queue <- &ev:
			r.enqueued.Add(1)
			h.Add("events_emitted", 1)
			return true
		default:
			if retries {
				h.Add("events_refused", 1)
				return false
			}
			h.Add("events_dropped", 1)
			r.dropped.Add(1)
			return false
		}
	}
}

// setSource fills host.* and agent.* of an event that has none with the
// runner's. Each event gets its own copy: outputs may change an event.
func (r *Runner) setSource(ev *event.Event) {
	if ev.Host == nil {
		host := r.opts.Host
		ev.Host = &host
	}
	if ev.Agent == nil {
		agent := r.opts.Agent
		ev.Agent = &agent
	}
}

func (r *Runner) write(out Output) error {
	const maxBatch = 512
	batch := make([]event.Event, 0, maxBatch)
	flushTick := time.NewTicker(time.Second)
	defer flushTick.Stop()
	for {
		select {
		case ev, ok := <-r.queue:
			if !ok {
				if len(batch) > 0 {
					if err := out.Write(context.Background(), batch); err != nil {
						return err
					}
					r.noteWritten(len(batch))
				}
				return out.Flush()
			}
			batch = append(batch, *ev)
			// Take whatever else is already queued, up to a batch.
		fill:
			for len(batch) < maxBatch {
				select {
				case ev, ok := <-r.queue:
					if !ok {
						break fill
					}
					batch = append(batch, *ev)
				default:
					break fill
				}
			}
			if err := out.Write(context.Background(), batch); err != nil {
				return err
			}
			r.noteWritten(len(batch))
			batch = batch[:0]
		case <-flushTick.C:
			if err := out.Flush(); err != nil {
				return err
			}
		}
	}
}

// noteWritten records that the output accepted n more events and wakes the
// waiters of waitWritten.
func (r *Runner) noteWritten(n int) {
	r.written.Add(int64(n))
	r.wmu.Lock()
	close(r.wake)
	r.wake = make(chan struct{})
	r.wmu.Unlock()
}

// waitWritten waits until every event queued before the call has been
// accepted by the output's Write (the queue is FIFO with one writer), or
// ctx ends.
func (r *Runner) waitWritten(ctx context.Context) error {
	target := r.enqueued.Load()
	for {
		r.wmu.Lock()
		wake := r.wake
		r.wmu.Unlock()
		if r.written.Load() >= target {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
	}
}
