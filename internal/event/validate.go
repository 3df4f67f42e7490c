package event

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"unicode"
)

// Bounds Validate enforces, so that one hostile or broken event cannot
// dominate a batch, an index or a UI page.
const (
	MaxIDLen      = 128     // event.id
	MaxListLen    = 1024    // entries of tags, labels, event.category/type, auditd.data, auditd.messages
	MaxArgs       = 8192    // entries of process.args; collectors truncate, args_count keeps the real count
	MaxFieldBytes = 1 << 20 // message, event.original
)

// FieldError is one validation problem, naming the field by its dotted ECS
// path. Validate joins them with errors.Join; use errors.As or the
// Unwrap() []error of the joined error to list them.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

type problems []error

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
}

// Validate checks the event against the schema and the catalogue. It returns
// nil or all problems joined, each a *FieldError.
func (e *Event) Validate() error {
	var p problems
	if e.Timestamp.IsZero() {
		p.add("@timestamp", "missing")
	}
	e.validateMeta(&p)
	e.validateCatalogue(&p)
	e.validateNetwork(&p)
	e.validateObjects(&p)
	e.validateBounds(&p)
	return errors.Join(p...)
}

func (e *Event) validateMeta(p *problems) {
	m := &e.Event
	switch {
	case m.ID == "":
		p.add("event.id", "missing")
	case len(m.ID) > MaxIDLen:
		p.add("event.id", "longer than %d bytes", MaxIDLen)
	case strings.IndexFunc(m.ID, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		p.add("event.id", "contains space or control characters")
	}
	if !ValidKind(m.Kind) {
		p.add("event.kind", "invalid value %q", m.Kind)
	}
	if len(m.Category) == 0 {
		p.add("event.category", "missing")
	}
	for _, c := range m.Category {
		if !ValidCategory(c) {
			p.add("event.category", "invalid value %q", c)
		}
	}
	if len(m.Type) == 0 {
		p.add("event.type", "missing")
	}
	for _, t := range m.Type {
		switch {
		case !ValidType(t):
			p.add("event.type", "invalid value %q", t)
		case t == TypeIndicator && m.Kind == KindAlert:
			// An alert keeps the categories of what it detected.
		case !slices.ContainsFunc(m.Category, func(c string) bool { return ValidPair(c, t) }):
			p.add("event.type", "%q is not expected with category %v", t, m.Category)
		}
	}
	if m.Action == "" {
		p.add("event.action", "missing")
	}
	switch m.Outcome {
	case "", OutcomeSuccess, OutcomeFailure, OutcomeUnknown:
	default:
		p.add("event.outcome", "invalid value %q", m.Outcome)
	}
	if !validDataset(m.Dataset) {
		p.add("event.dataset", "%q is not of the form vigil.<collector>", m.Dataset)
	}
}

// validDataset accepts "vigil." followed by 1-64 of [a-z0-9_].
func validDataset(d string) bool {
	name, ok := strings.CutPrefix(d, DatasetPrefix)
	if !ok || name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

func (e *Event) validateCatalogue(p *problems) {
	m := &e.Event
	switch m.Kind {
	case KindAlert:
		if !slices.Contains(m.Type, TypeIndicator) {
			p.add("event.type", "an alert must include %q", TypeIndicator)
		}
		if e.Rule == nil || e.Rule.ID == "" {
			p.add("rule.id", "missing on an alert")
		}
		return
	case KindState:
		if m.Action != "" && !strings.HasPrefix(m.Action, ExistingPrefix) {
			p.add("event.action", "a state event's action must start with %q", ExistingPrefix)
		}
		if !slices.Contains(m.Type, TypeInfo) {
			p.add("event.type", "a state event must include %q", TypeInfo)
		}
	}
	s, ok := catalogue[m.Action]
	if !ok {
		return
	}
	if (s.Kind == KindState) != (m.Kind == KindState) {
		p.add("event.kind", "%q is not expected with action %q", m.Kind, m.Action)
	}
	if !slices.Contains(m.Category, s.Category) {
		p.add("event.category", "action %q requires category %q", m.Action, s.Category)
	}
	if !slices.ContainsFunc(m.Type, func(t string) bool { return slices.Contains(s.Types, t) }) {
		p.add("event.type", "action %q requires one of %v", m.Action, s.Types)
	}
}

func (e *Event) validateNetwork(p *problems) {
	for _, side := range []struct {
		name string
		ep   *Endpoint
	}{{"source", e.Source}, {"destination", e.Destination}} {
		if side.ep == nil {
			continue
		}
		validIP(p, side.name+".ip", side.ep.IP)
		if side.ep.Port != nil && (*side.ep.Port < 0 || *side.ep.Port > 65535) {
			p.add(side.name+".port", "%d out of range 0-65535", *side.ep.Port)
		}
		nonNegative(p, side.name+".bytes", side.ep.Bytes)
		nonNegative(p, side.name+".packets", side.ep.Packets)
	}
	if n := e.Network; n != nil {
		nonNegative(p, "network.bytes", n.Bytes)
		nonNegative(p, "network.packets", n.Packets)
		switch n.Direction {
		case "", DirectionIngress, DirectionEgress, DirectionInbound, DirectionOutbound,
			DirectionInternal, DirectionExternal, DirectionUnknown:
		default:
			p.add("network.direction", "invalid value %q", n.Direction)
		}
	}
	if e.Host != nil {
		for _, ip := range e.Host.IP {
			validIP(p, "host.ip", ip)
		}
	}
	if e.Related != nil {
		for _, ip := range e.Related.IP {
			validIP(p, "related.ip", ip)
		}
	}
}

// validIP accepts an empty string or an IPv4/IPv6 address without zone (the
// ECS ip type has no zones).
func validIP(p *problems, field, s string) {
	if s == "" {
		return
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		p.add(field, "%q is not an IP address", s)
		return
	}
	if a.Zone() != "" {
		p.add(field, "%q has a zone", s)
	}
}

func nonNegative(p *problems, field string, v *int64) {
	if v != nil && *v < 0 {
		p.add(field, "negative value %d", *v)
	}
}

func (e *Event) validateObjects(p *problems) {
	if pr := e.Process; pr != nil {
		nonNegative(p, "process.pid", pr.PID)
		nonNegative(p, "process.ppid", pr.PPID)
		nonNegative(p, "process.args_count", pr.ArgsCount)
		if pr.Parent != nil {
			nonNegative(p, "process.parent.pid", pr.Parent.PID)
		}
		if pr.SessionLeader != nil {
			nonNegative(p, "process.session_leader.pid", pr.SessionLeader.PID)
		}
	}
	if e.File != nil {
		validateFile(p, "file.", e.File)
	}
	if v := e.Vigil; v != nil {
		if v.File != nil && v.File.Previous != nil {
			validateFile(p, "vigil.file.previous.", v.File.Previous)
		}
		if v.Loss != nil && v.Loss.Count < 0 {
			p.add("vigil.loss.count", "negative value %d", v.Loss.Count)
		}
		if a := v.Alert; a != nil {
			switch a.Status {
			case "", AlertStatusOpen, AlertStatusAcknowledged, AlertStatusClosed:
			default:
				p.add("vigil.alert.status", "invalid value %q", a.Status)
			}
		}
	}
	if e.Rule != nil && e.Rule.Level != "" {
		if _, ok := LevelSeverity(e.Rule.Level); !ok {
			p.add("rule.level", "invalid value %q", e.Rule.Level)
		}
	}
}

func validateFile(p *problems, prefix string, f *File) {
	nonNegative(p, prefix+"size", f.Size)
	if f.Mode != "" && !validMode(f.Mode) {
		p.add(prefix+"mode", "%q is not an octal mode like 0644", f.Mode)
	}
	if h := f.Hash; h != nil {
		validHex(p, prefix+"hash.md5", h.MD5, 32)
		validHex(p, prefix+"hash.sha1", h.SHA1, 40)
		validHex(p, prefix+"hash.sha256", h.SHA256, 64)
	}
}

// validMode accepts 3 to 6 octal digits ("644", "0644", "04755").
func validMode(m string) bool {
	if len(m) < 3 || len(m) > 6 {
		return false
	}
	for _, r := range m {
		if r < '0' || r > '7' {
			return false
		}
	}
	return true
}

func validHex(p *problems, field, s string, n int) {
	if s == "" {
		return
	}
	if len(s) != n || strings.IndexFunc(s, func(r rune) bool {
		return (r < '0' || r > '9') && (r < 'a' || r > 'f')
	}) >= 0 {
		p.add(field, "not %d lowercase hex digits", n)
	}
}

func (e *Event) validateBounds(p *problems) {
	type count struct {
		field  string
		n, max int
	}
	counts := []count{
		{"tags", len(e.Tags), MaxListLen},
		{"labels", len(e.Labels), MaxListLen},
		{"event.category", len(e.Event.Category), MaxListLen},
		{"event.type", len(e.Event.Type), MaxListLen},
	}
	if e.Process != nil {
		counts = append(counts, count{"process.args", len(e.Process.Args), MaxArgs})
	}
	if e.Auditd != nil {
		counts = append(counts,
			count{"auditd.data", len(e.Auditd.Data), MaxListLen},
			count{"auditd.messages", len(e.Auditd.Messages), MaxListLen})
	}
	for _, c := range counts {
		if c.n > c.max {
			p.add(c.field, "%d entries, more than %d", c.n, c.max)
		}
	}
	if len(e.Message) > MaxFieldBytes {
		p.add("message", "longer than %d bytes", MaxFieldBytes)
	}
	if len(e.Event.Original) > MaxFieldBytes {
		p.add("event.original", "longer than %d bytes", MaxFieldBytes)
	}
}
