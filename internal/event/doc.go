// Package event is vigil's unified event schema.
//
// Every collector, the spool, the store, the rule engine and the UI exchange
// [Event] values. An Event is an envelope (time, [Meta], host, agent, tags) plus
// typed sub-objects (process, user, file, network, ...), serialised as nested
// JSON objects with Elastic Common Schema (ECS) field names, so that a user of
// Auditbeat, Kibana or Sigma recognises them. Fields that ECS has no name for
// live under the vigil object ([Vigil]); raw Linux audit fields live in the
// single string bag [Auditd].Data, keyed exactly as the kernel names them.
//
// The Go field path mirrors the JSON path: e.Process.Parent.PID is
// "process.parent.pid". Sub-objects are pointers and nil when absent, so an
// event serialises only what it has. Numbers whose zero value is a real
// measurement (pid, ppid, port, exit_code, file size, byte counts, args_count)
// are pointers too, so that 0 is distinguishable from "unknown"; write them
// with new(int64(v)).
//
// The catalogue of kinds, categories, types and actions that collectors agree
// on is in the constants of this package and in docs/events.md; [Event.Validate]
// checks an event against it, [Event.Get] and [Event.Fields] give access by
// dotted ECS name for rules and queries, [NewID] and [DeterministicID] make
// event IDs.
//
// The package imports only the standard library.
package event
