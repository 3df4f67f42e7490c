package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/postgres/pgtest"
	"github.com/vigil-sec/vigil/internal/store/storetest"
)

var (
	server  *pgtest.Server
	skipWhy string
	dbSeq   atomic.Int64
)

func TestMain(m *testing.M) {
	var err error
	server, err = pgtest.Start(context.Background())
	if err != nil {
		if !errors.Is(err, pgtest.ErrUnavailable) {
			fmt.Fprintln(os.Stderr, "start postgres:", err)
			os.Exit(1)
		}
		skipWhy = err.Error()
	}
	code := m.Run()
	if server != nil {
		if err := server.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop postgres:", err)
		}
	}
	os.Exit(code)
}

// newDB returns the DSN of a new empty database.
func newDB(t testing.TB) string {
	t.Helper()
	if server == nil {
		t.Skip("PostgreSQL tests need a local server: " + skipWhy)
	}
	name := fmt.Sprintf("vigil_test_%d", dbSeq.Add(1))
	if err := server.CreateDB(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	return server.DSN(name)
}

func openDSN(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (store.Store, func(t *testing.T) store.Store) {
		dsn := newDB(t)
		return openDSN(t, dsn), func(t *testing.T) store.Store { return openDSN(t, dsn) }
	})
}

// TestSharedDatabase: several stores (as several server processes would)
// migrate, create partitions and ingest into one database concurrently.
func TestSharedDatabase(t *testing.T) {
	dsn := newDB(t)
	ctx := context.Background()
	const n = 4
	stores := make([]*Store, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			s, err := Open(ctx, dsn, Options{})
			stores[i] = s
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	evs := storetest.Corpus(2000, 21)
	for i, s := range stores {
		defer s.Close()
		go func() {
			var err error
			for j := 0; j < len(evs); j += 100 {
				// Every store sends every batch: each is stored once.
				if _, e := s.Ingest(ctx, store.Batch{AgentID: "a", Seq: uint64(j), Events: evs[j : j+100]}); e != nil {
					err = e
				}
			}
			_ = i
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	got, err := stores[0].Count(ctx, nil, evs[0].Timestamp.AddDate(0, 0, -1), evs[len(evs)-1].Timestamp.AddDate(0, 0, 1))
	if err != nil || got != int64(len(evs)) {
		t.Errorf("count = %d, %v; want %d", got, err, len(evs))
	}
}

// TestHostileText: NUL bytes and invalid UTF-8 in events are stored (as
// U+FFFD) instead of failing the batch forever, and in queries they are bad
// requests, not server errors.
func TestHostileText(t *testing.T) {
	s := openDSN(t, newDB(t))
	defer s.Close()
	ctx := context.Background()
	e := storetest.Corpus(1, 1)[0]
	e.Message = "bad\x00byte \xff here"
	res, err := s.Ingest(ctx, store.Batch{AgentID: "a", Seq: 1, Events: []event.Event{e}})
	if err != nil || res.Stored != 1 {
		t.Fatalf("ingest: %+v, %v", res, err)
	}
	for _, q := range []string{"message:*\x00*", "\xff\xfe"} {
		n, err := query.Parse(q)
		if err != nil {
			continue
		}
		if _, err := s.Search(ctx, store.Search{Query: n}); !errors.Is(err, store.ErrBadRequest) {
			t.Errorf("%q: err = %v, want ErrBadRequest", q, err)
		}
	}
	n, _ := query.Parse("message:*here*")
	if got, err := s.Search(ctx, store.Search{Query: n}); err != nil || len(got.Events) != 1 {
		t.Errorf("search: %v, %v", got, err)
	}
}

// TestSearchBesideIngest checks that ingest leaves connections to
// searches: with every ingest slot taken, a search still runs, and an
// ingest waits for a slot until its context ends.
func TestSearchBesideIngest(t *testing.T) {
	s := openDSN(t, newDB(t))
	defer s.Close()
	if free := int(s.pool.Config().MaxConns) - cap(s.ingest); free < 4 {
		t.Fatalf("pool of %d connections leaves %d to searches beside %d ingest slots, want >= 4", s.pool.Config().MaxConns, free, cap(s.ingest))
	}
	for range cap(s.ingest) {
		s.ingest <- struct{}{}
	}
	ctx := context.Background()
	if _, err := s.Search(ctx, store.Search{Query: query.All{}}); err != nil {
		t.Fatalf("search while ingest holds every slot: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	e := event.Event{Timestamp: time.Now(), Event: event.Meta{Kind: event.KindEvent, Action: "exec"}}
	if _, err := s.Ingest(short, store.Batch{AgentID: "a", Seq: 1, Events: []event.Event{e}}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ingest with no slot free: %v, want the context's deadline", err)
	}
	for range cap(s.ingest) {
		<-s.ingest
	}
	if res, err := s.Ingest(ctx, store.Batch{AgentID: "a", Seq: 1, Events: []event.Event{e}}); err != nil || res.Stored != 1 {
		t.Fatalf("ingest after the slots were freed: %+v %v", res, err)
	}
}
