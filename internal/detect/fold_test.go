package detect_test

import (
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
)

func TestFoldsInto(t *testing.T) {
	last := time.Date(2026, 11, 7, 12, 0, 0, 0, time.UTC)
	kept := func(status string) *detect.Alert {
		var k detect.Alert
		k.Status, k.LastSeen = status, last
		return &k
	}
	raised := func(first time.Time) *detect.Alert {
		var a detect.Alert
		a.FirstSeen = first
		return &a
	}
	for _, tc := range []struct {
		name   string
		a, k   *detect.Alert
		window time.Duration
		want   bool
	}{
		{"within the window", raised(last.Add(time.Minute)), kept(detect.StatusOpen), time.Hour, true},
		{"at the window's end", raised(last.Add(time.Hour)), kept(detect.StatusAcknowledged), time.Hour, true},
		{"after the window", raised(last.Add(time.Hour + 1)), kept(detect.StatusOpen), time.Hour, false},
		{"before the last sighting", raised(last.Add(-time.Hour)), kept(detect.StatusOpen), time.Minute, true},
		{"no window", raised(last.AddDate(1, 0, 0)), kept(detect.StatusOpen), 0, true},
		{"closed", raised(last), kept(detect.StatusClosed), time.Hour, false},
		{"closed, no window", raised(last), kept(detect.StatusClosed), 0, false},
	} {
		if got := detect.FoldsInto(tc.a, tc.k, tc.window); got != tc.want {
			t.Errorf("%s: FoldsInto = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestUpdateApply(t *testing.T) {
	now := time.Date(2026, 11, 7, 12, 0, 0, 0, time.UTC)
	written := now.Add(-time.Minute)
	t.Run("note and status", func(t *testing.T) {
		var a detect.Alert
		a.Status = detect.StatusOpen
		u := detect.Update{Status: detect.StatusAcknowledged, Note: &detect.Note{Author: "bob", Text: "looking"}}
		if err := u.Apply(&a, now); err != nil {
			t.Fatal(err)
		}
		want := []detect.Note{{Time: now, Author: "bob", Text: "looking"}}
		if a.Status != detect.StatusAcknowledged || !reflect.DeepEqual(a.Notes, want) || !a.UpdatedAt.Equal(now) {
			t.Errorf("alert %+v, notes %+v", a, a.Notes)
		}
		if u.Note.Time != (time.Time{}) {
			t.Errorf("the caller's note was changed: %+v", u.Note)
		}
		// A note keeps its own time; no status leaves the status.
		if err := (detect.Update{Note: &detect.Note{Time: written, Text: "done"}}).Apply(&a, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if len(a.Notes) != 2 || !a.Notes[1].Time.Equal(written) || a.Status != detect.StatusAcknowledged || !a.UpdatedAt.Equal(now.Add(time.Hour)) {
			t.Errorf("second update: %+v, notes %+v", a, a.Notes)
		}
	})
	t.Run("too many notes", func(t *testing.T) {
		var a detect.Alert
		a.Status = detect.StatusOpen
		for i := range detect.MaxNotes {
			a.Notes = append(a.Notes, detect.Note{Time: written, Text: strconv.Itoa(i)})
		}
		err := detect.Update{Status: detect.StatusClosed, Note: &detect.Note{Text: "one more"}}.Apply(&a, now)
		if !errors.Is(err, detect.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
		if len(a.Notes) != detect.MaxNotes || a.Status != detect.StatusOpen || !a.UpdatedAt.IsZero() {
			t.Errorf("a refused update changed the alert: %d notes, status %s, updated %v", len(a.Notes), a.Status, a.UpdatedAt)
		}
	})
}
