package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-sec/vigil/internal/pki"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/postgres"
	"github.com/vigil-sec/vigil/internal/store/postgres/pgtest"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
	"github.com/vigil-sec/vigil/internal/transport"
)

func benchSQLite(ctx context.Context, c config, out io.Writer) error {
	dir, err := mkdir(c.dir, "sqlite")
	if err != nil {
		return err
	}
	db := filepath.Join(dir, "vigil.db")
	st, err := sqlite.Open(ctx, db, sqlite.Options{Synchronous: c.sync, Shards: c.shards})
	if err != nil {
		return err
	}
	stored, window, err := measure(ctx, c, dir, st, "vigil sqlite (synchronous="+c.sync+")", out)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil || !c.cli {
		return err
	}
	return compareCLI(ctx, dir, db, stored, window, out)
}

func benchPostgres(ctx context.Context, c config, out io.Writer) error {
	srv, err := pgtest.Start(ctx)
	if errors.Is(err, pgtest.ErrUnavailable) {
		fmt.Fprintln(out, "postgres: skipped:", err)
		return nil
	}
	if err != nil {
		return err
	}
	defer srv.Stop()
	if err := srv.CreateDB(ctx, "bench"); err != nil {
		return err
	}
	st, err := postgres.Open(ctx, srv.DSN("bench"), postgres.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	dir, err := mkdir(c.dir, "postgres")
	if err != nil {
		return err
	}
	_, _, err = measure(ctx, c, dir, st, "vigil postgres (agents, server and PostgreSQL on this machine)", out)
	return err
}

// measure serves st over TLS to c.agents agents and reports the sustained
// rate over c.duration after c.warmup. It returns the events stored in the
// window and its length.
func measure(ctx context.Context, c config, dir string, st store.Store, name string, out io.Writer) (int64, time.Duration, error) {
	now := time.Now()
	ca, err := pki.LoadOrCreateCA(dir, now)
	if err != nil {
		return 0, 0, err
	}
	certFile, keyFile, err := ca.EnsureServerCert(dir, []string{"127.0.0.1"}, now)
	if err != nil {
		return 0, 0, err
	}
	tlsCfg, err := transport.ServerTLSConfig(ca, certFile, keyFile)
	if err != nil {
		return 0, 0, err
	}
	pr := newProbe(st)
	defer pr.close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	hs := &http.Server{Handler: transport.NewServer(pr, ca, transport.ServerOptions{})}
	go hs.Serve(tls.NewListener(ln, tlsCfg))
	defer hs.Close()
	var tokens []string
	for range c.agents {
		tok, rec, err := transport.NewToken(time.Hour, 1, pki.Fingerprint(ca.Cert), now)
		if err != nil {
			return 0, 0, err
		}
		if err := st.CreateToken(ctx, rec); err != nil {
			return 0, 0, err
		}
		tokens = append(tokens, tok)
	}
	agentsDir, err := mkdir(dir, "agents")
	if err != nil {
		return 0, 0, err
	}
	ap, err := startAgents(c, agentsDir, "https://"+ln.Addr().String(), tokens)
	if err != nil {
		return 0, 0, err
	}
	defer ap.stop()
	time.Sleep(c.warmup)

	c0, err := st.Count(ctx, query.All{}, time.Time{}, time.Time{})
	if err != nil {
		return 0, 0, err
	}
	s0, a0, t0 := selfCPU(), ap.cpu(), time.Now()
	stopProfile, err := startCPUProfile(c.cpuprofile)
	if err != nil {
		return 0, 0, err
	}
	pr.start()
	time.Sleep(c.duration)
	window := time.Since(t0)
	c1, err := st.Count(ctx, query.All{}, time.Time{}, time.Time{})
	stopProfile()
	if c.memprof != "" {
		if err := writeAllocs(c.memprof); err != nil {
			return 0, 0, err
		}
	}
	if err != nil {
		return 0, 0, err
	}
	s1, a1 := selfCPU(), ap.cpu()
	ap.stop()
	report(out, name, c1-c0, window, s1-s0, a1-a0, pr.stats())
	return c1 - c0, window, nil
}

// probe wraps a store and, for one acknowledged batch every probeEvery,
// checks how long after the ack one of its events is found by a substring
// query on its command line, and, for a store with a lagging substring
// index (SQLite), how long until the event is in that index.
type probe struct {
	store.Store
	on      atomic.Bool
	last    atomic.Int64
	samples chan sample
	wg      sync.WaitGroup
	mu      sync.Mutex
	lags    []time.Duration
	late    int
	indexed []time.Duration // ack to in the substring index
	closed  bool
}

type sample struct {
	acked   time.Time
	ts      time.Time
	id, sub string
}

// indexer is a store whose substring index lags behind its commits.
type indexer interface {
	Indexed(ctx context.Context, id string, ts time.Time) (bool, error)
}

// The probe samples one acknowledged batch every probeEvery and looks for it
// every probePoll until found: the lag it reports is accurate to probePoll.
// (Polling every 5 ms cost the server a fifth of its CPU in substring
// queries, which a real user does not send.)
const (
	probeEvery = 250 * time.Millisecond
	probePoll  = 25 * time.Millisecond
)

func newProbe(st store.Store) *probe {
	// No queue: a batch is sampled only while the probe is idle, so that a
	// lag is the time until its event is found, not time spent waiting
	// behind earlier samples (on a saturated PostgreSQL, where each poll
	// took 100-250 ms, a queue of 64 made lags of seconds).
	p := &probe{Store: st, samples: make(chan sample)}
	p.wg.Add(1)
	go p.loop()
	return p
}

func (p *probe) start() { p.on.Store(true) }

func (p *probe) close() {
	p.mu.Lock()
	p.closed = true
	close(p.samples)
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *probe) Ingest(ctx context.Context, b store.Batch) (store.IngestResult, error) {
	res, err := p.Store.Ingest(ctx, b)
	now := time.Now()
	if err != nil || res.Duplicate || !p.on.Load() || now.UnixNano()-p.last.Load() < int64(probeEvery) {
		return res, err
	}
	for _, e := range b.Events {
		if e.Process == nil || len(e.Process.Args) == 0 {
			continue
		}
		sub := e.Process.Args[len(e.Process.Args)-1]
		if strings.ContainsAny(sub, `*?\"`) || len(sub) < 3 {
			continue
		}
		p.last.Store(now.UnixNano())
		p.mu.Lock()
		if !p.closed {
			select {
			case p.samples <- sample{acked: now, ts: e.Timestamp, id: e.Event.ID, sub: sub}:
			default:
			}
		}
		p.mu.Unlock()
		break
	}
	return res, err
}

func (p *probe) loop() {
	defer p.wg.Done()
	ctx := context.Background()
	for s := range p.samples {
		q := query.And{Left: query.Match{Field: "event.id", Value: s.id, Quoted: true},
			Right: query.Match{Field: "process.command_line", Value: "*" + s.sub + "*", Wildcard: true}}
		for {
			n, err := p.Store.Count(ctx, q, time.Time{}, time.Time{})
			lag := time.Since(s.acked)
			if err == nil && n == 1 {
				p.mu.Lock()
				p.lags = append(p.lags, lag)
				p.mu.Unlock()
				break
			}
			if lag > 2*time.Second {
				p.mu.Lock()
				p.late++
				p.mu.Unlock()
				break
			}
			time.Sleep(probePoll)
		}
		if ix, ok := p.Store.(indexer); ok {
			p.wg.Add(1)
			go p.untilIndexed(ctx, ix, s)
		}
	}
}

// untilIndexed records when s is in the substring index.
func (p *probe) untilIndexed(ctx context.Context, ix indexer, s sample) {
	defer p.wg.Done()
	for time.Since(s.acked) < time.Minute {
		in, err := ix.Indexed(ctx, s.id, s.ts)
		if err != nil {
			return
		}
		if in {
			p.mu.Lock()
			p.indexed = append(p.indexed, time.Since(s.acked))
			p.mu.Unlock()
			return
		}
		time.Sleep(probePoll)
	}
}

type lagStats struct {
	n, late  int
	max, p50 time.Duration
	// indexed: samples found in the substring index, and when.
	indexed            int
	maxIndex, p50Index time.Duration
}

func (p *probe) stats() lagStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := lagStats{n: len(p.lags) + p.late, late: p.late, indexed: len(p.indexed)}
	s.max, s.p50 = spread(p.lags)
	s.maxIndex, s.p50Index = spread(p.indexed)
	return s
}

// spread returns the largest and the median of l.
func spread(l []time.Duration) (hi, p50 time.Duration) {
	if len(l) == 0 {
		return 0, 0
	}
	l = slices.Clone(l)
	slices.Sort(l)
	return l[len(l)-1], l[len(l)/2]
}

// writeAllocs writes the allocation profile (everything allocated since the
// process began) to file.
func writeAllocs(file string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// startCPUProfile starts a CPU profile written to file, and returns what
// stops it; with no file it does nothing.
func startCPUProfile(file string) (stop func(), err error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
