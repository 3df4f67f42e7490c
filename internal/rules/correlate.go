package rules

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rules/sigma"
)

// ref points at a rule a correlation refers to: a detection rule or another
// correlation.
type ref struct {
	det  int // index in Set.rules, or -1
	corr int // index in Set.corrs when det < 0
}

type corrRule struct {
	info  RuleInfo
	c     *sigma.Correlation
	refs  []ref
	group [][]getterChain // per ref position: one chain per group-by field
	value []getterChain   // per ref position: value_count field
	feeds []int
}

// getterChain reads the first field an event has among alternatives.
type getterChain []getter

func (g getterChain) get(e *event.Event, v *sigma.Value) (string, bool) {
	for _, f := range g {
		if f(e, v) && len(v.Strs) > 0 {
			return v.Strs[0], true
		}
	}
	return "", false
}

// compileCorrelations resolves the references of correlation rules (by id
// or name, to detection rules or earlier correlations) and their fields.
func (s *Set) compileCorrelations(rules []*sigma.Rule) {
	byRef := map[string]ref{}
	for i, r := range s.rules {
		for _, k := range []string{r.info.ID, r.info.Name} {
			if k != "" {
				byRef[k] = ref{det: i}
			}
		}
	}
	pending := rules
	for progress := true; progress && len(pending) > 0; {
		progress = false
		var next []*sigma.Rule
		for _, r := range pending {
			if !refsKnown(r, byRef) {
				next = append(next, r)
				continue
			}
			progress = true
			cr, err := s.compileCorrelation(r, byRef)
			if err != nil {
				s.Problems = append(s.Problems, Problem{File: r.File, Line: r.Correlation.Line, Message: err.Error()})
				continue
			}
			idx := len(s.corrs)
			s.corrs = append(s.corrs, cr)
			for _, k := range []string{r.ID, r.Name} {
				if k != "" {
					byRef[k] = ref{det: -1, corr: idx}
				}
			}
		}
		pending = next
	}
	for _, r := range pending {
		var missing []string
		for _, name := range r.Correlation.Rules {
			if _, ok := byRef[name]; !ok {
				missing = append(missing, name)
			}
		}
		s.Problems = append(s.Problems, Problem{File: r.File, Line: r.Correlation.Line,
			Message: "correlation refers to unknown or failed rules: " + strings.Join(missing, ", ")})
	}
}

func refsKnown(r *sigma.Rule, byRef map[string]ref) bool {
	for _, name := range r.Correlation.Rules {
		if _, ok := byRef[name]; !ok {
			return false
		}
	}
	return true
}

