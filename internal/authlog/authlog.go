// Package authlog turns the lines of a Unix authentication log
// (/var/log/auth.log, /var/log/secure, /var/log/messages) into vigil events.
//
// ParseLine is a pure function from one syslog line to zero or more events:
// ParseHeader reads the syslog envelope (RFC 3164 with year inference, RFC
// 5424, and the RFC 3339 timestamps of rsyslog's RSYSLOG_FileFormat), then the
// message is read according to the program that wrote it: sshd, sudo, su,
// login, systemd-logind, the shadow tools (useradd, userdel, usermod,
// groupadd, groupdel, groupmod, passwd, chage, gpasswd) and PAM module lines
// of any service (pam_unix(svc:type): ... and the legacy svc(pam_unix)[pid]
// form). Lines the package does not know give no event; lines without a
// syslog header give an error, so that a reader can count them.
//
// Actions (event.action), beyond the catalogue's ssh_login, user_login,
// user_logout, sudo, sudo_auth and the iam actions:
//
//   - ssh_login: exactly one per SSH authentication result ("Accepted ...",
//     "Failed <method> ..."); a "message repeated N times: [ Failed ... ]"
//     line gives N events, each with its own ID.
//   - ssh_invalid_user: "Invalid user X from IP" (outcome failure).
//   - ssh_preauth: "input_userauth_request: invalid user X [preauth]",
//     "Postponed <method> for X ..." (not attempts).
//   - ssh_user_not_allowed: "User X from IP not allowed because ...".
//   - ssh_max_auth_attempts: "error: maximum authentication attempts exceeded".
//   - ssh_disconnect: "Received disconnect", "Disconnected from", "Connection
//     closed/reset by", "Disconnecting ...", "fatal: Write failed ...".
//   - ssh_protocol_error: "Did not receive identification string", "Bad
//     protocol version identification", "Unable to negotiate", corrupted MAC,
//     bad packet length.
//   - ssh_reverse_mapping_failed: "reverse mapping checking getaddrinfo ...
//     POSSIBLE BREAK-IN ATTEMPT!" and "Address X maps to Y, but this does
//     not map back".
//   - pam_auth_failure: "pam_*(svc:auth): authentication failure; ...",
//     sshd's "error: PAM: authentication error for ...".
//   - pam_user_unknown: "check pass; user unknown".
//   - pam_repeated_failures: "PAM N more authentication failures; ..."
//     (a summary of failures already logged one by one; auth.attempts = N).
//   - sudo_denied: "user NOT in sudoers", "command not allowed".
//
// PAM session lines of any service (sshd, su, sudo, cron, login) are
// user_login / user_logout with user.name the session's user. For su and sudo
// lines user.name is the caller and user.effective.name the target.
package authlog

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// Dataset is the event.dataset of the events this package makes.
const Dataset = event.DatasetPrefix + "login"

// Actions this package adds to the catalogue's (see the package comment).
const (
	ActionSSHInvalidUser         = "ssh_invalid_user"
	ActionSSHPreauth             = "ssh_preauth"
	ActionSSHUserNotAllowed      = "ssh_user_not_allowed"
	ActionSSHMaxAuthAttempts     = "ssh_max_auth_attempts"
	ActionSSHDisconnect          = "ssh_disconnect"
	ActionSSHProtocolError       = "ssh_protocol_error"
	ActionSSHReverseMappingError = "ssh_reverse_mapping_failed"
	ActionPAMAuthFailure         = "pam_auth_failure"
	ActionPAMUserUnknown         = "pam_user_unknown"
	ActionPAMRepeatedFailures    = "pam_repeated_failures"
	ActionSudoDenied             = "sudo_denied"
)

const (
	// MaxLineBytes bounds the line a parser looks at; longer lines are cut.
	MaxLineBytes = 64 << 10
	// MaxRepeat bounds the events one "message repeated N times" line gives.
	MaxRepeat = 1000
)

// ErrNoHeader is returned (wrapped) for a line without a syslog header.
var ErrNoHeader = errors.New("no syslog header")

