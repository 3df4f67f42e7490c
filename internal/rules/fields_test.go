package rules

import (
	"slices"
	"testing"

	"github.com/vigil-sec/vigil/internal/rules/eventmix"
	"github.com/vigil-sec/vigil/internal/rules/sigma"
)

// TestDirectGettersAgreeWithGet checks the struct-reading getters against
// Event.Get on every event of the mix.
func TestDirectGettersAgreeWithGet(t *testing.T) {
	evs := append(eventmix.Events(500), logEvent("sshd", "x"), connEvent("/bin/bash", "10.0.0.1", 80))
	names := []string{"auditd.data.exe", "auditd.data.nope"}
	for n := range directGetters {
		names = append(names, n)
	}
	for _, e := range evs {
		for _, n := range names {
			var a, b sigma.Value
			okA := newGetter(n)(e, &a)
			okB := getPath(e, n, &b)
			if okA != okB || !slices.Equal(a.Strs, b.Strs) || !slices.Equal(a.Lower, b.Lower) {
				t.Fatalf("%s on %s: direct %v %q, Get %v %q", n, e.Event.Action, okA, a.Strs, okB, b.Strs)
			}
		}
	}
}
