// Package ahocorasick finds many literal patterns in a text in one pass
// (Aho-Corasick automaton compiled to a table-driven DFA). Matching is
// ASCII case-insensitive: patterns and text are compared after mapping A-Z to
// a-z, so the rule index can search lowercase atoms in raw field values
// without allocating a lowered copy.
package ahocorasick

// Matcher is an immutable automaton; it is safe for concurrent use.
type Matcher struct {
	class    [256]uint8 // byte -> equivalence class (0: in no pattern)
	nclass   int
	delta    []int32 // state*nclass + class -> next state
	out      [][]int32
	patterns int
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// New builds an automaton for patterns. Pattern i is reported as i; empty
// patterns never match.
func New(patterns []string) *Matcher {
	m := &Matcher{patterns: len(patterns)}
	n := 1
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			c := lower(p[i])
			if m.class[c] == 0 {
				m.class[c] = uint8(n)
				n++ // at most 231 classes: 256 bytes less A-Z
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		m.class[c] = m.class[c+'a'-'A']
	}
	m.nclass = n
	// trie
	type tnode struct{ next map[uint8]int32 }
	trie := []tnode{{next: map[uint8]int32{}}}
	out := [][]int32{nil}
	for i, p := range patterns {
		if p == "" {
			continue
		}
		s := int32(0)
		for j := 0; j < len(p); j++ {
			c := m.class[p[j]]
			nx, ok := trie[s].next[c]
			if !ok {
				nx = int32(len(trie))
				trie = append(trie, tnode{next: map[uint8]int32{}})
				out = append(out, nil)
				trie[s].next[c] = nx
			}
			s = nx
		}
		out[s] = append(out[s], int32(i))
	}
	// breadth-first: failure links folded into a full transition table
	m.delta = make([]int32, len(trie)*n)
	fail := make([]int32, len(trie))
	queue := make([]int32, 0, len(trie))
	for c := 1; c < n; c++ {
		if nx, ok := trie[0].next[uint8(c)]; ok {
			m.delta[c] = nx
			queue = append(queue, nx)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		out[s] = append(out[s], out[fail[s]]...)
		for c := 1; c < n; c++ {
			if nx, ok := trie[s].next[uint8(c)]; ok {
				fail[nx] = m.delta[int(fail[s])*n+c]
				m.delta[int(s)*n+c] = nx
				queue = append(queue, nx)
			} else {
				m.delta[int(s)*n+c] = m.delta[int(fail[s])*n+c]
			}
		}
	}
	m.out = out
	return m
}

// Len returns the number of patterns the matcher was built with.
func (m *Matcher) Len() int { return m.patterns }

// Scan calls fn with the index of every pattern occurring in text, once per
// occurrence (a pattern found twice is reported twice).
func (m *Matcher) Scan(text string, fn func(pattern int)) {
	s := int32(0)
	n := int32(m.nclass)
	for i := 0; i < len(text); i++ {
		s = m.delta[s*n+int32(m.class[text[i]])]
		if o := m.out[s]; o != nil {
			for _, p := range o {
				fn(int(p))
			}
		}
	}
}