func (s *Set) compileCorrelation(r *sigma.Rule, byRef map[string]ref) (*corrRule, error) {
	c := r.Correlation
	for _, cc := range c.Conds {
		if (c.Type == sigma.EventCount || c.Type == sigma.ValueCount) && (cc.Op == "gt" || cc.Op == "gte" || cc.Op == "eq") &&
			cc.N > float64(s.opts.MaxEventsPerGroup) {
			return nil, fmt.Errorf("condition %s %v exceeds the %d events kept per group", cc.Op, cc.N, s.opts.MaxEventsPerGroup)
		}
	}
	cr := &corrRule{info: infoOf(r), c: c}
	for _, name := range c.Rules {
		rf := byRef[name]
		cr.refs = append(cr.refs, rf)
		mapper := func(f string) ([]string, error) { return mapField(sigma.Logsource{}, nil, f) }
		refName := name
		if rf.det >= 0 {
			mapper = s.rules[rf.det].mapper
			if n := s.rules[rf.det].info.Name; n != "" {
				refName = n
			}
		} else if n := s.corrs[rf.corr].info.Name; n != "" {
			refName = n
		}
		resolve := func(field string) (getterChain, error) {
			if a, ok := c.Aliases[field]; ok {
				f, ok := a[refName]
				if !ok {
					return nil, fmt.Errorf("alias %q has no field for rule %q", field, refName)
				}
				field = f
			}
			names, err := mapper(field)
			if err != nil {
				return nil, err
			}
			var chain getterChain
			for _, n := range names {
				chain = append(chain, newGetter(n))
			}
			return chain, nil
		}
		var gs []getterChain
		for _, g := range c.GroupBy {
			chain, err := resolve(g)
			if err != nil {
				return nil, fmt.Errorf("group-by: %w", err)
			}
			gs = append(gs, chain)
		}
		cr.group = append(cr.group, gs)
		var vc getterChain
		if c.Field != "" {
			chain, err := resolve(c.Field)
			if err != nil {
				return nil, fmt.Errorf("field: %w", err)
			}
			vc = chain
		}
		cr.value = append(cr.value, vc)
	}
	idx := len(s.corrs)
	for _, rf := range cr.refs {
		if rf.det >= 0 {
			d := s.rules[rf.det]
			if !slices.Contains(d.feeds, idx) {
				d.feeds = append(d.feeds, idx)
			}
			d.silent = d.silent || !c.Generate
		} else {
			// a correlation referred to by another still alerts: it has its
			// own title and level (see docs/sigma.md)
			o := s.corrs[rf.corr]
			if !slices.Contains(o.feeds, idx) {
				o.feeds = append(o.feeds, idx)
			}
		}
	}
	return cr, nil
}

// corrEntry is one observation in a group's window.
type corrEntry struct {
	t     time.Time
	pos   int // position of the rule in the correlation's rules
	ids   []string
	value string
}

type corrGroup struct {
	entries []corrEntry
	last    time.Time
	values  map[string]string
	// distinct counts the entries per value (value_count) or per rule
	// (temporal) so that distinct counts need no scan.
	distinct map[string]int
}

// corrState is the state of every correlation of a set.
type corrState struct {
	set    *Set
	groups []map[string]*corrGroup
	val    sigma.Value
	key    []byte
	// Evicted counts groups dropped at the MaxGroups bound, Dropped events
	// dropped at the MaxEventsPerGroup bound.
	Evicted, Dropped int
}

func newCorrState(s *Set) *corrState {
	st := &corrState{set: s, groups: make([]map[string]*corrGroup, len(s.corrs))}
	for i := range st.groups {
		st.groups[i] = map[string]*corrGroup{}
	}
	return st
}

// maxChain bounds correlation chains (a correlation of correlations ...).
const maxChain = 8

// observe records that rule r (at one of the positions of correlation ci)
// matched e, and appends the alerts of correlations it completes.
func (st *corrState) observe(ci int, r ref, e *event.Event, ids []string, t time.Time, out []Alert, depth int) []Alert {
	if depth > maxChain {
		return out
	}
	cr := st.set.corrs[ci]
	for pos, rf := range cr.refs {
		if rf != r {
			continue
		}
		out = st.observeAt(ci, pos, e, ids, t, out, depth)
	}
	return out
}

