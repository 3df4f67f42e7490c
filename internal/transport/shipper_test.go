package transport

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/spool"
)

func spoolOpts() spool.Options { return spool.Options{} }

func healthEvents() []event.Event {
	at := time.Now()
	return []event.Event{{
		Timestamp: at,
		Event: event.Meta{ID: event.NewID(at), Kind: event.KindMetric, Category: []string{event.CategoryHost},
			Type: []string{event.TypeInfo}, Action: event.ActionCollectorHealth},
		Vigil: &event.Vigil{Collector: &event.Collector{Name: "audit", State: "degraded",
			Counters: map[string]int64{"events": 10, "lost_kernel_lost": 5, "lost_backlog_limit": 2}}},
	}}
}

// TestServerOutageDeliversEverythingOnce is a scaled-down reliability test 1:
// the server is down while the agent keeps writing; afterwards every event
// is stored exactly once.
func TestServerOutageDeliversEverythingOnce(t *testing.T) {
	e := newEnv(t, ServerOptions{})
	ctx := context.Background()
	id, dir := e.enroll("web1")
	sh, _ := e.newShipper(id, dir, spoolOpts(), ShipperOptions{HeartbeatInterval: time.Hour})
	stop := run(sh)
	defer stop()

	const perWrite, writes = 20, 100
	write := func(from, to int) {
		for i := from; i < to; i++ {
			if err := sh.Write(ctx, mkEvents(i*perWrite, perWrite)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	write(0, 30)
	waitFor(t, "first events", 10*time.Second, func() bool { return e.count("") > 0 })
	addr := e.addr
	e.stop()
	write(30, 80) // while the server is down
	time.Sleep(1500 * time.Millisecond)
	back := time.Now()
	e.start(addr)
	write(80, writes)
	waitFor(t, "all events", 20*time.Second, func() bool { return e.count("") == perWrite*writes })
	t.Logf("backlog delivered %v after the server's return; %+v", time.Since(back), sh.Stats())
	if sh.Stats().Retries == 0 {
		t.Fatal("the shipper never retried, the outage did not happen")
	}
	// No duplicate: each numbered event is there once.
	if got := len(e.search("process.args:1999", 10)); got != 1 {
		t.Fatalf("event 1999 stored %d times", got)
	}
	waitFor(t, "spool drained", 5*time.Second, func() bool { return sh.spool.Stats().Pending == 0 })
}

// TestKilledAgentReplays is reliability test 3 without the kernel: a batch
// committed by the server but not acknowledged (the agent was killed) is
// sent again after the restart, and the server stores it once.
func TestKilledAgentReplays(t *testing.T) {
	e := newEnv(t, ServerOptions{})
	id, dir := e.enroll("web1")
	spoolDir := filepath.Join(dir, "spool")
	sp, err := spool.Open(spoolDir, spool.Options{Encode: EncodeBatch})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := sp.Append(mkEvents(i*10, 10)); err != nil {
			t.Fatal(err)
		}
	}
	// Records 1 and 2 reach the server, no ack is recorded: then kill -9.
	c := e.client(id)
	for range 2 {
		b, err := sp.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st, _, _ := postBatch(t, c, e.url, itoa(b.Seq), b.Data, nil); st != http.StatusOK {
			t.Fatalf("post %d: %d", b.Seq, st)
		}
	}
	sp.Close() // the process dies: nothing acknowledged

	sh, sp2 := e.newShipper(id, dir, spoolOpts(), ShipperOptions{HeartbeatInterval: time.Hour})
	stop := run(sh)
	defer stop()
	waitFor(t, "replay", 10*time.Second, func() bool { return sp2.Stats().Pending == 0 })
	if n := e.count(""); n != 50 {
		t.Fatalf("stored %d events, want 50", n)
	}
	if st := sh.Stats(); st.Batches != 5 || st.Requests != 1 {
		t.Fatalf("shipper sent %d records in %d requests, want 5 (2 replayed) in 1", st.Batches, st.Requests)
	}
}

// TestCoalescedRequestWithBadRecord: records waiting in the spool travel in
// one request; when the server refuses it because one record is malformed,
// the shipper sends them one by one, so the good records are stored and only
// the bad one is reported lost, with its count.
func TestCoalescedRequestWithBadRecord(t *testing.T) {
	e := newEnv(t, ServerOptions{})
	id, dir := e.enroll("web1")
	bad := func(evs []event.Event) ([]byte, error) {
		if evs[0].Message == "bad" {
			enc := encoders.Get().(*zstd.Encoder)
			defer encoders.Put(enc)
			return enc.EncodeAll([]byte("{\"@timestamp\": 12}\n{not json}\n"), nil), nil
		}
		return EncodeBatch(evs)
	}
	sp, err := spool.Open(filepath.Join(dir, "spool"), spool.Options{Encode: bad})
	if err != nil {
		t.Fatal(err)
	}
	badRec := mkEvents(1000, 2)
	badRec[0].Message = "bad"
	for _, evs := range [][]event.Event{mkEvents(0, 10), mkEvents(10, 10), badRec, mkEvents(20, 10)} {
		if _, err := sp.Append(evs); err != nil {
			t.Fatal(err)
		}
	}
	sp.Close()

	sh, sp2 := e.newShipper(id, dir, spoolOpts(), ShipperOptions{HeartbeatInterval: time.Hour})
	stop := run(sh)
	defer stop()
	waitFor(t, "spool drained", 10*time.Second, func() bool { return sp2.Stats().Pending == 0 })
	waitFor(t, "loss event stored", 10*time.Second, func() bool { return e.count("event.action:events_dropped") == 1 })
	if n := e.count("not event.action:events_dropped"); n != 30 {
		t.Fatalf("stored %d events, want the 30 of the three good records", n)
	}
	loss := e.search("event.action:events_dropped", 10)
	if l := loss[0].Vigil.Loss; l == nil || l.Count != 2 || l.Reason != "rejected" {
		t.Fatalf("loss event %+v, want count 2 (the bad record's events), reason rejected", loss[0].Vigil)
	}
	if st := sh.Stats(); st.Rejected != 1 || st.Batches != 4 || st.Events != 31 {
		t.Fatalf("stats %+v: want 1 rejected record, and 4 delivered (3 good, the loss event) with 31 events", st)
	}
}

// TestSpoolFullLossEventReachesServer is reliability test 4 end to end.
func TestSpoolFullLossEventReachesServer(t *testing.T) {
	e := newEnv(t, ServerOptions{})
	ctx := context.Background()
	id, dir := e.enroll("web1")
	addr := e.addr
	e.stop()
	sh, sp := e.newShipper(id, dir, spool.Options{MaxBytes: 48 << 10, SegmentBytes: 4 << 10}, ShipperOptions{HeartbeatInterval: time.Hour})
	const writes, per = 200, 10
	for i := range writes {
		if err := sh.Write(ctx, mkEvents(i*per, per)); err != nil {
			t.Fatal(err)
		}
	}
	dropped := sp.Stats().DroppedEvents
	if dropped == 0 {
		t.Fatal("the spool did not overflow")
	}
	e.start(addr)
	stop := run(sh)
	defer stop()
	waitFor(t, "spool drained", 20*time.Second, func() bool { return sp.Stats().Pending == 0 })
	var lost int64
	for _, ev := range e.search("event.action:events_dropped", 1000) {
		l := ev.Vigil.Loss
		if l.Reason != "spool_full" || l.Stage != event.StageSpool {
			t.Fatalf("loss %+v", l)
		}
		lost += l.Count
	}
	kept := e.count("event.action:exec")
	if lost != dropped || kept+lost != writes*per {
		t.Fatalf("stored %d + reported lost %d (spool says %d) != %d written", kept, lost, dropped, writes*per)
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"1", time.Second}, {" 3 ", 3 * time.Second}, {"-1", 0}, {"soon", 0},
		{"Wed, 21 Oct 2015 07:28:00 GMT", 0}, {"100000", maxRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := retryAfter(tt.in); got != tt.want {
				t.Fatalf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// TestShipperLogsRefusal: a revoked agent's shipper says so once at error
// level, keeps the batch, and logs when the server accepts it again.
func TestShipperLogsRefusal(t *testing.T) {
	e := newEnv(t, ServerOptions{})
	ctx := context.Background()
	id, dir := e.enroll("web1")
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	sh, _ := e.newShipper(id, dir, spoolOpts(), ShipperOptions{HeartbeatInterval: time.Hour, MaxBackoff: 50 * time.Millisecond, Logger: log})
	stop := run(sh)
	defer stop()
	setRevoked := func(v bool) {
		h, err := e.st.Host(ctx, id.AgentID)
		if err != nil {
			t.Fatal(err)
		}
		h.Revoked = v
		if err := e.st.UpsertHost(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	setRevoked(true)
	if err := sh.Write(ctx, mkEvents(0, 3)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "retries", 10*time.Second, func() bool { return sh.Stats().Retries >= 3 })
	out := logs.String()
	if n := strings.Count(out, "server refuses this agent"); n != 1 || !strings.Contains(out, "level=ERROR") ||
		!strings.Contains(out, "status=403") || !strings.Contains(out, "revoked") {
		t.Fatalf("want one error line about the refusal with status 403, got %d:\n%s", n, out)
	}
	if e.count("") != 0 {
		t.Fatal("a revoked agent's events were stored")
	}
	setRevoked(false)
	waitFor(t, "delivery after the revocation is lifted", 10*time.Second, func() bool { return e.count("") == 3 })
	waitFor(t, "the log line", 5*time.Second, func() bool { return strings.Contains(logs.String(), "server accepts this agent again") })
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
