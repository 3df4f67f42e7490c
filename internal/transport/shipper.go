package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/spool"
)

// Shipper defaults.
const (
	DefaultHeartbeatInterval = 30 * time.Second
	// DefaultMaxBackoff caps the retry delay, so that a backlog starts
	// draining within seconds of the server's return.
	DefaultMaxBackoff = 5 * time.Second
	minBackoff        = 100 * time.Millisecond
	maxRetryAfter     = 5 * time.Minute
)

// ShipperOptions configure a Shipper.
type ShipperOptions struct {
	ServerURL string
	// TLS is the client configuration (Identity.TLSConfig).
	TLS *tls.Config
	// Spool holds the batches; open it with Encode: EncodeBatch.
	Spool *spool.Spool

	AgentVersion string
	Hostname     string
	OS           string

	HeartbeatInterval time.Duration
	MaxBackoff        time.Duration
	// PollTimeout is the server's long-poll wait; the client waits 15 s
	// more before giving up on a poll (default 25 s).
	PollTimeout time.Duration

	// OnPolicy applies a new policy; the agent reports its version once it
	// returned nil. OnTask runs a task. Without both, the shipper does not
	// poll for policies and tasks.
	OnPolicy func(ctx context.Context, p Policy) error
	OnTask   func(ctx context.Context, t Task) error

	Now    func() time.Time
	Logger *slog.Logger
}

// ShipperStats are the shipper's counters.
type ShipperStats struct {
	Batches  int64 // spool records acknowledged by the server
	Requests int64 // requests that carried them (records are coalesced)
	Events   int64
	Retries  int64
	Rejected int64 // batches the server refused as malformed (reported as loss)
}

// Shipper is the agent's collector.Output to a server: Write appends to the
// disk spool, Run sends the spool's records, acknowledges them only after
// the server's answer, and keeps heartbeats and the policy poll going.
type Shipper struct {
	opts   ShipperOptions
	log    *slog.Logger
	spool  *spool.Spool
	client *http.Client // events and heartbeats
	poller *http.Client // long polls

	mu         sync.Mutex
	collectors map[string]string
	kernelLost map[string]int64

	policyVer atomic.Int64 // version applied
	refused   atomic.Bool  // the server answered 401 or 403 to the last batch
	beatNow   chan struct{}
	batches   atomic.Int64
	requests  atomic.Int64
	events    atomic.Int64
	retries   atomic.Int64
	rejected  atomic.Int64
}

// NewShipper returns a shipper; call Run to start sending.
func NewShipper(opts ShipperOptions) (*Shipper, error) {
	if opts.ServerURL == "" || opts.TLS == nil || opts.Spool == nil {
		return nil, errors.New("shipper: server URL, TLS configuration and spool are required")
	}
	opts.ServerURL = strings.TrimRight(opts.ServerURL, "/")
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.PollTimeout <= 0 {
		opts.PollTimeout = 25 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tr := &http.Transport{TLSClientConfig: opts.TLS, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second}
	return &Shipper{
		opts: opts, log: log.With("component", "shipper"), spool: opts.Spool,
		client:     &http.Client{Transport: tr, Timeout: 2 * time.Minute},
		poller:     &http.Client{Transport: tr.Clone(), Timeout: opts.PollTimeout + 15*time.Second},
		collectors: map[string]string{}, kernelLost: map[string]int64{},
		beatNow: make(chan struct{}, 1),
	}, nil
}

// Write appends the events to the spool as one batch. Collector health
// events also update the next heartbeat.
//
// Every event gets an ID if it has none (the collector runner gives them
// one already; other writers may not): records may be sent again in other
// groupings after a restart, and the server deduplicates events by ID.
func (s *Shipper) Write(_ context.Context, events []event.Event) error {
	for i := range events {
		if events[i].Event.ID == "" {
			events[i].Event.ID = event.NewID(events[i].Timestamp)
		}
	}
	s.observe(events)
	if _, err := s.spool.Append(events); err != nil {
		return fmt.Errorf("shipper: %w", err)
	}
	return nil
}

// Flush syncs the spool to disk.
func (s *Shipper) Flush() error { return s.spool.Sync() }

// observe keeps the latest state and lost counters of each collector.
func (s *Shipper) observe(events []event.Event) {
	for i := range events {
		ev := &events[i]
		if ev.Event.Action != event.ActionCollectorHealth || ev.Vigil == nil || ev.Vigil.Collector == nil {
			continue
		}
		c := ev.Vigil.Collector
		var lost int64
		for k, v := range c.Counters {
			if strings.HasPrefix(k, "lost_") {
				lost += v
			}
		}
		s.mu.Lock()
		s.collectors[c.Name] = c.State
		s.kernelLost[c.Name] = lost
		s.mu.Unlock()
	}
}

// Stats returns the counters.
func (s *Shipper) Stats() ShipperStats {
	return ShipperStats{Batches: s.batches.Load(), Requests: s.requests.Load(), Events: s.events.Load(), Retries: s.retries.Load(), Rejected: s.rejected.Load()}
}

// PolicyVersion is the version of the policy the agent runs (0: none).
func (s *Shipper) PolicyVersion() int64 { return s.policyVer.Load() }

// Run sends until ctx ends and returns after its goroutines stopped.
// Unsent records stay in the spool for the next start.
func (s *Shipper) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	loops := []func(context.Context){s.sendLoop, s.heartbeatLoop}
	if s.opts.OnPolicy != nil && s.opts.OnTask != nil {
		loops = append(loops, s.pollLoop)
	}
	for _, loop := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loop(ctx)
		}()
	}
	wg.Wait()
	s.client.CloseIdleConnections()
	s.poller.CloseIdleConnections()
	return nil
}

