package rules

import (
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rules/sigma"
)

// getter fills v with a field of e and reports whether e has it. It reuses
// the slices in v.
type getter func(e *event.Event, v *sigma.Value) bool

// newGetter returns the getter of a mapped field name.
func newGetter(name string) getter {
	switch {
	case name == fieldInitiated:
		return getInitiated
	case name == fieldAuditType:
		return getAuditType
	case strings.HasPrefix(name, fieldAuditArg):
		n, _ := strconv.Atoi(name[len(fieldAuditArg):])
		raw := auditData("a" + name[len(fieldAuditArg):])
		return func(e *event.Event, v *sigma.Value) bool {
			if e.Process != nil && n < len(e.Process.Args) {
				return setString(v, e.Process.Args[n])
			}
			return raw(e, v)
		}
	case strings.HasPrefix(name, event.AuditDataPrefix):
		return auditData(name[len(event.AuditDataPrefix):])
	}
	if g, ok := directGetters[name]; ok {
		return g
	}
	return func(e *event.Event, v *sigma.Value) bool { return getPath(e, name, v) }
}

// str makes a getter of a string field read straight from the struct, for
// the fields nearly every rule reads (Event.Get goes through a map).
func str(f func(e *event.Event) string) getter {
	return func(e *event.Event, v *sigma.Value) bool {
		s := f(e)
		return s != "" && setString(v, s)
	}
}

var directGetters = map[string]getter{
	"message": str(func(e *event.Event) string { return e.Message }),
	"process.command_line": str(func(e *event.Event) string {
		if e.Process == nil {
			return ""
		}
		return e.Process.CommandLine
	}),
	"process.executable": str(func(e *event.Event) string {
		if e.Process == nil {
			return ""
		}
		return e.Process.Executable
	}),
	"process.name": str(func(e *event.Event) string {
		if e.Process == nil {
			return ""
		}
		return e.Process.Name
	}),
	"process.parent.executable": str(func(e *event.Event) string {
		if e.Process == nil || e.Process.Parent == nil {
			return ""
		}
		return e.Process.Parent.Executable
	}),
	"process.parent.command_line": str(func(e *event.Event) string {
		if e.Process == nil || e.Process.Parent == nil {
			return ""
		}
		return e.Process.Parent.CommandLine
	}),
	"file.path": str(func(e *event.Event) string {
		if e.File == nil {
			return ""
		}
		return e.File.Path
	}),
	"user.name": str(func(e *event.Event) string {
		if e.User == nil {
			return ""
		}
		return e.User.Name
	}),
	"event.action":  str(func(e *event.Event) string { return e.Event.Action }),
	"event.outcome": str(func(e *event.Event) string { return e.Event.Outcome }),
	"source.ip": str(func(e *event.Event) string {
		if e.Source == nil {
			return ""
		}
		return e.Source.IP
	}),
	"destination.ip": str(func(e *event.Event) string {
		if e.Destination == nil {
			return ""
		}
		return e.Destination.IP
	}),
	"destination.domain": str(func(e *event.Event) string {
		if e.Destination == nil {
			return ""
		}
		return e.Destination.Domain
	}),
}

// auditData makes a getter of a raw audit field.
func auditData(key string) getter {
	return func(e *event.Event, v *sigma.Value) bool {
		if e.Auditd == nil {
			return false
		}
		s, ok := e.Auditd.Data[key]
		return ok && setString(v, s)
	}
}

func getPath(e *event.Event, name string, v *sigma.Value) bool {
	x, ok := e.Get(name)
	if !ok {
		return false
	}
	v.HasNum, v.HasTime = false, false
	switch x := x.(type) {
	case string:
		return setString(v, x)
	case []string:
		v.Strs = append(v.Strs[:0], x...)
		v.Lower = v.Lower[:0]
		for _, s := range x {
			v.Lower = append(v.Lower, strings.ToLower(s))
		}
		return true
	case int64:
		s := strconv.FormatInt(x, 10)
		v.Strs = append(v.Strs[:0], s)
		v.Lower = append(v.Lower[:0], s)
		v.Num, v.HasNum = float64(x), true
		return true
	case time.Time:
		s := x.Format(time.RFC3339Nano)
		v.Strs = append(v.Strs[:0], s)
		v.Lower = append(v.Lower[:0], strings.ToLower(s))
		v.Time, v.HasTime = x, true
		return true
	}
	return false
}

