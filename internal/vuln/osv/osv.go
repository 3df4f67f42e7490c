// Package osv reads security advisories in the Open Source Vulnerability
// (OSV) format: the record types, a tolerant decoder that rejects malformed
// records with a reason instead of failing an import, the ecosystem strings of
// the Linux distributions vigil matches (Debian, Ubuntu, AlmaLinux, Rocky
// Linux, Red Hat, Alpine), and loaders for single files, directories and the
// per-ecosystem zip archives that osv.dev publishes.
package osv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// MaxRecordSize bounds one advisory's JSON; bigger records are rejected.
const MaxRecordSize = 16 << 20

// Advisory is one OSV record.
type Advisory struct {
	SchemaVersion    string          `json:"schema_version,omitempty"`
	ID               string          `json:"id"`
	Modified         time.Time       `json:"modified"`
	Published        *time.Time      `json:"published,omitempty"`
	Withdrawn        *time.Time      `json:"withdrawn,omitempty"`
	Aliases          []string        `json:"aliases,omitempty"`
	Related          []string        `json:"related,omitempty"`
	Upstream         []string        `json:"upstream,omitempty"`
	Summary          string          `json:"summary,omitempty"`
	Details          string          `json:"details,omitempty"`
	Severity         []Severity      `json:"severity,omitempty"`
	Affected         []Affected      `json:"affected,omitempty"`
	References       []Reference     `json:"references,omitempty"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Severity is a severity score of a given type: CVSS_V2, CVSS_V3 and CVSS_V4
// carry a vector; "Ubuntu" a priority word.
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected names one package in one ecosystem and the versions affected.
type Affected struct {
	Package           Package         `json:"package"`
	Severity          []Severity      `json:"severity,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// Package identifies a package within an ecosystem.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Range types.
const (
	RangeEcosystem = "ECOSYSTEM"
	RangeSemver    = "SEMVER"
	RangeGit       = "GIT"
)

// Range is a list of version events of one type.
type Range struct {
	Type   string  `json:"type"`
	Repo   string  `json:"repo,omitempty"`
	Events []Event `json:"events"`
}

// Event is one version boundary; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Reference is a link about the advisory.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// ErrMalformed marks a record that is not a usable OSV advisory.
var ErrMalformed = errors.New("malformed advisory")

// Decode parses and validates one OSV record. It returns an error wrapping
// ErrMalformed, with a short reason, when the JSON does not follow the
// schema's types (a "ranges" object instead of a list, for example), the id
// or modified date is missing, or an event does not set exactly one bound.
// It never panics.
func Decode(data []byte) (*Advisory, error) {
	if len(data) > MaxRecordSize {
		return nil, fmt.Errorf("%w: record of %d bytes exceeds %d", ErrMalformed, len(data), MaxRecordSize)
	}
	var a Advisory
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrMalformed, jsonReason(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the record", ErrMalformed)
	}
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrMalformed, err)
	}
	return &a, nil
}

func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "record"
		}
		return fmt.Sprintf("field %s is a JSON %s, want %s", field, te.Value, te.Type)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)
	}
	return err.Error()
}

func (a *Advisory) validate() error {
	switch {
	case a.ID == "":
		return errors.New("no id")
	case len(a.ID) > 256:
		return errors.New("id longer than 256 bytes")
	case a.Modified.IsZero():
		return errors.New("no modified date")
	}
	for i, af := range a.Affected {
		for j, r := range af.Ranges {
			if r.Type == "" {
				return fmt.Errorf("affected[%d].ranges[%d]: no type", i, j)
			}
			if len(r.Events) == 0 {
				return fmt.Errorf("affected[%d].ranges[%d]: no events", i, j)
			}
			for k, e := range r.Events {
				if e.count() != 1 {
					return fmt.Errorf("affected[%d].ranges[%d].events[%d]: %d bounds set, want 1", i, j, k, e.count())
				}
			}
		}
	}
	return nil
}

func (e Event) count() int {
	n := 0
	for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
		if s != "" {
			n++
		}
	}
	return n
}

// IsWithdrawn reports whether the advisory carries a withdrawn date; such
// advisories are kept in the database but never matched.
func (a *Advisory) IsWithdrawn() bool {
	return a.Withdrawn != nil && !a.Withdrawn.IsZero()
}