// outcome of one request.
type outcome int

const (
	sent     outcome = iota
	retry            // network error, overload, server error, auth refused
	rejected         // the server refuses this batch for good (4xx)
)

// Coalescing: records already waiting in the spool are sent together, as one
// request, so that a backlog (after an outage, or while the server is busy)
// drains in few round trips and the server commits large groups. The zstd
// frames of the records concatenate into one valid body; the request
// carries the last record's sequence number, and its acknowledgement
// acknowledges every record in it.
const (
	// maxCoalesceEvents and maxCoalesceBytes bound one request.
	maxCoalesceEvents = 8192
	maxCoalesceBytes  = 4 << 20
)

func (s *Shipper) sendLoop(ctx context.Context) {
	var held *spool.Batch // read from the spool, not sent yet
	for {
		var first spool.Batch
		if held != nil {
			first, held = *held, nil
		} else {
			b, err := s.spool.Next(ctx)
			if err != nil {
				if ctx.Err() == nil && !errors.Is(err, spool.ErrClosed) {
					s.log.Error("spool read failed; sending stops", "err", err)
				}
				return
			}
			first = b
		}
		recs := []spool.Batch{first}
		events, size := first.Events, len(first.Data)
		for {
			b, ok, err := s.spool.TryNext()
			if err != nil || !ok {
				break // a read error shows again at the next Next
			}
			if events+b.Events > maxCoalesceEvents || size+len(b.Data) > maxCoalesceBytes {
				held = &b
				break
			}
			recs = append(recs, b)
			events, size = events+b.Events, size+len(b.Data)
		}
		if !s.deliver(ctx, recs) {
			return
		}
	}
}

// deliver sends consecutive records as one request until the server takes
// or refuses it; false when ctx ended. A refused request of several records
// is sent again record by record, so that one bad record does not take the
// others with it.
func (s *Shipper) deliver(ctx context.Context, recs []spool.Batch) bool {
	body := recs[0].Data
	events := recs[0].Events
	if len(recs) > 1 {
		body = nil
		events = 0
		for _, r := range recs {
			body = append(body, r.Data...)
			events += r.Events
		}
	}
	last := recs[len(recs)-1].Seq
	backoff := minBackoff
	for {
		out, wait, err := s.post(ctx, last, body)
		switch out {
		case sent:
			if s.refused.Swap(false) {
				s.log.Info("server accepts this agent again; sending the spooled events")
			}
			s.batches.Add(int64(len(recs)))
			s.requests.Add(1)
			s.events.Add(int64(events))
			s.ack(last)
			return true
		case rejected:
			if len(recs) > 1 {
				s.log.Warn("server rejected a request of several records; sending them one by one", "records", len(recs), "err", err)
				for _, r := range recs {
					if !s.deliver(ctx, []spool.Batch{r}) {
						return false
					}
				}
				return true
			}
			b := recs[0]
			s.rejected.Add(1)
			s.log.Error("server rejected a batch; reporting it as lost", "seq", b.Seq, "events", b.Events, "err", err)
			s.reportRejected(b, err)
			s.ack(b.Seq)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		s.noteRefusal(err)
		s.retries.Add(1)
		if wait == 0 {
			wait = backoff
			backoff = min(2*backoff, s.opts.MaxBackoff)
		}
		s.log.Debug("batch not delivered, retrying", "seq", last, "in", wait, "err", err)
		if !sleep(ctx, wait) {
			return false
		}
	}
}

// noteRefusal logs once, at error level, that the server refuses this agent
// (401: unknown to it, 403: revoked); until it accepts the agent again, the
// events stay in the spool and each retry is logged at debug level only.
func (s *Shipper) noteRefusal(err error) {
	var se *StatusError
	if !errors.As(err, &se) || (se.Status != http.StatusUnauthorized && se.Status != http.StatusForbidden) {
		return
	}
	if !s.refused.Swap(true) {
		s.log.Error("server refuses this agent; events stay in the spool and are retried",
			"status", se.Status, "reason", se.Message)
	}
}

func (s *Shipper) ack(seq uint64) {
	if err := s.spool.Ack(seq); err != nil && !errors.Is(err, spool.ErrClosed) {
		s.log.Warn("spool ack", "seq", seq, "err", err)
	}
}

// post sends one batch body; wait is the server's Retry-After when it gave one.
func (s *Shipper) post(ctx context.Context, seq uint64, body []byte) (outcome, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.opts.ServerURL+PathEvents, bytes.NewReader(body))
	if err != nil {
		return rejected, 0, err
	}
	req.Header.Set("Content-Type", ContentTypeEvents)
	req.Header.Set("Content-Encoding", "zstd")
	req.Header.Set(HeaderSeq, strconv.FormatUint(seq, 10))
	res, err := s.client.Do(req)
	if err != nil {
		return retry, 0, err
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode == http.StatusOK:
		return sent, 0, nil
	case res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		return retry, retryAfter(res.Header.Get("Retry-After")), statusError(res.StatusCode, answer)
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		// Unknown or revoked: keep the data, try again slowly.
		return retry, s.opts.MaxBackoff, statusError(res.StatusCode, answer)
	default:
		return rejected, 0, statusError(res.StatusCode, answer)
	}
}

