// Package detect is the server's detection stage: it runs vigil's built-in
// Sigma pack and the operator's rule directories over every ingested batch,
// leaves vigil's own processes out, evaluates only the first of the two
// observations of an SSH attempt that the audit and login collectors both
// report (Pairer), folds repeats of an alert within a suppression window
// into one alert whose count grows, and keeps alerts in an AlertStore with their triage status (open, acknowledged, closed) and
// notes. Rule directories are watched and reloaded without a restart; a rule
// file that stops compiling keeps its previous version running.
//
// The server's store implements AlertStore; MemoryStore is the in-process
// implementation, and detecttest.Run is the conformance suite both pass.
// See docs/alerts.md.
package detect
