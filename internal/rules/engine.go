package rules

import (
	"sync/atomic"

	"github.com/vigil-sec/vigil/internal/event"
)

// Engine holds the current rule set and swaps it atomically, so rules can
// be reloaded while events flow. It is safe for concurrent use; each
// goroutine evaluating events uses its own Stream.
type Engine struct {
	cur atomic.Pointer[Set]
	gen atomic.Uint64
}

// NewEngine returns an engine running s.
func NewEngine(s *Set) *Engine {
	e := &Engine{}
	e.cur.Store(s)
	return e
}

// Set returns the current set.
func (e *Engine) Set() *Set { return e.cur.Load() }

// Swap installs s and returns the set it replaces. Streams pick the new set
// up at their next event; their correlation state starts afresh then (a
// window in progress under the old rules is dropped).
func (e *Engine) Swap(s *Set) *Set {
	old := e.cur.Swap(s)
	e.gen.Add(1)
	return old
}

// Stream evaluates a sequence of events with the engine's current set. It is
// not safe for concurrent use.
type Stream struct {
	eng *Engine
	gen uint64
	ev  *Evaluator
}

// NewStream returns a stream with empty correlation state.
func (e *Engine) NewStream() *Stream { return &Stream{eng: e} }

// Process evaluates one event (see Evaluator.Process).
func (s *Stream) Process(e *event.Event) []Alert {
	if g := s.eng.gen.Load(); s.ev == nil || g != s.gen {
		s.gen = g
		s.ev = s.eng.Set().NewEvaluator()
	}
	return s.ev.Process(e)
}
