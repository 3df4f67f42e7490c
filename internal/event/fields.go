package event

import (
	"slices"
	"strings"
	"time"
)

// Field access by dotted ECS name, for the rule engine, the query language and
// the store's field index. Lookups go through a table of accessor functions
// built once from the typed structs below (no reflection). A leaf is present
// exactly when it appears in the event's JSON.
//
// Values are one of: string, []string, int64, time.Time. The returned slices
// alias the event; do not modify them.

// Dynamic prefixes: every key of these maps is a field ("auditd.data.exe",
// "labels.env", "vigil.collector.counters.dropped").
const (
	LabelsPrefix    = "labels."
	AuditDataPrefix = "auditd.data."
	CountersPrefix  = "vigil.collector.counters."
)

type getter[T any] func(*T) (any, bool)

type fieldSet[T any] map[string]getter[T]

// nest adds src's fields to dst under prefix, reaching the child with pick.
func nest[P, C any](dst fieldSet[P], prefix string, pick func(*P) *C, src fieldSet[C]) {
	for name, get := range src {
		dst[prefix+name] = func(p *P) (any, bool) {
			if c := pick(p); c != nil {
				return get(c)
			}
			return nil, false
		}
	}
}

func str(s string) (any, bool)    { return s, s != "" }
func strs(s []string) (any, bool) { return s, len(s) > 0 }
func num(v int64) (any, bool)     { return v, v != 0 }
func always(v int64) (any, bool)  { return v, true }
func tm(t time.Time) (any, bool)  { return t, !t.IsZero() }
func numPtr(p *int64) (any, bool) {
	if p == nil {
		return nil, false
	}
	return *p, true
}

var fieldTable = buildFieldTable()

