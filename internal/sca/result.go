package sca

import "time"

// Status is the outcome of a check.
type Status string

// Check outcomes. Wazuh's "invalid" result is split in two: StatusNotApplicable
// when the subject is absent or cannot be examined by design (missing file or
// directory, program not installed, command rules disabled, fixture root,
// distribution not targeted), StatusError when examining it failed (permission
// denied, read error, command timeout, regex timeout).
const (
	StatusPass          Status = "pass"
	StatusFail          Status = "fail"
	StatusNotApplicable Status = "not_applicable"
	StatusError         Status = "error"
)

// CheckResult is the outcome of one check, with the check's metadata.
type CheckResult struct {
	Check  *Check `json:"check"`
	Status Status `json:"status"`
	// Reason says why a check is not_applicable or error.
	Reason string `json:"reason,omitempty"`
	// Evidence says which rule decided the result and what it saw: the file
	// and matching line, or "no line of FILE matches EXPR".
	Evidence string `json:"evidence,omitempty"`
}

// RequirementResult is the outcome of a policy's requirements.
type RequirementResult struct {
	Title    string `json:"title"`
	Status   Status `json:"status"`
	Reason   string `json:"reason,omitempty"`
	Evidence string `json:"evidence,omitempty"`
}

// PolicyResult is the outcome of evaluating one policy on one host.
type PolicyResult struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	File   string `json:"file"`
	Source string `json:"source"`
	// Requirements is nil when the policy has none.
	Requirements *RequirementResult `json:"requirements,omitempty"`
	// Skipped is set, with the reason, when the requirements were not met;
	// Checks is then empty.
	Skipped  string        `json:"skipped,omitempty"`
	Checks   []CheckResult `json:"checks"`
	Summary  Summary       `json:"summary"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
}

// Summary counts check results by status.
type Summary struct {
	Pass          int `json:"pass"`
	Fail          int `json:"fail"`
	NotApplicable int `json:"not_applicable"`
	Error         int `json:"error"`
}

// Total is the number of checks counted.
func (s Summary) Total() int { return s.Pass + s.Fail + s.NotApplicable + s.Error }

func (s *Summary) add(st Status) {
	switch st {
	case StatusPass:
		s.Pass++
	case StatusFail:
		s.Fail++
	case StatusNotApplicable:
		s.NotApplicable++
	case StatusError:
		s.Error++
	}
}
