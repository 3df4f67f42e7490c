// Package e2e holds vigil's end-to-end reliability tests. They build the
// vigil binary once, run `vigil server` and `vigil agent` as child
// processes, kill them with SIGKILL and restart them, and check through the
// HTTP API and the SQLite store that every event written to a followed log
// file is stored exactly once, that spool losses are reported with their
// exact count, and that bad requests are refused without harm. The package
// has no code besides its tests; `go test -short` skips them.
//
// The whole package takes about 4 to 6 minutes on a 2-core machine (the
// 60 s outage and the 500,000 events with 5 server kills are most of it).
// For a quick local run, VIGIL_E2E_OUTAGE=10s shortens the outage and
// VIGIL_E2E_BIN=PATH uses a vigil binary built beforehand.
package e2e
