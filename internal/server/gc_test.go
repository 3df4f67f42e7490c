package server

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	t.Setenv("GOGC", "150") // the runtime read it at start: TuneGC leaves the setting alone
	debug.SetGCPercent(77)
	if got := TuneGC(); got != 77 {
		t.Errorf("with GOGC set, TuneGC = %d, want the setting in force (77)", got)
	}
	if now := debug.SetGCPercent(77); now != 77 {
		t.Errorf("with GOGC set, TuneGC changed the setting to %d", now)
	}

	os.Unsetenv("GOGC") // t.Setenv restores it
	if got := TuneGC(); got != GCPercent {
		t.Errorf("TuneGC = %d, want %d", got, GCPercent)
	}
	if now := debug.SetGCPercent(100); now != GCPercent {
		t.Errorf("setting in force %d, want %d", now, GCPercent)
	}
}