// ParseLine parses one log line (without or with its newline) found at byte
// offset in opts.Source. It returns the events the line describes (none for
// lines of programs or messages the package does not read) and an error
// wrapping ErrNoHeader when the line is not a syslog line. Event IDs are
// derived from the source, the offset and the line, so re-reading a file
// gives the same IDs.
func ParseLine(line []byte, offset int64, opts Options) ([]event.Event, error) {
	if len(line) > MaxLineBytes {
		line = line[:MaxLineBytes]
	}
	h, ok := ParseHeader(line, opts)
	if !ok {
		return nil, fmt.Errorf("line at offset %d: %w", offset, ErrNoHeader)
	}
	if h.Time.IsZero() {
		h.Time = opts.Ref
	}
	b := &builder{h: h, line: strings.TrimRight(string(line), "\r\n"), source: opts.Source, pos: strconv.FormatInt(offset, 10)}
	return b.parse(h.Msg), nil
}

// RecordID names a record for event IDs: the log it came from and the
// record's stable position there (a journal entry's cursor).
type RecordID struct {
	Source string
	Key    string
}

// ParseRecord reads one record whose envelope a structured log (the systemd
// journal) already gives, with the same message parsers as ParseLine: no
// syslog header is parsed, h says when (it must be set), where and which
// program. A legacy "prog(module)" Program is split as ParseHeader splits
// it, and a message longer than MaxLineBytes is cut. The events' message is
// h.Line(). Event IDs derive from id and the record, so reading the record
// again gives the same IDs.
func ParseRecord(h Header, id RecordID) []event.Event {
	if len(h.Msg) > MaxLineBytes {
		h.Msg = h.Msg[:MaxLineBytes]
	}
	if h.Module == "" {
		splitModule(&h)
	}
	b := &builder{h: h, line: h.Line(), source: id.Source, pos: id.Key}
	return b.parse(h.Msg)
}

// Claims returns the programs a record claims to come from, lower-cased, as
// the parsers read it: its program (a legacy "prog(module)" split), and the
// service of a "pam_mod(service:type): msg" message. A reader that knows
// who really sent the record (the journal's _UID) checks these.
func Claims(h Header) []string {
	if h.Module == "" {
		splitModule(&h)
	}
	claims := []string{strings.ToLower(h.Program)}
	if m := rePAMPrefix.FindStringSubmatch(h.Msg); m != nil {
		claims = append(claims, strings.ToLower(m[2]))
	}
	return claims
}

// ParseAll reads every line of r and returns the events, with the lines that
// had no syslog header recorded in the returned list under opts.Source.
func ParseAll(r io.Reader, opts Options) ([]event.Event, skipped.List, error) {
	var out []event.Event
	var skip skipped.List
	br := bufio.NewReaderSize(r, 64<<10)
	var offset int64
	for n := 1; ; n++ {
		line, size, err := readBoundedLine(br)
		if size > 0 {
			evs, perr := ParseLine(line, offset, opts)
			if perr != nil {
				skip.Add(opts.Source, n, "%v", perr)
			}
			out = append(out, evs...)
			offset += int64(size)
		}
		if err == io.EOF {
			return out, skip, nil
		}
		if err != nil {
			return out, skip, fmt.Errorf("read %s: %w", opts.Source, err)
		}
	}
}

