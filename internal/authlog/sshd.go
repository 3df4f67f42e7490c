package authlog

import (
	"regexp"
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
)

// sshd messages. User names may contain spaces (sshd logs what the client
// sent), so they are matched greedily up to the last " from ".
var (
	reAccepted    = regexp.MustCompile(`^Accepted (\S+) for (.*) from (\S+) port (\d+)`)
	reFailed      = regexp.MustCompile(`^Failed (\S+) for (?:(invalid user) )?(.*) from (\S+) port (\d+)`)
	reInvalidUser = regexp.MustCompile(`^Invalid user (.*) from (\S+)(?: port (\d+))?$`)
	reInputReq    = regexp.MustCompile(`^input_userauth_request: invalid user (.*)$`)
	rePostponed   = regexp.MustCompile(`^Postponed (\S+) for (?:(invalid user) )?(.*) from (\S+) port (\d+)`)
	reNotAllowed  = regexp.MustCompile(`^User (.*) from (\S+) not allowed because `)
	reMaxAuth     = regexp.MustCompile(`^error: maximum authentication attempts exceeded for (?:(invalid user) )?(.*) from (\S+) port (\d+)`)
	reRecvDisc    = regexp.MustCompile(`^(?:error: )?Received disconnect from (\S+?)(?: port (\d+))?:`)
	reDisconnFrom = regexp.MustCompile(`^Disconnected from (?:(?:authenticating |invalid )?user (.*) )?(\S+) port (\d+)$`)
	reConnByPort  = regexp.MustCompile(`^Connection (?:closed|reset) by (?:(?:authenticating |invalid )?user (.*) )?(\S+) port (\d+)$`)
	reConnBy      = regexp.MustCompile(`^Connection (?:closed|reset) by (?:(?:authenticating |invalid )?user (.*) )?(\S+)()$`)
	reDisconnInv  = regexp.MustCompile(`^Disconnecting (?:authenticating |invalid )?user (.*) (\S+) port (\d+)`)
	reTooMany     = regexp.MustCompile(`^Disconnecting(?: (?:authenticating|invalid) user \S+ \S+ port \d+)?: Too many authentication failures(?: for (?:invalid user )?(.*))?$`)
	reNoIdent     = regexp.MustCompile(`^Did not receive identification string from (\S+)(?: port (\d+))?`)
	reBadProto    = regexp.MustCompile(`^Bad protocol version identification '.*' from (\S+)(?: port (\d+))?`)
	reNegotiate   = regexp.MustCompile(`^(?:fatal: )?Unable to negotiate with (\S+?)(?: port (\d+))?:`)
	reReverse     = regexp.MustCompile(`^reverse mapping checking getaddrinfo for \S+ \[([^\]]+)\] failed`)
	reAddrMaps    = regexp.MustCompile(`^Address (\S+) maps to \S+, but this does not map back to the address`)
	rePAMError    = regexp.MustCompile(`^error: PAM: (.*) for (?:(illegal|invalid) user )?(.*) from (\S+)$`)
	rePAMMore     = regexp.MustCompile(`^(?:PAM )?(\d+) more authentication failures?; (.*)$`)
)

func (b *builder) sshd(msg string) []event.Event {
	msg, _ = strings.CutSuffix(msg, " [preauth]")
	if m := reAccepted.FindStringSubmatch(msg); m != nil {
		e := b.auth(event.ActionSSHLogin, event.OutcomeSuccess)
		b.sshFields(&e, m[1], m[2], m[3], m[4])
		return []event.Event{e}
	}
	if m := reFailed.FindStringSubmatch(msg); m != nil {
		e := b.auth(event.ActionSSHLogin, event.OutcomeFailure)
		b.sshFields(&e, m[1], m[3], m[4], m[5])
		return []event.Event{e}
	}
	if m := reInvalidUser.FindStringSubmatch(msg); m != nil {
		return b.one(ActionSSHInvalidUser, event.OutcomeFailure, m[1], m[2], m[3])
	}
	if m := reInputReq.FindStringSubmatch(msg); m != nil {
		return b.one(ActionSSHPreauth, event.OutcomeFailure, m[1], "", "")
	}
	if m := rePostponed.FindStringSubmatch(msg); m != nil {
		e := b.auth(ActionSSHPreauth, event.OutcomeUnknown)
		b.sshFields(&e, m[1], m[3], m[4], m[5])
		return []event.Event{e}
	}
	if m := reNotAllowed.FindStringSubmatch(msg); m != nil {
		return b.one(ActionSSHUserNotAllowed, event.OutcomeFailure, m[1], m[2], "")
	}
	if m := reMaxAuth.FindStringSubmatch(msg); m != nil {
		return b.one(ActionSSHMaxAuthAttempts, event.OutcomeFailure, m[2], m[3], m[4])
	}
	if m := rePAMError.FindStringSubmatch(msg); m != nil {
		return b.one(ActionPAMAuthFailure, event.OutcomeFailure, m[3], m[4], "")
	}
	if m := rePAMMore.FindStringSubmatch(msg); m != nil {
		return b.pamRepeated(m[1], m[2])
	}
	if evs := b.sshDisconnect(msg); evs != nil {
		return evs
	}
	return b.sshProtocol(msg)
}

