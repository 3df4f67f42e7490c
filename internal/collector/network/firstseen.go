package network

import (
	"container/list"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
)

// firstSeenFile is the store's file in the collector's state directory.
const firstSeenFile = "first_seen.json"

// maxFirstSeenFile bounds the file read back (an entry is about 100 bytes).
const maxFirstSeenFile = 64 << 20

// seenEntry is one key (an executable and destination pair, or an executable
// that listened) with when it was last seen.
type seenEntry struct {
	Key  string    `json:"k"`
	Last time.Time `json:"t"`
}

// firstSeen remembers which executable connected to which destination and
// which executables listened, as a least-recently-seen list bounded to max
// entries. At the cap, the entry seen
// longest ago is forgotten, so it is reported as first_seen again when it
// comes back. It is used by one goroutine only.
type firstSeen struct {
	max   int
	order *list.List // of *seenEntry, most recent at the front
	index map[string]*list.Element
	dirty bool
	// Evicted counts the entries forgotten at the cap.
	Evicted int64
}

func newFirstSeen(max int) *firstSeen {
	return &firstSeen{max: max, order: list.New(), index: map[string]*list.Element{}}
}

// Seen records key at t and reports whether it was new.
func (s *firstSeen) Seen(key string, t time.Time) bool {
	s.dirty = true
	if el, ok := s.index[key]; ok {
		el.Value.(*seenEntry).Last = t
		s.order.MoveToFront(el)
		return false
	}
	s.index[key] = s.order.PushFront(&seenEntry{Key: key, Last: t})
	for s.order.Len() > s.max {
		old := s.order.Back()
		s.order.Remove(old)
		delete(s.index, old.Value.(*seenEntry).Key)
		s.Evicted++
	}
	return true
}

// Len is the number of remembered entries.
func (s *firstSeen) Len() int { return s.order.Len() }

// load reads the store of dir; a missing file is an empty store.
func (s *firstSeen) load(dir string) error {
	if dir == "" {
		return nil
	}
	name := filepath.Join(dir, firstSeenFile)
	fi, err := os.Stat(name)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Size() > maxFirstSeenFile {
		return fmt.Errorf("%s: %d bytes, more than %d", name, fi.Size(), maxFirstSeenFile)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	var entries []seenEntry // oldest first
	if err := json.Unmarshal(b, &entries); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, e := range entries {
		if e.Key == "" {
			continue
		}
		s.Seen(e.Key, e.Last)
	}
	s.dirty = false
	return nil
}

// save writes the store atomically when it changed since the last save.
func (s *firstSeen) save(dir string) error {
	if dir == "" || !s.dirty {
		return nil
	}
	entries := make([]seenEntry, 0, s.order.Len())
	for el := s.order.Back(); el != nil; el = el.Prev() {
		entries = append(entries, *el.Value.(*seenEntry))
	}
	b, err := json.Marshal(entries)
	if err != nil {
		return err
	}
	if err := collector.WriteStateFile(dir, firstSeenFile, b); err != nil {
		return err
	}
	s.dirty = false
	return nil
}