// retryAfter parses a Retry-After in seconds, capped.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, maxRetryAfter)
}

// reportRejected appends a loss event for a batch the server refused.
func (s *Shipper) reportRejected(b spool.Batch, cause error) {
	count := int64(b.Events)
	if b.Lost > 0 {
		count = int64(b.Lost)
	}
	now := s.opts.Now()
	ev := event.Event{
		Timestamp: now,
		Event: event.Meta{ID: event.NewID(now), Kind: event.KindEvent, Category: []string{event.CategoryHost},
			Type: []string{event.TypeInfo}, Action: event.ActionEventsDropped, Dataset: event.DatasetPrefix + "agent"},
		Message: fmt.Sprintf("server rejected batch %d: %v", b.Seq, cause),
		Vigil: &event.Vigil{Loss: &event.Loss{Count: count, Reason: "rejected", From: b.From, To: b.To,
			Stage: event.StageTransport}},
	}
	if _, err := s.spool.Append([]event.Event{ev}); err != nil {
		s.log.Error("spool loss event", "err", err)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (s *Shipper) heartbeatLoop(ctx context.Context) {
	tick := time.NewTicker(s.opts.HeartbeatInterval)
	defer tick.Stop()
	for {
		if err := s.heartbeat(ctx); err != nil && ctx.Err() == nil {
			s.log.Debug("heartbeat failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.beatNow:
		}
	}
}

func (s *Shipper) heartbeat(ctx context.Context) error {
	hb := Heartbeat{AgentVersion: s.opts.AgentVersion, Hostname: s.opts.Hostname, OS: s.opts.OS,
		PolicyVersion: s.policyVer.Load(), Collectors: map[string]string{}}
	s.mu.Lock()
	for k, v := range s.collectors {
		hb.Collectors[k] = v
	}
	for _, v := range s.kernelLost {
		hb.KernelLost += v
	}
	s.mu.Unlock()
	st := s.spool.Stats()
	hb.SpoolPending, hb.SpoolDropped = st.Pending, st.DroppedEvents
	body, _ := json.Marshal(hb)
	var resp HeartbeatResponse
	return postJSON(ctx, s.client, s.opts.ServerURL+PathHeartbeat, body, &resp)
}

func (s *Shipper) pollLoop(ctx context.Context) {
	var asked, taskAck int64 // asked: highest policy version seen, applied or not
	backoff := minBackoff
	for ctx.Err() == nil {
		resp, err := s.poll(ctx, asked, taskAck)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Debug("poll failed", "err", err)
			sleep(ctx, backoff)
			backoff = min(2*backoff, s.opts.MaxBackoff)
			continue
		}
		backoff = minBackoff
		if p := resp.Policy; p != nil && p.Version > asked {
			asked = p.Version
			if err := s.opts.OnPolicy(ctx, *p); err != nil {
				s.log.Error("policy not applied", "version", p.Version, "err", err)
			} else {
				s.policyVer.Store(p.Version)
				s.log.Info("policy applied", "version", p.Version)
			}
			select { // report the version at once
			case s.beatNow <- struct{}{}:
			default:
			}
		}
		for _, t := range resp.Tasks {
			if t.ID <= taskAck {
				continue
			}
			taskAck = t.ID
			if !t.Kind.Valid() {
				s.log.Warn("ignoring unknown task kind", "kind", t.Kind, "id", t.ID)
				continue
			}
			if err := s.opts.OnTask(ctx, t); err != nil {
				s.log.Error("task failed", "kind", t.Kind, "id", t.ID, "err", err)
			}
		}
	}
}

func (s *Shipper) poll(ctx context.Context, have, ack int64) (PollResponse, error) {
	url := fmt.Sprintf("%s%s?policy_version=%d&task_ack=%d", s.opts.ServerURL, PathPoll, have, ack)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return PollResponse{}, err
	}
	res, err := s.poller.Do(req)
	if err != nil {
		return PollResponse{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return PollResponse{}, err
	}
	if res.StatusCode != http.StatusOK {
		return PollResponse{}, statusError(res.StatusCode, body)
	}
	var pr PollResponse
	if err := json.Unmarshal(body, &pr); err != nil {
		return PollResponse{}, fmt.Errorf("poll: %w", err)
	}
	return pr, nil
}
