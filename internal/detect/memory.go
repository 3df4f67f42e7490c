package detect

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/rules"
)

// MemoryStore is an AlertStore in memory, for tests and offline evaluation
// (`vigil rules test`). It is safe for concurrent use.
type MemoryStore struct {
	// Now is the clock for UpdatedAt and note times (default time.Now).
	Now func() time.Time

	mu     sync.Mutex
	alerts map[string]*Alert
	// latest maps a dedup key to the ID of the newest alert with that key.
	latest map[string]string
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{alerts: map[string]*Alert{}, latest: map[string]string{}}
}

func (m *MemoryStore) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// UpsertAlert implements AlertStore.
func (m *MemoryStore) UpsertAlert(_ context.Context, a Alert, window time.Duration) (Alert, bool, error) {
	if a.ID == "" || a.DedupKey == "" {
		return Alert{}, false, invalidf("alert needs an id and a dedup key")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.alerts[a.ID]; ok {
		return clone(old), false, nil
	}
	now := m.now()
	if id, ok := m.latest[a.DedupKey]; ok {
		k := m.alerts[id]
		if FoldsInto(&a, k, window) {
			Fold(k, &a)
			k.UpdatedAt = now
			return clone(k), false, nil
		}
	}
	n := Opened(clone(&a), now)
	m.alerts[n.ID] = &n
	m.latest[n.DedupKey] = n.ID
	return clone(&n), true, nil
}

// Opened is a raised alert as every AlertStore first stores it: open, count
// at least 1, event IDs bounded to rules.MaxAlertEventIDs, updated now.
func Opened(a Alert, now time.Time) Alert {
	a.Status = StatusOpen
	if a.Count < 1 {
		a.Count = 1
	}
	if len(a.EventIDs) > rules.MaxAlertEventIDs {
		a.EventIDs = a.EventIDs[:rules.MaxAlertEventIDs]
	}
	a.UpdatedAt = now
	return a
}

// FoldsInto reports whether an alert store folds the raised alert a into k,
// the newest stored alert of its dedup key: k is not closed and a was first
// seen no later than window after k was last seen (a zero window folds
// whatever the time). Every AlertStore decides with it.
func FoldsInto(a, k *Alert, window time.Duration) bool {
	return k.Status != StatusClosed && (window == 0 || !a.FirstSeen.After(k.LastSeen.Add(window)))
}

// Apply applies a validated update to a at now: the note (its time now when
// unset; invalid when a has MaxNotes already), the status, and UpdatedAt.
// Every AlertStore's UpdateAlert does it with this.
func (u Update) Apply(a *Alert, now time.Time) error {
	if u.Note != nil {
		if len(a.Notes) >= MaxNotes {
			return invalidf("alert already has %d notes", MaxNotes)
		}
		n := *u.Note
		if n.Time.IsZero() {
			n.Time = now
		}
		a.Notes = append(a.Notes, n)
	}
	if u.Status != "" {
		a.Status = u.Status
	}
	a.UpdatedAt = now
	return nil
}

// Fold adds the repeat r into the kept alert k: count, last_seen, first_seen
// when r is earlier, and event IDs up to rules.MaxAlertEventIDs. Status,
// notes and ID of k stay. Stores implementing UpsertAlert can use it.
func Fold(k *Alert, r *Alert) {
	c := r.Count
	if c < 1 {
		c = 1
	}
	k.Count += c
	if r.LastSeen.After(k.LastSeen) {
		k.LastSeen = r.LastSeen
	}
	if r.FirstSeen.Before(k.FirstSeen) {
		k.FirstSeen = r.FirstSeen
	}
	room := rules.MaxAlertEventIDs - len(k.EventIDs)
	if room > 0 {
		ids := r.EventIDs
		if len(ids) > room {
			ids = ids[:room]
		}
		k.EventIDs = append(k.EventIDs, ids...)
	}
}

// GetAlert implements AlertStore.
func (m *MemoryStore) GetAlert(_ context.Context, id string) (Alert, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.alerts[id]
	if !ok {
		return Alert{}, ErrNotFound
	}
	return clone(a), nil
}

// ListAlerts implements AlertStore.
func (m *MemoryStore) ListAlerts(_ context.Context, f Filter) ([]Alert, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	out := []Alert{}
	for _, a := range m.alerts {
		if f.Match(a) {
			out = append(out, clone(a))
		}
	}
	m.mu.Unlock()
	SortAlerts(out)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// SortAlerts orders alerts as ListAlerts returns them: most recent last_seen
// first, ties by ID.
func SortAlerts(as []Alert) {
	slices.SortFunc(as, func(a, b Alert) int {
		if c := b.LastSeen.Compare(a.LastSeen); c != 0 {
			return c
		}
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
}

// UpdateAlert implements AlertStore.
func (m *MemoryStore) UpdateAlert(_ context.Context, id string, u Update) (Alert, error) {
	if err := u.Validate(); err != nil {
		return Alert{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.alerts[id]
	if !ok {
		return Alert{}, ErrNotFound
	}
	if err := u.Apply(a, m.now()); err != nil {
		return Alert{}, err
	}
	return clone(a), nil
}

// clone deep-copies the slices and maps of an alert so callers never share
// the store's memory.
func clone(a *Alert) Alert {
	c := *a
	c.Tags = slices.Clone(a.Tags)
	c.Techniques = slices.Clone(a.Techniques)
	c.EventIDs = slices.Clone(a.EventIDs)
	c.Notes = slices.Clone(a.Notes)
	if a.Group != nil {
		c.Group = make(map[string]string, len(a.Group))
		for k, v := range a.Group {
			c.Group[k] = v
		}
	}
	return c
}
