package server

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-sec/vigil/internal/httpapi"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
)

// latencyBounds are the upper bounds (seconds) of the store latency histogram.
var latencyBounds = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// histogram is a Prometheus-style cumulative histogram.
type histogram struct {
	mu     sync.Mutex
	counts []uint64 // per bound, non-cumulative; last is +Inf
	sum    float64
	n      uint64
}

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i, _ := slices.BinarySearch(latencyBounds, s)
	h.mu.Lock()
	if h.counts == nil {
		h.counts = make([]uint64, len(latencyBounds)+1)
	}
	h.counts[i]++
	h.sum += s
	h.n++
	h.mu.Unlock()
}

// Metrics counts what the server does and wraps its store to time it.
type Metrics struct {
	ingestBatches    atomic.Uint64
	ingestDuplicates atomic.Uint64
	ingestEvents     atomic.Uint64
	ingestErrors     atomic.Uint64
	hostEvents       atomic.Uint64 // host_online / host_offline events stored
	detectCounters

	mu  sync.Mutex
	ops map[string]*histogram

	// hostsOnline computes the gauge at scrape time.
	hostsOnline func(ctx context.Context) (online, total int, err error)
}

func newMetrics() *Metrics { return &Metrics{ops: map[string]*histogram{}} }

func (m *Metrics) observe(op string, start time.Time) {
	m.mu.Lock()
	h := m.ops[op]
	if h == nil {
		h = &histogram{}
		m.ops[op] = h
	}
	m.mu.Unlock()
	h.observe(time.Since(start))
}

// WriteMetrics writes the Prometheus text exposition.
func (m *Metrics) WriteMetrics(ctx context.Context, w io.Writer) error {
	counter := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	counter("vigil_ingest_batches_total", "Batches committed to the store.", m.ingestBatches.Load())
	counter("vigil_ingest_duplicate_batches_total", "Re-sent batches recognised and not stored again.", m.ingestDuplicates.Load())
	counter("vigil_ingest_events_total", "Events stored.", m.ingestEvents.Load())
	counter("vigil_ingest_errors_total", "Batches the store failed to commit.", m.ingestErrors.Load())
	counter("vigil_host_status_events_total", "host_online and host_offline events recorded.", m.hostEvents.Load())
	counter("vigil_detect_events_total", "Stored events evaluated by detection.", m.detectEvents.Load())
	counter("vigil_detect_alerts_total", "Alerts created or folded by detection.", m.detectAlerts.Load())
	counter("vigil_detect_queue_full_total", "Ingest requests that waited for room in the detection queue.", m.detectQueueFull.Load())
	counter("vigil_detect_unevaluated_events_total", "Stored events detection did not evaluate (queue full until the request ended, shutdown, errors).", m.detectUnevaluated.Load())

	m.mu.Lock()
	names := make([]string, 0, len(m.ops))
	for n := range m.ops {
		names = append(names, n)
	}
	m.mu.Unlock()
	slices.Sort(names)
	fmt.Fprintf(w, "# HELP vigil_store_operation_seconds Latency of store operations.\n# TYPE vigil_store_operation_seconds histogram\n")
	for _, op := range names {
		m.mu.Lock()
		h := m.ops[op]
		m.mu.Unlock()
		h.mu.Lock()
		var cum uint64
		for i, b := range latencyBounds {
			cum += h.counts[i]
			fmt.Fprintf(w, "vigil_store_operation_seconds_bucket{op=%q,le=\"%g\"} %d\n", op, b, cum)
		}
		fmt.Fprintf(w, "vigil_store_operation_seconds_bucket{op=%q,le=\"+Inf\"} %d\n", op, h.n)
		fmt.Fprintf(w, "vigil_store_operation_seconds_sum{op=%q} %g\n", op, h.sum)
		fmt.Fprintf(w, "vigil_store_operation_seconds_count{op=%q} %d\n", op, h.n)
		h.mu.Unlock()
	}
	if m.hostsOnline == nil {
		return nil
	}
	online, total, err := m.hostsOnline(ctx)
	if err != nil {
		return fmt.Errorf("hosts gauge: %w", err)
	}
	fmt.Fprintf(w, "# HELP vigil_hosts_online Hosts that sent a heartbeat recently.\n# TYPE vigil_hosts_online gauge\nvigil_hosts_online %d\n", online)
	fmt.Fprintf(w, "# HELP vigil_hosts Enrolled hosts.\n# TYPE vigil_hosts gauge\nvigil_hosts %d\n", total)
	return nil
}

// timedStore is a store.Store that feeds Metrics.
type timedStore struct {
	store.Store
	m *Metrics
}

func (s timedStore) Ingest(ctx context.Context, b store.Batch) (store.IngestResult, error) {
	defer s.m.observe("ingest", time.Now())
	r, err := s.Store.Ingest(ctx, b)
	switch {
	case err != nil:
		s.m.ingestErrors.Add(1)
	case r.Duplicate:
		s.m.ingestDuplicates.Add(1)
	default:
		s.m.ingestBatches.Add(1)
		s.m.ingestEvents.Add(uint64(r.Stored))
	}
	return r, err
}

func (s timedStore) Search(ctx context.Context, q store.Search) (store.SearchResult, error) {
	defer s.m.observe("search", time.Now())
	return s.Store.Search(ctx, q)
}

func (s timedStore) Count(ctx context.Context, q query.Node, from, to time.Time) (int64, error) {
	defer s.m.observe("count", time.Now())
	return s.Store.Count(ctx, q, from, to)
}

func (s timedStore) Histogram(ctx context.Context, q query.Node, from, to time.Time, iv time.Duration) ([]store.Bucket, error) {
	defer s.m.observe("histogram", time.Now())
	return s.Store.Histogram(ctx, q, from, to, iv)
}

func (s timedStore) Top(ctx context.Context, q query.Node, field string, from, to time.Time, n int) ([]store.Bucket, error) {
	defer s.m.observe("top", time.Now())
	return s.Store.Top(ctx, q, field, from, to, n)
}

func (s timedStore) Expire(ctx context.Context, cutoff map[string]time.Time, fallback time.Time) (int64, error) {
	defer s.m.observe("expire", time.Now())
	return s.Store.Expire(ctx, cutoff, fallback)
}

func (s timedStore) Hosts(ctx context.Context) ([]store.Host, error) {
	defer s.m.observe("hosts", time.Now())
	return s.Store.Hosts(ctx)
}

func (s timedStore) UpsertHost(ctx context.Context, h store.Host) error {
	defer s.m.observe("upsert_host", time.Now())
	return s.Store.UpsertHost(ctx, h)
}

func (s timedStore) CreateToken(ctx context.Context, t store.Token) error {
	defer s.m.observe("create_token", time.Now())
	return s.Store.CreateToken(ctx, t)
}

var _ httpapi.MetricsWriter = (*Metrics)(nil)
