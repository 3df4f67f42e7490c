package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
)

func testHistogram(t *testing.T, open Opener) {
	s, _ := newStore(t, open)
	evs := Corpus(2000, 13)
	ingestAll(t, s, "a", evs)
	from, to := Base.Add(12*time.Hour), Base.Add(36*time.Hour+30*time.Minute)
	for _, q := range []string{"", "event.action:exec", "password"} {
		n := mustParse(t, q)
		got, err := s.Histogram(context.Background(), n, from, to, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 25 {
			t.Fatalf("%q: %d buckets, want 25", q, len(got))
		}
		var total int64
		for i, b := range got {
			lo := from.Add(time.Duration(i) * time.Hour)
			hi := lo.Add(time.Hour)
			if hi.After(to) {
				hi = to
			}
			if !b.Time.Equal(lo) {
				t.Errorf("bucket %d at %v, want %v", i, b.Time, lo)
			}
			if w := int64(len(expected(evs, n, lo, hi))); b.Count != w {
				t.Errorf("%q: bucket %v: %d, want %d", q, lo, b.Count, w)
			}
			total += b.Count
		}
		if total == 0 {
			t.Errorf("%q: empty histogram", q)
		}
	}
}

func testTop(t *testing.T, open Opener) {
	s, _ := newStore(t, open)
	evs := Corpus(2000, 14)
	ingestAll(t, s, "a", evs)
	from, to := Base.Add(6*time.Hour), Base.Add(30*time.Hour)
	for _, c := range []struct{ q, field string }{
		{"", "user.name"}, {"event.action:exec", "process.name"}, {"", "host.name"},
		{"", "event.category"}, {"", "process.args"}, {"event.action:ssh_login", "source.port"},
		{"", "labels.env"}, {"not user.name:root", "process.working_directory"},
	} {
		n := mustParse(t, c.q)
		got, err := s.Top(context.Background(), n, c.field, from, to, 3)
		if err != nil {
			t.Fatalf("top %s: %v", c.field, err)
		}
		counts := map[string]int64{}
		for i := range evs {
			e := &evs[i]
			if e.Timestamp.Before(from) || !e.Timestamp.Before(to) || !matches(n, e) {
				continue
			}
			v, ok := e.Get(c.field)
			if !ok {
				continue
			}
			switch v := v.(type) {
			case []string:
				for _, x := range v {
					counts[x]++
				}
			default:
				counts[fmt.Sprint(v)]++
			}
		}
		want := make([]store.Bucket, 0, len(counts))
		for k, v := range counts {
			want = append(want, store.Bucket{Key: k, Count: v})
		}
		slices.SortFunc(want, func(a, b store.Bucket) int {
			if a.Count != b.Count {
				return int(b.Count - a.Count)
			}
			return compareStr(a.Key, b.Key)
		})
		want = want[:min(3, len(want))]
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("top %s of %q: got %v, want %v", c.field, c.q, got, want)
		}
	}
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testHosts(t *testing.T, open Opener) {
	s, _ := newStore(t, open)
	ctx := context.Background()
	if _, err := s.Host(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown host: %v", err)
	}
	h1 := store.Host{ID: "a1", Name: "web-2", OS: "Debian 12", AgentVersion: "0.1", EnrolledAt: Base, Status: "online",
		Collectors: map[string]string{"audit": "running"}, KernelLost: 3, LastSeen: Base.Add(time.Minute)}
	h2 := store.Host{ID: "a2", Name: "web-1", EnrolledAt: Base, Status: "offline"}
	h3 := store.Host{ID: "a0", Name: "web-1", EnrolledAt: Base, Status: "online"}
	for _, h := range []store.Host{h1, h2, h3} {
		if err := s.UpsertHost(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	h1.Status, h1.LastSeen, h1.Revoked = "offline", Base.Add(time.Hour), true
	if err := s.UpsertHost(ctx, h1); err != nil {
		t.Fatal(err)
	}
	got, err := s.Host(ctx, "a1")
	if err != nil || got.Status != "offline" || !got.LastSeen.Equal(h1.LastSeen) || !got.Revoked ||
		got.Collectors["audit"] != "running" || got.KernelLost != 3 || got.OS != "Debian 12" {
		t.Errorf("host a1 = %+v, %v", got, err)
	}
	hs, err := s.Hosts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range hs {
		ids = append(ids, h.ID)
	}
	if !slices.Equal(ids, []string{"a0", "a2", "a1"}) {
		t.Errorf("hosts by name: %v", ids)
	}
}

func testDocuments(t *testing.T, open Opener) {
	s, _ := newStore(t, open)
	ctx := context.Background()
	if _, _, err := s.Document(ctx, "h", "inventory"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing document: %v", err)
	}
	if err := s.PutDocument(ctx, "h", "inventory", Base, []byte(`{"v":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDocument(ctx, "h", "scan", Base, []byte(`{"score":80}`)); err != nil {
		t.Fatal(err)
	}
	at2 := Base.Add(12 * time.Hour)
	if err := s.PutDocument(ctx, "h", "inventory", at2, []byte(`{"v":2}`)); err != nil {
		t.Fatal(err)
	}
	at, doc, err := s.Document(ctx, "h", "inventory")
	if err != nil || !at.Equal(at2) || string(doc) != `{"v":2}` {
		t.Errorf("inventory = %v %s %v", at, doc, err)
	}
	if _, doc, err := s.Document(ctx, "h", "scan"); err != nil || string(doc) != `{"score":80}` {
		t.Errorf("scan = %s %v", doc, err)
	}
	if _, _, err := s.Document(ctx, "other", "scan"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other host's scan: %v", err)
	}
}

func testTokens(t *testing.T, open Opener) {
	s, _ := newStore(t, open)
	ctx := context.Background()
	secret := []byte("0123456789abcdef0123456789abcdef")
	mk := func(id string, ttl time.Duration, uses int) {
		t.Helper()
		if err := s.CreateToken(ctx, store.Token{ID: id, SecretHash: secret, CreatedAt: Base, ExpiresAt: Base.Add(ttl), UsesLeft: uses}); err != nil {
			t.Fatal(err)
		}
	}
	mk("t1", time.Hour, 2)
	mk("t5", time.Hour, 5)
	if err := s.CreateToken(ctx, store.Token{ID: "t1", SecretHash: secret, ExpiresAt: Base}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate token id: %v", err)
	}
	now := Base.Add(time.Minute)
	checks := []struct {
		id     string
		secret []byte
		now    time.Time
		want   error
	}{
		{"nope", secret, now, store.ErrNotFound},
		{"t1", []byte("wrong"), now, store.ErrNotFound},
		{"t1", secret, Base.Add(time.Hour), store.ErrConflict}, // expired
		{"t1", secret, now, nil},
		{"t1", secret, now, nil},
		{"t1", secret, now, store.ErrConflict}, // used up
	}
	for i, c := range checks {
		if err := s.UseToken(ctx, c.id, c.secret, c.now); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("check %d (%s): err = %v, want %v", i, c.id, err, c.want)
		}
	}
	// Concurrent enrollments never take more uses than the token has.
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.UseToken(ctx, "t5", secret, now) == nil {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 5 {
		t.Errorf("%d concurrent uses succeeded, want 5", ok.Load())
	}
}

func testRetention(t *testing.T, open Opener) {
	s, _ := newStore(t, open)
	ctx := context.Background()
	evs := Corpus(3000, 15)
	ingestAll(t, s, "a", evs)
	cutoff := map[string]time.Time{
		"authentication": Base.Add(60 * time.Hour), // keeps only the last 12 h
		"file":           Base.Add(-time.Hour),     // keeps everything
	}
	fallback := Base.Add(30 * time.Hour) // drops day 1 whole and part of day 2
	expired := func(i int) bool {
		e := &evs[i]
		c, ok := cutoff[e.Event.Category[0]]
		if !ok {
			c = fallback
		}
		return e.Timestamp.Before(c)
	}
	var keep []string
	for i := range evs {
		if !expired(i) {
			keep = append(keep, evs[i].Event.ID)
		}
	}
	n, err := s.Expire(ctx, cutoff, fallback)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(evs)-len(keep)) {
		t.Errorf("expired %d, want %d", n, len(evs)-len(keep))
	}
	got := searchAll(t, s, store.Search{Query: query.All{}, Limit: 5000})
	slices.Sort(got)
	slices.Sort(keep)
	if !slices.Equal(got, keep) {
		t.Errorf("kept %d events, want %d", len(got), len(keep))
	}
	// Substring search still agrees after deletions, and new events (which
	// may reuse freed row ids) are found.
	late := Corpus(400, 16)
	for i := range late {
		late[i].Event.ID = fmt.Sprintf("late-%d", i)
		late[i].Timestamp = Base.Add(60*time.Hour + time.Duration(i)*time.Minute) // after every cutoff, in a partly expired day
	}
	ingestAll(t, s, "b", late)
	all := append(slices.Clone(evs), late...)
	q := mustParse(t, "password or history")
	var want []string
	for _, id := range expected(all, q, time.Time{}, time.Time{}) {
		if slices.Contains(keep, id) || len(id) > 5 && id[:5] == "late-" {
			want = append(want, id)
		}
	}
	if got := searchAll(t, s, store.Search{Query: q, Limit: 5000}); !slices.Equal(got, want) {
		t.Errorf("substring search after expiry: %d hits, want %d", len(got), len(want))
	}
	// Expiring again deletes nothing more.
	if n, err := s.Expire(ctx, cutoff, fallback); err != nil || n != 0 {
		t.Errorf("second expire: %d, %v", n, err)
	}
}
