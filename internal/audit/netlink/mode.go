package netlink

import "errors"

// Mode is how vigil receives audit records.
type Mode string

const (
	// ModeAuto picks ModeObserver when another live process owns audit
	// (auditd), ModeOwner otherwise.
	ModeAuto Mode = "auto"
	// ModeOwner registers vigil as the audit daemon: records are unicast to
	// it, and it sets backlog_limit and backlog_wait_time.
	ModeOwner Mode = "owner"
	// ModeObserver joins the read-only multicast group while auditd keeps
	// owning audit; no setting is changed.
	ModeObserver Mode = "observer"
)

// Errors of the audit subsystem's state.
var (
	// ErrLocked means audit is immutable until reboot (enabled = 2): rules
	// and settings cannot change.
	ErrLocked = errors.New("audit configuration is locked (enabled=2)")
	// ErrOwned means another process owns audit and owner mode was asked.
	ErrOwned = errors.New("audit is owned by another process")
)

// DetectMode picks the mode for st: observer when st.PID names a live process
// other than self, owner otherwise (no audit daemon, or a dead one left
// registered, which the kernel replaces). alive tells whether a pid runs.
func DetectMode(st Status, self int, alive func(pid int) bool) Mode {
	if st.PID != 0 && int(st.PID) != self && alive(int(st.PID)) {
		return ModeObserver
	}
	return ModeOwner
}
