package sigma

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
