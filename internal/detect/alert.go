package detect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rules"
)

// Alert statuses: an alert is raised open; an analyst acknowledges it while
// looking into it and closes it when done. Any status may follow any other
// (closing and reopening are both allowed).
const (
	StatusOpen         = event.AlertStatusOpen
	StatusAcknowledged = event.AlertStatusAcknowledged
	StatusClosed       = event.AlertStatusClosed
)

// ValidStatus reports whether s is one of the alert statuses.
func ValidStatus(s string) bool {
	return s == StatusOpen || s == StatusAcknowledged || s == StatusClosed
}

// Sigma levels, lowest first.
var levels = []string{"informational", "low", "medium", "high", "critical"}

// LevelRank orders Sigma levels: informational 0, low 1, medium 2, high 3,
// critical 4; -1 for anything else. Case is ignored.
func LevelRank(level string) int {
	for i, l := range levels {
		if strings.EqualFold(level, l) {
			return i
		}
	}
	return -1
}

// Bounds on analyst input, so a client cannot grow an alert without limit.
const (
	MaxNotes      = 200
	MaxNoteBytes  = 8 << 10
	MaxAuthorSize = 256
)

// Note is an analyst's remark on an alert.
type Note struct {
	Time   time.Time `json:"time"`
	Author string    `json:"author,omitempty"`
	Text   string    `json:"text"`
}

// Alert is a stored alert: the engine's alert (same JSON shape as
// `vigil alerts --format json`) plus its triage notes and the time of the
// last change.
type Alert struct {
	rules.Alert
	Notes []Note `json:"notes,omitempty"`
	// UpdatedAt is when the alert last changed: created, folded a repeat,
	// changed status or got a note.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Filter selects alerts for AlertStore.ListAlerts. Zero fields do not filter.
type Filter struct {
	// Status is one of the Status* constants.
	Status string
	// MinLevel keeps alerts at this Sigma level or above ("high" keeps high
	// and critical).
	MinLevel string
	// Since keeps alerts whose last_seen is at or after it.
	Since time.Time
	// Host keeps alerts of this host.name.
	Host string
	// RuleID keeps alerts of this rule.
	RuleID string
	// Limit caps the number of alerts returned (0: no cap).
	Limit int
}

// Validate checks the filter's values; errors wrap ErrInvalid.
func (f Filter) Validate() error {
	var errs []error
	if f.Status != "" && !ValidStatus(f.Status) {
		errs = append(errs, invalidf("status %q is not open, acknowledged or closed", f.Status))
	}
	if f.MinLevel != "" && LevelRank(f.MinLevel) < 0 {
		errs = append(errs, invalidf("level %q is not a Sigma level", f.MinLevel))
	}
	if f.Limit < 0 {
		errs = append(errs, invalidf("limit %d is negative", f.Limit))
	}
	return errors.Join(errs...)
}

// Match reports whether a passes the filter (Limit aside).
func (f Filter) Match(a *Alert) bool {
	switch {
	case f.Status != "" && a.Status != f.Status:
		return false
	case f.MinLevel != "" && LevelRank(a.Rule.Level) < LevelRank(f.MinLevel):
		return false
	case !f.Since.IsZero() && a.LastSeen.Before(f.Since):
		return false
	case f.Host != "" && a.Host.Name != f.Host:
		return false
	case f.RuleID != "" && a.Rule.ID != f.RuleID:
		return false
	}
	return true
}

// Update changes an alert's status and/or adds a note.
type Update struct {
	// Status, when not empty, is the new status.
	Status string
	// Note, when not nil, is appended to the alert's notes. A zero Time is
	// set to the store's clock.
	Note *Note
}

// Validate checks the update; errors wrap ErrInvalid.
func (u Update) Validate() error {
	var errs []error
	if u.Status == "" && u.Note == nil {
		errs = append(errs, invalidf("update changes nothing"))
	}
	if u.Status != "" && !ValidStatus(u.Status) {
		errs = append(errs, invalidf("status %q is not open, acknowledged or closed", u.Status))
	}
	if u.Note != nil {
		if strings.TrimSpace(u.Note.Text) == "" {
			errs = append(errs, invalidf("note is empty"))
		}
		if len(u.Note.Text) > MaxNoteBytes {
			errs = append(errs, invalidf("note is %d bytes, more than %d", len(u.Note.Text), MaxNoteBytes))
		}
		if len(u.Note.Author) > MaxAuthorSize {
			errs = append(errs, invalidf("note author is longer than %d bytes", MaxAuthorSize))
		}
	}
	return errors.Join(errs...)
}

// Errors of AlertStore implementations; test with errors.Is.
var (
	ErrNotFound = errors.New("alert not found")
	ErrInvalid  = errors.New("invalid alert request")
)

type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }
func (e *invalidError) Unwrap() error { return ErrInvalid }

func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// AlertStore keeps alerts. The server's store implements it (SQLite and
// PostgreSQL); MemoryStore is the in-process implementation. Every
// implementation must pass detecttest.Run.
type AlertStore interface {
	// UpsertAlert stores a freshly raised alert. When a stored alert with the
	// same DedupKey is not closed and a.FirstSeen is at most window after its
	// LastSeen (window 0: no limit), the repeat is folded into it: Count grows
	// by a.Count, LastSeen moves forward, a's event IDs are appended (up to
	// rules.MaxAlertEventIDs) and its status and notes stay; the folded alert
	// is returned with created false. Otherwise a is stored as a new open
	// alert (its ID kept) and returned with created true. An alert whose ID is
	// already stored is a replay: the stored alert is returned unchanged with
	// created false. Errors: ErrInvalid for an alert without ID or DedupKey.
	UpsertAlert(ctx context.Context, a Alert, window time.Duration) (stored Alert, created bool, err error)
	// GetAlert returns one alert; ErrNotFound when no alert has that ID.
	GetAlert(ctx context.Context, id string) (Alert, error)
	// ListAlerts returns the alerts f selects, most recent last_seen first
	// (ties by ID). Errors: ErrInvalid for a filter that fails Validate.
	ListAlerts(ctx context.Context, f Filter) ([]Alert, error)
	// UpdateAlert applies u to one alert and returns it. Errors: ErrNotFound,
	// ErrInvalid for an update that fails Validate or would exceed MaxNotes.
	UpdateAlert(ctx context.Context, id string, u Update) (Alert, error)
}