// readBoundedLine returns one line with its newline, cut to MaxLineBytes,
// and its full size.
func readBoundedLine(br *bufio.Reader) ([]byte, int, error) {
	var line []byte
	size := 0
	for {
		frag, err := br.ReadSlice('\n')
		size += len(frag)
		if room := MaxLineBytes - len(line); room > 0 {
			line = append(line, frag[:min(room, len(frag))]...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return line, size, err
	}
}

// builder makes the events of one line.
type builder struct {
	h    Header
	line string
	// source and pos (a file and byte offset, or a journal and cursor) name
	// the line in event IDs.
	source, pos string
	n           int // events made so far, part of each ID
}

func (b *builder) parse(msg string) []event.Event {
	if rest, ok := strings.CutPrefix(msg, "[ID "); ok {
		// Solaris message IDs: "[ID 800047 auth.notice] Failed none ..."
		if i := strings.IndexByte(rest, ']'); i >= 0 {
			msg = strings.TrimLeft(rest[i+1:], " ")
		}
	}
	if n, inner, ok := repeated(msg); ok {
		var out []event.Event
		for range min(n, MaxRepeat) {
			out = append(out, b.parseOne(inner)...)
		}
		return out
	}
	return b.parseOne(msg)
}

// repeated reads rsyslog's "message repeated N times: [ msg]".
func repeated(msg string) (int, string, bool) {
	rest, ok := strings.CutPrefix(msg, "message repeated ")
	if !ok {
		return 0, "", false
	}
	num, rest, ok := strings.Cut(rest, " times: [")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n < 1 {
		return 0, "", false
	}
	rest = strings.TrimSuffix(strings.TrimSpace(rest), "]")
	return n, strings.TrimSpace(rest), true
}

func (b *builder) parseOne(msg string) []event.Event {
	prog := strings.ToLower(b.h.Program)
	if b.h.Module != "" || strings.HasPrefix(msg, "pam_") {
		if evs, ok := b.pam(msg); ok {
			return evs
		}
	}
	switch prog {
	case "sshd", "sshd-session", "sshd-auth":
		return b.sshd(msg)
	case "sudo":
		return b.sudo(msg)
	case "su":
		return b.su(msg)
	case "systemd-logind":
		return b.logind(msg)
	case "useradd", "userdel", "usermod", "groupadd", "groupdel", "groupmod",
		"passwd", "chage", "chpasswd", "gpasswd", "chfn", "chsh", "newusers":
		return b.shadow(msg)
	}
	return b.login(msg)
}

// ev starts an event of this line.
func (b *builder) ev(action, outcome string, cats []string, types []string) event.Event {
	e := event.Event{
		Timestamp: b.h.Time,
		Message:   b.line,
		Event: event.Meta{
			ID:       event.DeterministicID(b.h.Time, b.source, b.pos, strconv.Itoa(b.n), b.line),
			Kind:     event.KindEvent,
			Category: cats,
			Type:     types,
			Action:   action,
			Outcome:  outcome,
			Dataset:  Dataset,
		},
		Process: &event.Process{Name: b.h.Program},
	}
	b.n++
	if b.h.PID >= 0 {
		e.Process.PID = new(b.h.PID)
	}
	return e
}

func (b *builder) auth(action, outcome string) event.Event {
	return b.ev(action, outcome, []string{event.CategoryAuthentication}, []string{event.TypeStart})
}

// setUser sets user.name and adds it to related.user.
func setUser(e *event.Event, name string) {
	if name == "" {
		return
	}
	if e.User == nil {
		e.User = &event.User{}
	}
	e.User.Name = name
	relateUser(e, name)
}

func setEffective(e *event.Event, name string) {
	if name == "" {
		return
	}
	if e.User == nil {
		e.User = &event.User{}
	}
	e.User.Effective = &event.UserRef{Name: name}
	relateUser(e, name)
}

func relateUser(e *event.Event, name string) {
	if name == "" {
		return
	}
	if e.Related == nil {
		e.Related = &event.Related{}
	}
	for _, u := range e.Related.User {
		if u == name {
			return
		}
	}
	e.Related.User = append(e.Related.User, name)
}

// setSource sets source.ip (or source.domain for a host name) and port.
func setSource(e *event.Event, addr, port string) {
	if addr == "" {
		return
	}
	src := &event.Endpoint{}
	if a, err := netip.ParseAddr(addr); err == nil && a.Zone() == "" {
		a = a.Unmap()
		src.IP = a.String()
		if e.Related == nil {
			e.Related = &event.Related{}
		}
		e.Related.IP = append(e.Related.IP, src.IP)
	} else if validHostname(addr) {
		src.Domain = addr
	} else {
		src.Address = addr
	}
	if p, err := strconv.ParseInt(port, 10, 64); err == nil && p >= 0 && p <= 65535 {
		src.Port = new(p)
	}
	e.Source = src
}

func validHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, r := range s {
		if !(r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func setTerminal(e *event.Event, tty string) {
	tty = strings.TrimPrefix(tty, "/dev/")
	if tty == "" || tty == "unknown" || tty == "(none)" {
		return
	}
	if e.User == nil {
		e.User = &event.User{}
	}
	e.User.Terminal = tty
}
