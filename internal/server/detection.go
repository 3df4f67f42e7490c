package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
)

// DefaultDetectQueue is how many ingested batches may wait for detection.
const DefaultDetectQueue = 1024

// drainTimeout bounds the evaluation of queued batches at shutdown.
const drainTimeout = 3 * time.Second

// AgentPaths are where vigil is usually installed; their processes (and
// children) are never alerted on, beside the server's own binary.
var AgentPaths = []string{"/usr/bin/vigil", "/usr/sbin/vigil", "/usr/local/bin/vigil", "/usr/local/sbin/vigil", "/opt/vigil/bin/vigil"}

// detection runs the detector over ingested batches on one worker, off the
// ingest path: the transport's AfterIngest hook only queues.
//
// At the bound: when DetectQueue batches are waiting, the ingest request
// waits for room before answering the agent (back-pressure: the agent's
// spool holds the rest). Nothing is skipped silently: if the request ends
// while waiting (agent gone, server stopping), its events stay stored but
// are not evaluated; they are counted in
// vigil_detect_unevaluated_events_total and logged at error level. The same
// holds for batches still queued when the drain at shutdown times out and
// for batches whose evaluation fails (the alert store is down).
type detection struct {
	det   *detect.Detector
	queue chan []event.Event
	m     *Metrics
	log   *slog.Logger
}

func newDetection(opts detect.Options, queue int, m *Metrics, log *slog.Logger) (*detection, error) {
	if queue <= 0 {
		queue = DefaultDetectQueue
	}
	if exe, err := os.Executable(); err == nil {
		opts.SelfExecutables = append(opts.SelfExecutables, exe)
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			opts.SelfExecutables = append(opts.SelfExecutables, real)
		}
	}
	opts.SelfExecutables = append(opts.SelfExecutables, AgentPaths...)
	opts.Logger = log
	det, err := detect.New(opts)
	if err != nil {
		return nil, fmt.Errorf("detection: %w", err)
	}
	for _, p := range det.Problems() {
		log.Warn("rule not loaded", "problem", fmt.Sprint(p))
	}
	return &detection{det: det, queue: make(chan []event.Event, queue), m: m, log: log}, nil
}

// enqueue hands a stored batch to the worker; see detection for the
// behaviour when the queue is full.
func (d *detection) enqueue(ctx context.Context, evs []event.Event) {
	select {
	case d.queue <- evs:
		return
	default:
	}
	d.m.detectQueueFull.Add(1)
	select {
	case d.queue <- evs:
	case <-ctx.Done():
		d.unevaluated(len(evs), "detection queue full and the request ended")
	}
}

func (d *detection) unevaluated(n int, why string) {
	d.m.detectUnevaluated.Add(uint64(n))
	d.log.Error("events stored but not evaluated by detection", "events", n, "reason", why)
}

// run evaluates queued batches until ctx ends, then drains the queue within
// drainTimeout.
func (d *detection) run(ctx context.Context) {
	for {
		select {
		case evs := <-d.queue:
			d.process(ctx, evs)
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drainTimeout)
			defer cancel()
			for {
				select {
				case evs := <-d.queue:
					if dctx.Err() != nil {
						d.unevaluated(len(evs), "shutdown drain timed out")
						continue
					}
					d.process(dctx, evs)
				default:
					return
				}
			}
		}
	}
}

func (d *detection) process(ctx context.Context, evs []event.Event) {
	alerts, err := d.det.Process(ctx, evs)
	d.m.detectEvents.Add(uint64(len(evs)))
	d.m.detectAlerts.Add(uint64(len(alerts)))
	if err != nil {
		d.unevaluated(len(evs), err.Error())
	}
}

// detectCounters are the detection metrics.
type detectCounters struct {
	detectEvents      atomic.Uint64
	detectAlerts      atomic.Uint64
	detectQueueFull   atomic.Uint64
	detectUnevaluated atomic.Uint64
}
