package event

import "time"

// Vigil holds the fields ECS has no name for (vigil.*).
type Vigil struct {
	Loss      *Loss         `json:"loss,omitempty"`
	Collector *Collector    `json:"collector,omitempty"`
	File      *VigilFile    `json:"file,omitempty"`
	Module    *Module       `json:"module,omitempty"`
	Package   *VigilPackage `json:"package,omitempty"`
	Alert     *Alert        `json:"alert,omitempty"`
}

// Loss reports events lost between From and To (vigil.loss.*), by the kernel
// (audit backlog) or by a vigil stage. A loss is always reported, never
// silent.
type Loss struct {
	Count int64 `json:"count"`
	// Reason says why, e.g. "backlog_limit", "rate_limit", "queue_full",
	// "sequence_gap", "spool_full".
	Reason string    `json:"reason,omitempty"`
	From   time.Time `json:"from,omitzero"`
	To     time.Time `json:"to,omitzero"`
	// Stage is where the loss happened (Stage* constants).
	Stage string `json:"stage,omitempty"`
}

// Collector reports a collector's health (vigil.collector.*).
type Collector struct {
	Name string `json:"name,omitempty"`
	// State is one of the CollectorState* constants.
	State  string `json:"state,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Counters are monotonic counters since the collector started
	// ("events", "dropped", "errors", ...).
	Counters map[string]int64 `json:"counters,omitempty"`
}

// VigilFile holds file values ECS lacks (vigil.file.*).
type VigilFile struct {
	// Previous is the file as it was before an update, attribute change or
	// move (for a move, Previous.Path is the old path).
	Previous *File `json:"previous,omitempty"`
}

// Module is a kernel module (vigil.module.*).
type Module struct {
	Name string `json:"name,omitempty"`
}

// VigilPackage holds package values ECS lacks (vigil.package.*).
type VigilPackage struct {
	PreviousVersion string `json:"previous_version,omitempty"`
}

// Alert holds the bookkeeping of a detection (vigil.alert.*): the events that
// matched, how many, when, and the triage status.
type Alert struct {
	EventIDs  []string  `json:"event_ids,omitempty"`
	Count     int64     `json:"count,omitempty"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	// Status is one of the AlertStatus* constants.
	Status string `json:"status,omitempty"`
}