func (st *corrState) observeAt(ci, pos int, e *event.Event, ids []string, t time.Time, out []Alert, depth int) []Alert {
	cr := st.set.corrs[ci]
	st.key = st.key[:0]
	for i, g := range cr.group[pos] {
		v, _ := g.get(e, &st.val)
		if i > 0 {
			st.key = append(st.key, 0x1f)
		}
		st.key = append(st.key, v...)
	}
	var value string
	if cr.value[pos] != nil {
		v, ok := cr.value[pos].get(e, &st.val)
		if !ok {
			return out // value_count ignores events without the field
		}
		value = v
	}
	groups := st.groups[ci]
	g := groups[string(st.key)]
	if g == nil {
		if len(groups) >= st.set.opts.MaxGroups {
			st.evict(groups, t, cr.c.Timespan)
		}
		g = &corrGroup{values: map[string]string{}, distinct: map[string]int{}}
		for i, gf := range cr.group[pos] {
			v, _ := gf.get(e, &st.val)
			g.values[cr.c.GroupBy[i]] = v
		}
		groups[string(st.key)] = g
	}
	if t.After(g.last) {
		g.last = t
	}
	// drop what fell out of the window; entries are kept in time order
	cut := g.last.Add(-cr.c.Timespan)
	k := 0
	for k < len(g.entries) && g.entries[k].t.Before(cut) {
		g.forget(cr.c.Type, g.entries[k])
		k++
	}
	if len(g.entries)-k >= st.set.opts.MaxEventsPerGroup {
		g.forget(cr.c.Type, g.entries[k])
		k++
		st.Dropped++
	}
	g.entries = g.entries[k:]
	en := corrEntry{t: t, pos: pos, ids: ids, value: value}
	i := len(g.entries)
	for i > 0 && g.entries[i-1].t.After(t) {
		i--
	}
	g.entries = slices.Insert(g.entries, i, en)
	if counted(cr.c.Type) {
		g.distinct[distinctKey(cr.c.Type, en)]++
	}
	if !cr.fires(g) {
		return out
	}
	var all []string
	first := t
	for _, en := range g.entries {
		all = append(all, en.ids...)
		if en.t.Before(first) {
			first = en.t
		}
	}
	g.entries = g.entries[:0]
	clear(g.distinct)
	out = append(out, newAlert(cr.info, e, all, first, t, maps.Clone(g.values)))
	for _, next := range cr.feeds {
		out = st.observe(next, ref{det: -1, corr: ci}, e, all, t, out, depth+1)
	}
	return out
}

// distinctKey is what value_count (the value) and temporal (the rule)
// count distinct occurrences of.
func distinctKey(typ string, en corrEntry) string {
	if typ == sigma.ValueCount {
		return en.value
	}
	return strconv.Itoa(en.pos)
}

// counted reports whether a correlation type keeps distinct counts.
func counted(typ string) bool { return typ == sigma.ValueCount || typ == sigma.Temporal }

func (g *corrGroup) forget(typ string, en corrEntry) {
	if !counted(typ) {
		return
	}
	k := distinctKey(typ, en)
	if g.distinct[k] <= 1 {
		delete(g.distinct, k)
		return
	}
	g.distinct[k]--
}

// evict makes room for a new group: it drops groups whose window has passed,
// and when none has, the group updated longest ago.
func (st *corrState) evict(groups map[string]*corrGroup, now time.Time, span time.Duration) {
	oldestKey, oldest := "", time.Time{}
	for k, g := range groups {
		if g.last.Before(now.Add(-span)) {
			delete(groups, k)
			st.Evicted++
			continue
		}
		if oldestKey == "" || g.last.Before(oldest) {
			oldestKey, oldest = k, g.last
		}
	}
	if len(groups) >= st.set.opts.MaxGroups && oldestKey != "" {
		delete(groups, oldestKey)
		st.Evicted++
	}
}

// fires reports whether the group's window satisfies the correlation.
func (cr *corrRule) fires(g *corrGroup) bool {
	c := cr.c
	switch c.Type {
	case sigma.EventCount:
		return c.Holds(float64(len(g.entries)))
	case sigma.ValueCount:
		return c.Holds(float64(len(g.distinct)))
	case sigma.Temporal:
		if len(c.Conds) == 0 {
			return len(g.distinct) == len(cr.refs)
		}
		return c.Holds(float64(len(g.distinct)))
	case sigma.TemporalOrdered:
		// entries are in time order: greedy earliest matching finds whether
		// the rules occurred in the order given
		k := 0
		for _, en := range g.entries {
			if k < len(cr.refs) && en.pos == k {
				k++
			}
		}
		if len(c.Conds) == 0 {
			return k == len(cr.refs)
		}
		return k == len(cr.refs) && c.Holds(float64(k))
	}
	return false
}
