// Package rules is vigil's detection engine: Sigma rules (internal/rules/sigma)
// compiled once into an index, evaluated against vigil events, with Sigma
// correlation rules and alerts.
//
// A Source parses rule files; Compile turns them into an immutable Set:
// every rule is routed to the log sources its logsource selects (see
// taxonomy.go and docs/sigma.md), and rules whose detection needs a literal
// are indexed by one Aho-Corasick automaton per field, so an event is checked
// only against the rules that can match it. An Evaluator (one per goroutine)
// runs a Set over events and keeps the correlation state; an Engine holds the
// current Set and swaps it atomically for hot reload.
package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rules/ahocorasick"
	"github.com/vigil-sec/vigil/internal/rules/sigma"
)

// Options tune compilation.
type Options struct {
	// Placeholders are the values of %name% for the expand modifier; a rule
	// naming an unknown placeholder does not compile.
	Placeholders map[string][]string
	// MaxGroups bounds the groups one correlation rule tracks (default 10000).
	MaxGroups int
	// MaxEventsPerGroup bounds the events kept per group (default 1024).
	MaxEventsPerGroup int
}

func (o *Options) defaults() {
	if o.MaxGroups <= 0 {
		o.MaxGroups = 10000
	}
	if o.MaxEventsPerGroup <= 0 {
		o.MaxEventsPerGroup = 1024
	}
}

// weakFields hold few distinct values; the index prefers other literals.
var weakFields = map[string]bool{
	fieldAuditType: true, fieldInitiated: true, "event.action": true, "event.outcome": true,
	"event.category": true, "event.type": true, "event.dataset": true, "event.module": true,
	"network.direction": true, "network.transport": true, "auditd.data.syscall": true,
	"auditd.data.nametype": true, "auditd.result": true,
}

// RuleInfo describes a compiled rule.
type RuleInfo struct {
	ID          string
	Name        string
	Title       string
	Level       string
	Status      string
	Description string
	File        string
	Line        int
	Tags        []string
	// Techniques are the ATT&CK technique ids of the tags ("T1059.004").
	Techniques     []string
	FalsePositives []string
	Correlation    bool
}

func infoOf(r *sigma.Rule) RuleInfo {
	level := r.Level
	if level == "" {
		level = event.LevelMedium
	}
	return RuleInfo{
		ID: r.ID, Name: r.Name, Title: r.Title, Level: level, Status: r.Status,
		Description: r.Description, File: r.File, Line: r.Line, Tags: r.Tags,
		Techniques: Techniques(r.Tags), FalsePositives: r.FalsePositives,
		Correlation: r.Correlation != nil,
	}
}

