package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory"
	"github.com/vigil-sec/vigil/internal/sca"
	"github.com/vigil-sec/vigil/internal/scanrun"
	"github.com/vigil-sec/vigil/internal/transport"
)

// reporter is the agent's periodic state report: at start, every
// scan_interval and on the server's run_scan and refresh_inventory tasks it
// collects the inventory and runs the built-in baseline scan (the code path
// of vigil scan) and sends both to the server as documents. It is not a
// collector: it produces state, not events, and the server keeps only the
// latest of each.
type reporter struct {
	root     hostfs.Root
	version  string
	sendInv  bool
	sendScan bool
	log      *slog.Logger
	now      func() time.Time
	// send delivers one document (Shipper.SendDocument).
	send func(ctx context.Context, kind string, doc []byte) error

	mu       sync.Mutex
	interval time.Duration
	def      time.Duration // the configured interval, restored by a policy without one
	wantScan bool
	wantInv  bool
	wake     chan struct{} // a task or a new interval
	policies []*sca.Policy
}

func newReporter(cfg *Config, opts Options) *reporter {
	return &reporter{
		root: opts.Root, version: opts.Version, sendInv: cfg.SendInventory, sendScan: cfg.SendScan,
		log: opts.Logger.With("component", "report"), now: opts.Now,
		interval: cfg.ScanInterval, def: cfg.ScanInterval, wake: make(chan struct{}, 1),
	}
}

func (r *reporter) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// OnTask handles the server's run_scan and refresh_inventory tasks by
// queueing a report; they run one after the other, never concurrently.
func (r *reporter) OnTask(_ context.Context, t transport.Task) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch t.Kind {
	case transport.TaskRunScan:
		if !r.sendScan {
			return errors.New("run_scan: send_scan is off in the agent configuration")
		}
		r.wantScan = true
	case transport.TaskRefreshInventory:
		if !r.sendInv {
			return errors.New("refresh_inventory: send_inventory is off in the agent configuration")
		}
		r.wantInv = true
	default:
		return fmt.Errorf("task %s is not handled by this agent", t.Kind)
	}
	r.poke()
	return nil
}

// OnPolicy applies the policy's scan interval. The other policy fields are
// not applied by this agent yet: a policy that sets them is refused (so the
// agent does not report a version it does not run), after the interval
// took effect.
func (r *reporter) OnPolicy(_ context.Context, p transport.Policy) error {
	r.mu.Lock()
	next := r.def
	if p.ScanIntervalSeconds > 0 {
		next = max(time.Duration(p.ScanIntervalSeconds)*time.Second, time.Minute)
	}
	changed := next != r.interval
	r.interval = next
	r.mu.Unlock()
	if changed {
		r.log.Info("scan interval changed by policy", "interval", next, "policy_version", p.Version)
		r.poke()
	}
	var unsupported []string
	if len(p.Collectors) > 0 {
		unsupported = append(unsupported, "collectors")
	}
	if len(p.WatchPaths) > 0 {
		unsupported = append(unsupported, "watch_paths")
	}
	if p.HeartbeatSeconds > 0 {
		unsupported = append(unsupported, "heartbeat_seconds")
	}
	if len(p.Labels) > 0 {
		unsupported = append(unsupported, "labels")
	}
	if len(unsupported) > 0 {
		return fmt.Errorf("policy %d: this agent cannot apply %s yet", p.Version, strings.Join(unsupported, ", "))
	}
	return nil
}

// Run reports at once, then at every interval and on every task, until ctx
// ends.
func (r *reporter) Run(ctx context.Context) {
	if !r.sendInv && !r.sendScan {
		return
	}
	r.report(ctx, r.sendScan, r.sendInv)
	last := r.now()
	for {
		r.mu.Lock()
		wait := r.interval - r.now().Sub(last)
		r.mu.Unlock()
		t := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
			r.report(ctx, r.sendScan, r.sendInv)
			last = r.now()
		case <-r.wake:
			t.Stop()
			r.mu.Lock()
			scan, inv := r.wantScan, r.wantInv
			r.wantScan, r.wantInv = false, false
			r.mu.Unlock()
			if scan || inv {
				r.report(ctx, scan, inv || (scan && r.sendInv))
				last = r.now()
			}
		}
	}
}

// report collects and sends; failures are logged, the next run retries.
func (r *reporter) report(ctx context.Context, scan, inv bool) {
	start := r.now()
	docs, err := r.collect(ctx, scan, inv)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Error("report not collected", "err", err)
		}
		return
	}
	r.mu.Lock()
	budget := r.interval
	r.mu.Unlock()
	// A document that cannot be delivered within an interval is replaced by
	// the next one.
	sctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	for _, d := range docs {
		if err := r.send(sctx, d.kind, d.body); err != nil {
			if ctx.Err() == nil {
				r.log.Warn("document not sent", "kind", d.kind, "err", err)
			}
			return
		}
		r.log.Debug("document sent", "kind", d.kind, "bytes", len(d.body))
	}
	r.log.Info("report sent", "scan", scan, "inventory", inv, "took", r.now().Sub(start).Round(time.Millisecond))
}

type document struct {
	kind string
	body []byte
}

// collect runs the scan (which collects the inventory too) or only the
// inventory, and encodes the documents: the inventory first, then the scan
// report without its copy of the inventory.
func (r *reporter) collect(ctx context.Context, scan, inv bool) ([]document, error) {
	var invData *inventory.Inventory
	var docs []document
	if scan {
		if r.policies == nil {
			pols, err := scanrun.Policies(false, nil)
			if err != nil {
				return nil, err
			}
			r.policies = pols
		}
		rep, err := scanrun.Run(ctx, r.root, r.policies, scanrun.Options{Version: r.version, Now: r.now})
		if err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		invData, _ = rep.Inventory.(*inventory.Inventory)
		rep.Inventory = nil
		body, err := json.Marshal(rep)
		if err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		docs = append(docs, document{transport.DocScan, body})
	}
	if !inv {
		return docs, nil
	}
	if invData == nil {
		var err error
		if invData, err = inventory.Collect(ctx, r.root, inventory.Options{}); err != nil {
			return nil, fmt.Errorf("inventory: %w", err)
		}
	}
	body, err := json.Marshal(invData)
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	return append([]document{{transport.DocInventory, body}}, docs...), nil
}
