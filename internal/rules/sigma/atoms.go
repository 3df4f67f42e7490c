package sigma

import (
	"regexp/syntax"
	"strings"
)

// maxAtoms bounds the alternatives kept for one rule; past it the rule is
// evaluated for every event of its log source.
const maxAtoms = 64

// atoms derives a set of alternatives from a condition tree: if the tree
// matches an event, at least one atom occurs in its field. ok is false when
// no such set is known (a negation, a regexp, a numeric comparison...).
func atoms(n *cnode, weak map[int]bool) ([]Atom, bool) {
	switch n.op {
	case cAnd:
		var best []Atom
		found := false
		for _, k := range n.kids {
			a, ok := atoms(k, weak)
			if ok && (!found || score(a, weak) > score(best, weak)) {
				best, found = a, true
			}
		}
		return best, found
	case cOr:
		var all []Atom
		for _, k := range n.kids {
			a, ok := atoms(k, weak)
			if !ok {
				return nil, false
			}
			all = append(all, a...)
		}
		if len(all) == 0 || len(all) > maxAtoms {
			return nil, false
		}
		return all, true
	case cField:
		return n.fc.atoms()
	}
	return nil, false
}

// score prefers sets whose shortest literal is long, then smaller sets.
func score(a []Atom, weak map[int]bool) int {
	minLen := 1 << 30
	penalty := 0
	for _, x := range a {
		minLen = min(minLen, len(x.Lit))
		if weak[x.Field] {
			penalty = 1 << 20
		}
	}
	return min(minLen, 12)*1000 - len(a) - penalty
}

func (f *fieldCond) atoms() ([]Atom, bool) {
	if f.neg || len(f.ids) == 0 {
		return nil, false
	}
	var lits []string
	for _, m := range f.vals {
		ls, ok := valueAtoms(m)
		if f.all {
			if ok && (lits == nil || minLen(ls) > minLen(lits)) {
				lits = ls
			}
			continue
		}
		if !ok {
			return nil, false
		}
		lits = append(lits, ls...)
	}
	if len(lits) == 0 {
		return nil, false
	}
	out := make([]Atom, 0, len(lits)*len(f.ids))
	for _, id := range f.ids {
		for _, l := range lits {
			out = append(out, Atom{Field: id, Lit: l})
		}
	}
	return out, true
}

func minLen(ls []string) int {
	m := 1 << 30
	for _, l := range ls {
		m = min(m, len(l))
	}
	return m
}

func valueAtoms(m valueMatcher) ([]string, bool) {
	switch x := m.(type) {
	case *strMatcher:
		a, ok := x.atom()
		if !ok {
			return nil, false
		}
		return []string{a}, true
	case *reMatcher:
		if x.re == nil {
			return nil, false
		}
		re, err := syntax.Parse(x.re.String(), syntax.Perl)
		if err != nil {
			return nil, false
		}
		return regexpLiterals(re.Simplify())
	case *anyOf:
		var out []string
		for _, k := range x.ms {
			ls, ok := valueAtoms(k)
			if !ok {
				return nil, false
			}
			out = append(out, ls...)
		}
		return out, true
	}
	return nil, false
}

// regexpLiterals returns lowercase ASCII literals of which every match of re
// contains at least one, and false when none is known.
func regexpLiterals(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		lit := strings.ToLower(string(re.Rune))
		for i := 0; i < len(lit); i++ {
			if lit[i] >= 0x80 {
				return nil, false
			}
		}
		if lit == "" {
			return nil, false
		}
		return []string{lit}, true
	case syntax.OpCapture:
		return regexpLiterals(re.Sub[0])
	case syntax.OpPlus:
		return regexpLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return regexpLiterals(re.Sub[0])
		}
	case syntax.OpConcat:
		// adjacent literals join into a longer one; otherwise the best child
		var best []string
		var run strings.Builder
		consider := func(ls []string) {
			if best == nil || minLen(ls) > minLen(best) || minLen(ls) == minLen(best) && len(ls) < len(best) {
				best = ls
			}
		}
		flush := func() {
			if run.Len() > 0 {
				if ls, ok := regexpLiterals(&syntax.Regexp{Op: syntax.OpLiteral, Rune: []rune(run.String())}); ok {
					consider(ls)
				}
				run.Reset()
			}
		}
		for _, sub := range re.Sub {
			if sub.Op == syntax.OpLiteral {
				run.WriteString(string(sub.Rune))
				continue
			}
			flush()
			if ls, ok := regexpLiterals(sub); ok {
				consider(ls)
			}
		}
		flush()
		return best, best != nil
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			ls, ok := regexpLiterals(sub)
			if !ok {
				return nil, false
			}
			all = append(all, ls...)
		}
		if len(all) > maxAtoms {
			return nil, false
		}
		return all, true
	}
	return nil, false
}
