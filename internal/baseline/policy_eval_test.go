package baseline

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/fixturetree"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/sca"
)

var update = flag.Bool("update", false, "rewrite the golden files of the baseline policy evaluation")

// fixtureTrees are the fake hosts of testdata/rootfs (see its README.md).
var fixtureTrees = []string{"debian12", "ubuntu2204", "alma9", "alpine3"}

func evaluate(tb testing.TB, root hostfs.Root) *sca.PolicyResult {
	tb.Helper()
	p := mustLoad(tb)
	res, err := p.Evaluate(context.Background(), &sca.Env{Root: root}, sca.Options{})
	if err != nil {
		tb.Fatalf("evaluate: %v", err)
	}
	return res
}

func fixtureRoot(tb testing.TB, tree string) hostfs.Root {
	tb.Helper()
	root, err := hostfs.New(fixturetree.Copy(tb, filepath.Join("..", "..", "testdata", "rootfs", tree)))
	if err != nil {
		tb.Fatalf("fixture tree %s: %v", tree, err)
	}
	return root
}

// goldenLines renders one line per check: "VIGIL_ID ID STATUS TITLE".
func goldenLines(res *sca.PolicyResult) string {
	var b strings.Builder
	for _, c := range res.Checks {
		fmt.Fprintf(&b, "%s %d %s %s\n", c.Check.VigilID, c.Check.ID, c.Status, c.Check.Title)
	}
	return b.String()
}

// TestFixtureGolden evaluates the whole policy against each fixture tree and
// compares check-id -> status with testdata/golden_<tree>.txt (go test
// -run TestFixtureGolden -update rewrites them; read the diff before committing).
func TestFixtureGolden(t *testing.T) {
	for _, tree := range fixtureTrees {
		t.Run(tree, func(t *testing.T) {
			res := evaluate(t, fixtureRoot(t, tree))
			for _, c := range res.Checks {
				if c.Status == sca.StatusError {
					t.Errorf("%s: error: %s", c.Check.VigilID, c.Reason)
				}
			}
			got := goldenLines(res)
			golden := filepath.Join("testdata", "golden_"+tree+".txt")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := lineDiff(string(want), got); diff != "" {
				t.Errorf("statuses differ from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			fmt.Fprintf(&b, "-%s\n", l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			fmt.Fprintf(&b, "+%s\n", l)
		}
	}
	return b.String()
}

// TestLiveHost evaluates the policy on the machine running the tests: at least
// 250 checks must reach a verdict (pass or fail) and none may error. It skips
// while probes of the catalogue are missing.
func TestLiveHost(t *testing.T) {
	if testing.Short() {
		t.Skip("walks the live file system")
	}
	p := mustLoad(t)
	for _, c := range p.Checks {
		for _, r := range c.Rules {
			if r.Type == sca.RuleProbe {
				if _, ok := sca.LookupProbe(r.Probe); !ok {
					t.Skipf("probe %s not registered yet", r.Probe)
				}
			}
		}
	}
	res := evaluate(t, hostfs.Live())
	for _, c := range res.Checks {
		if c.Status == sca.StatusError {
			t.Errorf("%s: error: %s", c.Check.VigilID, c.Reason)
		}
	}
	s := res.Summary
	t.Logf("live host: %d pass, %d fail, %d not applicable, %d error", s.Pass, s.Fail, s.NotApplicable, s.Error)
	if s.Pass+s.Fail < 250 {
		t.Errorf("%d checks reached pass or fail on the live host, want at least 250", s.Pass+s.Fail)
	}
}
