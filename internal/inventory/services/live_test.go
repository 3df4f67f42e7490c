package services

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// TestLiveAgainstSystemctl compares unit states with systemctl's own offline
// reading of the same directories.
func TestLiveAgainstSystemctl(t *testing.T) {
	out, err := exec.Command("systemctl", "--root=/", "list-unit-files", "--no-pager", "--no-legend").Output()
	if err != nil {
		t.Skipf("systemctl unavailable: %v", err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			want[f[0]] = f[1]
		}
	}
	list, sk, err := Collect(context.Background(), hostfs.Live())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range sk {
		t.Errorf("skipped on live host: %v", l)
	}
	got := map[string]string{}
	for _, s := range list {
		if s.Manager == ManagerSystemd {
			got[s.Name] = s.State
		}
	}
	for name, w := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s: missing (systemctl: %s)", name, w)
		} else if g != w {
			t.Errorf("%s: state %s, systemctl says %s", name, g, w)
		}
	}
	for name, g := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: listed as %s but not by systemctl", name, g)
		}
	}
	t.Logf("%d systemd units compared", len(want))
}
