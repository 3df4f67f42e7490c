// Package e2e holds vigil's end-to-end reliability tests. They build the
// vigil binary once, run `vigil server` and `vigil agent` as child
// processes, kill them with SIGKILL and restart them, and check through the
// HTTP API and the SQLite store that every event written to a followed log
// file is stored exactly once, that spool losses are reported with their
// exact count, and that bad requests are refused without harm. The package
// has no code besides its tests; `go test -short` skips them.
package e2e