func setString(v *sigma.Value, s string) bool {
	v.HasNum, v.HasTime = false, false
	v.Strs = append(v.Strs[:0], s)
	v.Lower = append(v.Lower[:0], strings.ToLower(s))
	return true
}

func getInitiated(e *event.Event, v *sigma.Value) bool {
	if e.Network == nil {
		return false
	}
	switch e.Network.Direction {
	case event.DirectionEgress, event.DirectionOutbound:
		return setString(v, "true")
	case event.DirectionIngress, event.DirectionInbound:
		return setString(v, "false")
	}
	return false
}

// getAuditType lists the record types of an audit event: auditd.data.type
// when the collector kept it, the "type=NAME" of every raw record, and for
// events built from an exec or a file watch the records those always have.
func getAuditType(e *event.Event, v *sigma.Value) bool {
	v.HasNum, v.HasTime = false, false
	v.Strs = v.Strs[:0]
	if e.Auditd != nil {
		if t, ok := e.Auditd.Data["type"]; ok {
			v.Strs = append(v.Strs, t)
		}
		for _, m := range e.Auditd.Messages {
			rest := m
			if strings.HasPrefix(rest, "node=") {
				if i := strings.IndexByte(rest, ' '); i > 0 {
					rest = rest[i+1:]
				}
			}
			if t, ok := strings.CutPrefix(rest, "type="); ok {
				if i := strings.IndexByte(t, ' '); i > 0 {
					t = t[:i]
				}
				v.Strs = append(v.Strs, t)
			}
		}
	}
	if e.Auditd != nil || e.Event.Module == "auditd" {
		switch e.Event.Action {
		case event.ActionExec:
			v.Strs = append(v.Strs, "SYSCALL", "EXECVE")
		case event.ActionCreated, event.ActionUpdated, event.ActionDeleted, event.ActionMoved, event.ActionAttributesModified:
			v.Strs = append(v.Strs, "SYSCALL", "PATH")
		case event.ActionConnectionOpened, event.ActionListenOpened:
			v.Strs = append(v.Strs, "SYSCALL", "SOCKADDR")
		}
	}
	if len(v.Strs) == 0 {
		return false
	}
	v.Lower = v.Lower[:0]
	for _, s := range v.Strs {
		v.Lower = append(v.Lower, strings.ToLower(s))
	}
	return true
}

// fieldCache is the per-event view of an event for compiled rules: each
// field is read at most once per event.
type fieldCache struct {
	e       *event.Event
	getters []getter
	gen     uint32
	seen    []uint32
	present []bool
	vals    []sigma.Value
}

func newFieldCache(getters []getter) *fieldCache {
	return &fieldCache{
		getters: getters,
		seen:    make([]uint32, len(getters)),
		present: make([]bool, len(getters)),
		vals:    make([]sigma.Value, len(getters)),
	}
}

func (c *fieldCache) reset(e *event.Event) {
	c.e = e
	c.gen++
	if c.gen == 0 { // wrapped: forget everything
		clear(c.seen)
		c.gen = 1
	}
}

// Field implements sigma.Event.
func (c *fieldCache) Field(id int) *sigma.Value {
	if id < 0 || id >= len(c.getters) {
		return nil
	}
	if c.seen[id] != c.gen {
		c.seen[id] = c.gen
		c.present[id] = c.getters[id](c.e, &c.vals[id])
	}
	if !c.present[id] {
		return nil
	}
	return &c.vals[id]
}