// fieldNames is the sorted list of static leaf names.
var fieldNames = func() []string {
	names := make([]string, 0, len(fieldTable))
	for n := range fieldTable {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}()

// Get returns the value of the leaf field at the dotted ECS path and whether
// the event has it.
func (e *Event) Get(path string) (any, bool) {
	if get, ok := fieldTable[path]; ok {
		return get(e)
	}
	switch {
	case strings.HasPrefix(path, AuditDataPrefix):
		if e.Auditd != nil {
			v, ok := e.Auditd.Data[path[len(AuditDataPrefix):]]
			return v, ok
		}
	case strings.HasPrefix(path, LabelsPrefix):
		v, ok := e.Labels[path[len(LabelsPrefix):]]
		return v, ok
	case strings.HasPrefix(path, CountersPrefix):
		if e.Vigil != nil && e.Vigil.Collector != nil {
			v, ok := e.Vigil.Collector.Counters[path[len(CountersPrefix):]]
			return v, ok
		}
	}
	return nil, false
}

// Range calls fn for every leaf the event has, static fields in sorted order
// first, then the keys of the dynamic maps (in map order). It stops when fn
// returns false.
func (e *Event) Range(fn func(path string, value any) bool) {
	for _, name := range fieldNames {
		if v, ok := fieldTable[name](e); ok && !fn(name, v) {
			return
		}
	}
	for k, v := range e.Labels {
		if !fn(LabelsPrefix+k, v) {
			return
		}
	}
	if e.Auditd != nil {
		for k, v := range e.Auditd.Data {
			if !fn(AuditDataPrefix+k, v) {
				return
			}
		}
	}
	if e.Vigil != nil && e.Vigil.Collector != nil {
		for k, v := range e.Vigil.Collector.Counters {
			if !fn(CountersPrefix+k, v) {
				return
			}
		}
	}
}

// Fields returns every leaf the event has, keyed by dotted ECS path.
func (e *Event) Fields() map[string]any {
	m := make(map[string]any, 32)
	e.Range(func(path string, v any) bool {
		m[path] = v
		return true
	})
	return m
}

// FieldNames returns the sorted names of all static leaf fields of the schema
// (not the keys under the dynamic prefixes).
func FieldNames() []string { return slices.Clone(fieldNames) }

// KnownField reports whether path names a leaf of the schema: a static field
// or a key under one of the dynamic prefixes.
func KnownField(path string) bool {
	if _, ok := fieldTable[path]; ok {
		return true
	}
	for _, p := range []string{AuditDataPrefix, LabelsPrefix, CountersPrefix} {
		if len(path) > len(p) && strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

func buildFieldTable() fieldSet[Event] {
	t := fieldSet[Event]{
		"@timestamp": func(e *Event) (any, bool) { return tm(e.Timestamp) },
		"message":    func(e *Event) (any, bool) { return str(e.Message) },
		"tags":       func(e *Event) (any, bool) { return strs(e.Tags) },
	}
	nest(t, "event.", func(e *Event) *Meta { return &e.Event }, metaFields())
	nest(t, "host.", func(e *Event) *Host { return e.Host }, hostFields())
	nest(t, "agent.", func(e *Event) *Agent { return e.Agent }, agentFields())
	nest(t, "process.", func(e *Event) *Process { return e.Process }, processFields())
	nest(t, "user.", func(e *Event) *User { return e.User }, userFields())
	nest(t, "group.", func(e *Event) *Group { return e.Group }, groupFields())
	nest(t, "file.", func(e *Event) *File { return e.File }, fileFields())
	nest(t, "source.", func(e *Event) *Endpoint { return e.Source }, endpointFields())
	nest(t, "destination.", func(e *Event) *Endpoint { return e.Destination }, endpointFields())
	nest(t, "network.", func(e *Event) *Network { return e.Network }, networkFields())
	nest(t, "package.", func(e *Event) *Package { return e.Package }, packageFields())
	nest(t, "rule.", func(e *Event) *Rule { return e.Rule }, ruleFields())
	nest(t, "threat.", func(e *Event) *Threat { return e.Threat }, threatFields())
	nest(t, "auditd.", func(e *Event) *Auditd { return e.Auditd }, auditdFields())
	nest(t, "related.", func(e *Event) *Related { return e.Related }, relatedFields())
	nest(t, "observer.", func(e *Event) *Observer { return e.Observer }, observerFields())
	nest(t, "container.", func(e *Event) *Container { return e.Container }, containerFields())
	nest(t, "auth.", func(e *Event) *Auth { return e.Auth }, authFields())
	nest(t, "vigil.", func(e *Event) *Vigil { return e.Vigil }, vigilFields())
	return t
}

func metaFields() fieldSet[Meta] {
	return fieldSet[Meta]{
		"id":       func(m *Meta) (any, bool) { return str(m.ID) },
		"kind":     func(m *Meta) (any, bool) { return str(m.Kind) },
		"category": func(m *Meta) (any, bool) { return strs(m.Category) },
		"type":     func(m *Meta) (any, bool) { return strs(m.Type) },
		"action":   func(m *Meta) (any, bool) { return str(m.Action) },
		"outcome":  func(m *Meta) (any, bool) { return str(m.Outcome) },
		"dataset":  func(m *Meta) (any, bool) { return str(m.Dataset) },
		"module":   func(m *Meta) (any, bool) { return str(m.Module) },
		"severity": func(m *Meta) (any, bool) { return numPtr(m.Severity) },
		"created":  func(m *Meta) (any, bool) { return tm(m.Created) },
		"ingested": func(m *Meta) (any, bool) { return tm(m.Ingested) },
		"original": func(m *Meta) (any, bool) { return str(m.Original) },
		"sequence": func(m *Meta) (any, bool) { return num(m.Sequence) },
	}
}

func hostFields() fieldSet[Host] {
	t := fieldSet[Host]{
		"name":         func(h *Host) (any, bool) { return str(h.Name) },
		"id":           func(h *Host) (any, bool) { return str(h.ID) },
		"hostname":     func(h *Host) (any, bool) { return str(h.Hostname) },
		"ip":           func(h *Host) (any, bool) { return strs(h.IP) },
		"mac":          func(h *Host) (any, bool) { return strs(h.MAC) },
		"architecture": func(h *Host) (any, bool) { return str(h.Architecture) },
	}
	nest(t, "os.", func(h *Host) *OS { return h.OS }, fieldSet[OS]{
		"name":     func(o *OS) (any, bool) { return str(o.Name) },
		"version":  func(o *OS) (any, bool) { return str(o.Version) },
		"family":   func(o *OS) (any, bool) { return str(o.Family) },
		"platform": func(o *OS) (any, bool) { return str(o.Platform) },
		"kernel":   func(o *OS) (any, bool) { return str(o.Kernel) },
		"type":     func(o *OS) (any, bool) { return str(o.Type) },
		"full":     func(o *OS) (any, bool) { return str(o.Full) },
	})
	return t
}

func agentFields() fieldSet[Agent] {
	return fieldSet[Agent]{
		"id":      func(a *Agent) (any, bool) { return str(a.ID) },
		"name":    func(a *Agent) (any, bool) { return str(a.Name) },
		"version": func(a *Agent) (any, bool) { return str(a.Version) },
		"type":    func(a *Agent) (any, bool) { return str(a.Type) },
	}
}
