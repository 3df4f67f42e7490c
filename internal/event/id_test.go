package event

import (
	"regexp"
	"slices"
	"testing"
	"time"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[78][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNewID(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	seen := map[string]bool{}
	var ids []string
	for i := range 2000 {
		ts := t0.Add(time.Duration(i) * 250 * time.Microsecond)
		id := NewID(ts)
		if !uuidRE.MatchString(id) || id[14] != '7' {
			t.Fatalf("NewID = %q, not a version 7 UUID", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
		ids = append(ids, id)
		got, ok := IDTime(id)
		if !ok || !got.Equal(ts.Truncate(time.Millisecond)) {
			t.Fatalf("IDTime(%s) = %v, %v; want %v", id, got, ok, ts.Truncate(time.Millisecond))
		}
	}
	// Times 250µs apart differ in the sub-millisecond bits, so the IDs sort
	// in time order as strings.
	if !slices.IsSorted(ids) {
		t.Error("IDs of increasing times do not sort in time order")
	}
	a, b := NewID(t0), NewID(t0)
	if a == b {
		t.Error("two IDs at the same instant are equal")
	}
}

func TestDeterministicID(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 26, 53, 123456789, time.UTC)
	id := DeterministicID(t0, "host-1", "88211")
	if !uuidRE.MatchString(id) || id[14] != '8' {
		t.Fatalf("DeterministicID = %q, not a version 8 UUID", id)
	}
	if again := DeterministicID(t0.In(time.FixedZone("x", 3600)), "host-1", "88211"); again != id {
		t.Errorf("same instant in another zone gives %s, want %s", again, id)
	}
	differ := map[string]string{
		"parts split": DeterministicID(t0, "host-18", "8211"),
		"other part":  DeterministicID(t0, "host-1", "88212"),
		"one part":    DeterministicID(t0, "host-188211"),
		"no parts":    DeterministicID(t0),
		"nanosecond":  DeterministicID(t0.Add(1), "host-1", "88211"),
		"extra empty": DeterministicID(t0, "host-1", "88211", ""),
	}
	for name, other := range differ {
		if other == id {
			t.Errorf("%s: same ID %s", name, id)
		}
	}
	if got, ok := IDTime(id); !ok || !got.Equal(t0.Truncate(time.Millisecond)) {
		t.Errorf("IDTime = %v, %v", got, ok)
	}
	if id > DeterministicID(t0.Add(time.Millisecond), "a") {
		t.Error("a later deterministic ID sorts before an earlier one")
	}
}

func TestIDTimeRejects(t *testing.T) {
	for _, s := range []string{
		"", "x", "0195c2d4-7a10-4d3e-9a51-3b0f4c2e8d11", // version 4
		"0195c2d4-7a10-7d3e-1a51-3b0f4c2e8d11", // bad variant
		"0195c2d4-7a10-7d3e-9a51+3b0f4c2e8d11", // bad separator
		"0195c2d4-7a10-7d3e-9a51-3b0f4c2e8d1g", // not hex
	} {
		if _, ok := IDTime(s); ok {
			t.Errorf("IDTime(%q) accepted", s)
		}
	}
	if got, ok := IDTime("0195c2d4-7a10-7d3e-9a51-3b0f4c2e8d11"); !ok || got.Year() != 2025 {
		t.Errorf("IDTime of a v7 UUID = %v, %v", got, ok)
	}
}

func TestIDClamp(t *testing.T) {
	before := NewID(time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC))
	if got, ok := IDTime(before); !ok || got.Unix() != 0 {
		t.Errorf("time before 1970: IDTime = %v, %v; want the epoch", got, ok)
	}
}