// sshFields fills the fields of an authentication line.
func (b *builder) sshFields(e *event.Event, method, user, addr, port string) {
	method, _ = strings.CutSuffix(method, "/pam")
	e.Auth = &event.Auth{Method: method}
	setUser(e, user)
	setSource(e, addr, port)
}

// one makes a single authentication event with user and source.
func (b *builder) one(action, outcome, user, addr, port string) []event.Event {
	e := b.auth(action, outcome)
	setUser(&e, user)
	setSource(&e, addr, port)
	return []event.Event{e}
}

func (b *builder) disconnect(user, addr, port string) []event.Event {
	e := b.ev(ActionSSHDisconnect, "", []string{event.CategorySession}, []string{event.TypeEnd})
	setUser(&e, user)
	setSource(&e, addr, port)
	return []event.Event{e}
}

func (b *builder) sshDisconnect(msg string) []event.Event {
	if m := reTooMany.FindStringSubmatch(msg); m != nil {
		return b.disconnect(m[1], "", "")
	}
	if m := reRecvDisc.FindStringSubmatch(msg); m != nil {
		return b.disconnect("", m[1], m[2])
	}
	if m := reDisconnFrom.FindStringSubmatch(msg); m != nil {
		return b.disconnect(m[1], m[2], m[3])
	}
	if m := reConnByPort.FindStringSubmatch(msg); m != nil {
		return b.disconnect(m[1], m[2], m[3])
	}
	if m := reConnBy.FindStringSubmatch(msg); m != nil {
		return b.disconnect(m[1], m[2], m[3])
	}
	if m := reDisconnInv.FindStringSubmatch(msg); m != nil {
		return b.disconnect(m[1], m[2], m[3])
	}
	if strings.HasPrefix(msg, "fatal: Write failed: ") || strings.HasPrefix(msg, "fatal: Read from socket failed: ") ||
		strings.HasPrefix(msg, "Read error from remote host ") || strings.HasPrefix(msg, "Disconnecting: ") {
		addr := ""
		if rest, ok := strings.CutPrefix(msg, "Read error from remote host "); ok {
			addr, _, _ = strings.Cut(rest, ":")
			if i := strings.Index(rest, " port "); i >= 0 && i < len(addr) {
				addr = rest[:i]
			}
		}
		return b.disconnect("", addr, "")
	}
	return nil
}

func (b *builder) sshProtocol(msg string) []event.Event {
	protoErr := func(addr, port string) []event.Event {
		e := b.ev(ActionSSHProtocolError, event.OutcomeFailure,
			[]string{event.CategoryNetwork}, []string{event.TypeProtocol})
		setSource(&e, addr, port)
		return []event.Event{e}
	}
	if m := reNoIdent.FindStringSubmatch(msg); m != nil {
		return protoErr(m[1], m[2])
	}
	if m := reBadProto.FindStringSubmatch(msg); m != nil {
		return protoErr(m[1], m[2])
	}
	if m := reNegotiate.FindStringSubmatch(msg); m != nil {
		return protoErr(m[1], m[2])
	}
	if strings.HasPrefix(msg, "fatal: Unable to negotiate") || strings.HasPrefix(msg, "Corrupted MAC on input") ||
		strings.HasPrefix(msg, "Bad packet length") {
		return protoErr("", "")
	}
	reverse := func(addr string) []event.Event {
		e := b.ev(ActionSSHReverseMappingError, event.OutcomeUnknown,
			[]string{event.CategoryNetwork}, []string{event.TypeInfo})
		setSource(&e, addr, "")
		return []event.Event{e}
	}
	if m := reReverse.FindStringSubmatch(msg); m != nil {
		return reverse(m[1])
	}
	if m := reAddrMaps.FindStringSubmatch(msg); m != nil {
		return reverse(m[1])
	}
	return nil
}
