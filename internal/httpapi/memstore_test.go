package httpapi

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
)

// memStore is a small in-memory store.Store for the handler tests. Its
// matcher understands field:value (exact, wildcards, substring on text
// fields), bare words, field:*, and/or/not: enough for the API's tests.
type memStore struct {
	mu     sync.Mutex
	events []event.Event // oldest first
	hosts  map[string]store.Host
	docs   map[string][]byte
	tokens map[string]store.Token
	seen   map[string]bool
}

func newMemStore() *memStore {
	return &memStore{hosts: map[string]store.Host{}, docs: map[string][]byte{}, tokens: map[string]store.Token{}, seen: map[string]bool{}}
}

func (m *memStore) Ingest(_ context.Context, b store.Batch) (store.IngestResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := b.AgentID + "/" + strconv.FormatUint(b.Seq, 10)
	if m.seen[key] {
		return store.IngestResult{Duplicate: true}, nil
	}
	m.seen[key] = true
	m.events = append(m.events, b.Events...)
	return store.IngestResult{Stored: len(b.Events)}, nil
}

func (m *memStore) matching(q query.Node, from, to time.Time) []event.Event {
	var out []event.Event
	for i := len(m.events) - 1; i >= 0; i-- {
		e := m.events[i]
		if (!from.IsZero() && e.Timestamp.Before(from)) || (!to.IsZero() && !e.Timestamp.Before(to)) {
			continue
		}
		if match(q, &e) {
			out = append(out, e)
		}
	}
	return out
}

func match(n query.Node, e *event.Event) bool {
	switch n := n.(type) {
	case query.All:
		return true
	case query.And:
		return match(n.Left, e) && match(n.Right, e)
	case query.Or:
		return match(n.Left, e) || match(n.Right, e)
	case query.Not:
		return !match(n.Node, e)
	case query.Exists:
		_, ok := e.Get(n.Field)
		return ok
	case query.Text:
		return matchValue(e, "message", n.Value, false) || matchValue(e, "process.command_line", n.Value, false)
	case query.Match:
		return matchValue(e, n.Field, n.Value, n.Wildcard)
	}
	panic(fmt.Sprintf("memStore: query node %T not supported", n))
}

func matchValue(e *event.Event, field, want string, wildcard bool) bool {
	v, ok := e.Get(field)
	if !ok {
		return false
	}
	vals, ok := v.([]string)
	if !ok {
		vals = []string{fmt.Sprint(v)}
	}
	for _, s := range vals {
		switch {
		case query.TextFields[field] && strings.Contains(strings.ToLower(s), strings.ToLower(want)):
			return true
		case wildcard:
			if ok, _ := path.Match(want, s); ok {
				return true
			}
		case s == want:
			return true
		}
	}
	return false
}

func (m *memStore) Search(_ context.Context, s store.Search) (store.SearchResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	hits := m.matching(s.Query, s.From, s.To)
	off := 0
	if s.Cursor != "" {
		n, err := strconv.Atoi(s.Cursor)
		if err != nil {
			return store.SearchResult{}, fmt.Errorf("cursor: %w", store.ErrBadRequest)
		}
		off = n
	}
	hits = hits[min(off, len(hits)):]
	var res store.SearchResult
	if len(hits) > s.Limit {
		hits = hits[:s.Limit]
		res.Cursor = strconv.Itoa(off + s.Limit)
	}
	res.Events = hits
	return res, nil
}

func (m *memStore) Count(_ context.Context, q query.Node, from, to time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(len(m.matching(q, from, to))), nil
}

func (m *memStore) Histogram(_ context.Context, q query.Node, from, to time.Time, iv time.Duration) ([]store.Bucket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Bucket
	for t := from.Truncate(iv); t.Before(to); t = t.Add(iv) {
		out = append(out, store.Bucket{Time: t, Count: int64(len(m.matching(q, t, t.Add(iv))))})
	}
	return out, nil
}

func (m *memStore) Top(_ context.Context, q query.Node, field string, from, to time.Time, n int) ([]store.Bucket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	counts := map[string]int64{}
	for _, e := range m.matching(q, from, to) {
		if v, ok := e.Get(field); ok {
			counts[fmt.Sprint(v)]++
		}
	}
	var out []store.Bucket
	for k, c := range counts {
		out = append(out, store.Bucket{Key: k, Count: c})
	}
	slices.SortFunc(out, func(a, b store.Bucket) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out[:min(n, len(out))], nil
}

func (m *memStore) UpsertHost(_ context.Context, h store.Host) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hosts[h.ID] = h
	return nil
}

func (m *memStore) Host(_ context.Context, id string) (store.Host, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, ok := m.hosts[id]
	if !ok {
		return h, fmt.Errorf("host %q: %w", id, store.ErrNotFound)
	}
	return h, nil
}

func (m *memStore) Hosts(context.Context) ([]store.Host, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Host
	for _, h := range m.hosts {
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b store.Host) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (m *memStore) PutDocument(_ context.Context, hostID, kind string, _ time.Time, doc []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.docs[hostID+"/"+kind] = doc
	return nil
}

func (m *memStore) Document(_ context.Context, hostID, kind string) (time.Time, []byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.docs[hostID+"/"+kind]
	if !ok {
		return time.Time{}, nil, store.ErrNotFound
	}
	return time.Unix(1700000000, 0).UTC(), d, nil
}

func (m *memStore) CreateToken(_ context.Context, t store.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens[t.ID] = t
	return nil
}

func (m *memStore) UseToken(context.Context, string, []byte, time.Time) error {
	return store.ErrNotFound
}

func (m *memStore) Expire(context.Context, map[string]time.Time, time.Time) (int64, error) {
	return 0, nil
}

func (m *memStore) PruneBatches(context.Context, time.Time) (int64, error) { return 0, nil }

func (m *memStore) Close() error { return nil }

var _ store.Store = (*memStore)(nil)