// Techniques returns the ATT&CK technique ids of Sigma tags:
// "attack.t1059.004" gives "T1059.004".
func Techniques(tags []string) []string {
	var out []string
	for _, t := range tags {
		rest, ok := strings.CutPrefix(strings.ToLower(t), "attack.t")
		if !ok || rest == "" || rest[0] < '0' || rest[0] > '9' {
			continue
		}
		id := "T" + strings.ToUpper(rest)
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

type detRule struct {
	info   RuleInfo
	m      *sigma.Matcher
	route  route
	mapper func(string) ([]string, error)
	// silent rules feed correlations only (generate: false).
	silent bool
	feeds  []int // correlations referencing this rule
}

type fieldIndex struct {
	field int
	// routes are the log sources of the rules indexed on the field: an
	// event of none of them skips the field.
	routes route
	ac     *ahocorasick.Matcher
	rules  [][]int32 // pattern -> rules
}

// Set is a compiled, immutable rule set; share it between goroutines.
type Set struct {
	opts    Options
	rules   []*detRule
	corrs   []*corrRule
	fields  *sigma.FieldTable
	getters []getter
	routes  *routeTable
	index   []fieldIndex
	always  []int32
	// Problems are the rules that did not compile.
	Problems []Problem
}

// Rules returns the detection and correlation rules of the set.
func (s *Set) Rules() []RuleInfo {
	out := make([]RuleInfo, 0, len(s.rules)+len(s.corrs))
	for _, r := range s.rules {
		out = append(out, r.info)
	}
	for _, c := range s.corrs {
		out = append(out, c.info)
	}
	return out
}

// Len returns the number of rules that compiled.
func (s *Set) Len() int { return len(s.rules) + len(s.corrs) }

// Compile compiles parsed rules. Rules that fail are left out and listed in
// Set.Problems; the set holds the others.
func Compile(rules []*sigma.Rule, opts Options) *Set {
	opts.defaults()
	s := &Set{opts: opts, fields: sigma.NewFieldTable(), routes: newRouteTable()}
	var corrRules []*sigma.Rule
	for _, r := range rules {
		if r.Correlation != nil {
			corrRules = append(corrRules, r)
			continue
		}
		bit, mapper, err := s.routes.resolve(r.Logsource)
		if err != nil {
			s.Problems = append(s.Problems, Problem{File: r.File, Line: r.Line, Message: err.Error()})
			continue
		}
		m, err := sigma.Compile(r, mapper, s.fields, sigma.Options{Placeholders: opts.Placeholders, WeakFields: weakFields})
		if err != nil {
			s.Problems = append(s.Problems, problemsOf(r.File, err)...)
			continue
		}
		s.rules = append(s.rules, &detRule{info: infoOf(r), m: m, route: bit, mapper: mapper})
	}
	s.compileCorrelations(corrRules)
	names := s.fields.Names()
	s.getters = make([]getter, len(names))
	for i, n := range names {
		s.getters[i] = newGetter(n)
	}
	s.buildIndex()
	return s
}

func (s *Set) buildIndex() {
	byField := map[int]*struct {
		pats  []string
		rules [][]int32
		at    map[string]int
	}{}
	var order []int
	for i, r := range s.rules {
		if !r.m.Prefilter {
			s.always = append(s.always, int32(i))
			continue
		}
		for _, a := range r.m.Atoms {
			fi := byField[a.Field]
			if fi == nil {
				fi = &struct {
					pats  []string
					rules [][]int32
					at    map[string]int
				}{at: map[string]int{}}
				byField[a.Field] = fi
				order = append(order, a.Field)
			}
			p, ok := fi.at[a.Lit]
			if !ok {
				p = len(fi.pats)
				fi.at[a.Lit] = p
				fi.pats = append(fi.pats, a.Lit)
				fi.rules = append(fi.rules, nil)
			}
			if !slices.Contains(fi.rules[p], int32(i)) {
				fi.rules[p] = append(fi.rules[p], int32(i))
			}
		}
	}
	for _, f := range order {
		fi := byField[f]
		var rs route
		for _, rules := range fi.rules {
			for _, r := range rules {
				rs |= s.rules[r].route
			}
		}
		s.index = append(s.index, fieldIndex{field: f, routes: rs, ac: ahocorasick.New(fi.pats), rules: fi.rules})
	}
}

// Stats describes the index of a set.
type Stats struct {
	Rules, Correlations, Indexed, Unindexed, Fields, Patterns int
}

// Stats returns how the set's rules are indexed.
func (s *Set) Stats() Stats {
	st := Stats{Rules: len(s.rules), Correlations: len(s.corrs), Unindexed: len(s.always)}
	st.Indexed = st.Rules - st.Unindexed
	st.Fields = len(s.index)
	for _, f := range s.index {
		st.Patterns += f.ac.Len()
	}
	return st
}

// Evaluator runs a set over a stream of events; it holds per-event caches
// and the correlation state. It is not safe for concurrent use.
type Evaluator struct {
	set   *Set
	cache *fieldCache
	mark  []uint32
	gen   uint32
	cands []int32
	hits  []int32
	corr  *corrState
}

// NewEvaluator returns an evaluator with empty correlation state.
func (s *Set) NewEvaluator() *Evaluator {
	return &Evaluator{
		set:   s,
		cache: newFieldCache(s.getters),
		mark:  make([]uint32, len(s.rules)),
		corr:  newCorrState(s),
	}
}

// Set returns the set the evaluator runs.
func (v *Evaluator) Set() *Set { return v.set }

// Matches returns the indices of the detection rules e matches, in rule
// order, appended to dst. The result is valid until the next call.
func (v *Evaluator) matches(e *event.Event) []int32 {
	s := v.set
	v.cache.reset(e)
	v.gen++
	if v.gen == 0 {
		clear(v.mark)
		v.gen = 1
	}
	routes := s.routes.eventRoutes(e)
	v.cands = v.cands[:0]
	for i := range s.index {
		fi := &s.index[i]
		if fi.routes&routes == 0 {
			continue
		}
		val := v.cache.Field(fi.field)
		if val == nil {
			continue
		}
		for _, str := range val.Lower {
			fi.ac.Scan(str, func(p int) {
				for _, r := range fi.rules[p] {
					if v.mark[r] != v.gen {
						v.mark[r] = v.gen
						v.cands = append(v.cands, r)
					}
				}
			})
		}
	}
	v.cands = append(v.cands, s.always...)
	slices.Sort(v.cands)
	v.hits = v.hits[:0]
	for _, r := range v.cands {
		dr := s.rules[r]
		if dr.route&routes == 0 {
			continue
		}
		if dr.m.Match(v.cache) {
			v.hits = append(v.hits, r)
		}
	}
	return v.hits
}

// Match reports the rules that e matches, stand-alone or not, without
// feeding correlations.
func (v *Evaluator) Match(e *event.Event) []RuleInfo {
	var out []RuleInfo
	for _, r := range v.matches(e) {
		out = append(out, v.set.rules[r].info)
	}
	return out
}

// Process evaluates one event: it returns an alert for every stand-alone
// rule it matches and for every correlation it completes. Correlations use
// the event's own @timestamp.
func (v *Evaluator) Process(e *event.Event) []Alert {
	var out []Alert
	for _, r := range v.matches(e) {
		dr := v.set.rules[r]
		if !dr.silent {
			out = append(out, newAlert(dr.info, e, []string{e.Event.ID}, e.Timestamp, e.Timestamp, nil))
		}
		for _, c := range dr.feeds {
			out = v.corr.observe(c, ref{det: int(r)}, e, []string{e.Event.ID}, e.Timestamp, out, 0)
		}
	}
	return out
}

func (s *Set) String() string {
	st := s.Stats()
	return fmt.Sprintf("%d rules (%d indexed on %d fields, %d patterns), %d correlations",
		st.Rules, st.Indexed, st.Fields, st.Patterns, st.Correlations)
}
