package sca

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

func init() {
	RegisterProbe("test.echo", func(_ context.Context, _ *Env, args []string) ([]string, error) {
		return args, nil
	})
	RegisterProbe("test.absent", func(context.Context, *Env, []string) ([]string, error) {
		return nil, fmt.Errorf("no such subsystem: %w", ErrNotApplicable)
	})
}

// fixtureExpect is the hand-worked status of every check of
// testdata/fixture_policy.yml against testdata/rootfs, with commands answered by
// fakeExec.
var fixtureExpect = map[int]Status{
	1: StatusPass, 2: StatusPass, 3: StatusFail, 4: StatusNotApplicable,
	10: StatusPass, 11: StatusPass, 12: StatusPass, 13: StatusPass, 14: StatusFail,
	15: StatusPass, 16: StatusFail, 17: StatusNotApplicable, 18: StatusNotApplicable,
	19: StatusPass, 20: StatusFail, 21: StatusPass, 22: StatusPass, 23: StatusPass,
	30: StatusPass, 31: StatusPass, 32: StatusPass, 33: StatusFail, 34: StatusNotApplicable,
	35: StatusPass, 36: StatusPass,
	40: StatusPass,
	50: StatusPass, 51: StatusPass, 52: StatusNotApplicable,
	60: StatusPass, 61: StatusNotApplicable, 62: StatusNotApplicable,
	70: StatusNotApplicable,
	80: StatusPass, 81: StatusFail, 82: StatusNotApplicable, 83: StatusPass, 84: StatusFail,
	85: StatusNotApplicable, 86: StatusFail,
	90: StatusNotApplicable, 91: StatusPass,
}

func fakeExec(_ context.Context, argv []string) ([]byte, error) {
	switch strings.Join(argv, " ") {
	case "sshd -T":
		return []byte("port 2222\npermitrootlogin no\nmaxauthtries 6\n"), nil
	}
	return nil, &exec.Error{Name: argv[0], Err: exec.ErrNotFound}
}

func fixtureRoot(t testing.TB) hostfs.Root {
	t.Helper()
	root, err := hostfs.New("testdata/rootfs")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func mustLoad(t testing.TB, path string) *Policy {
	t.Helper()
	p, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFixturePolicy(t *testing.T) {
	p := mustLoad(t, "testdata/fixture_policy.yml")
	res, err := p.Evaluate(context.Background(), &Env{Root: fixtureRoot(t)}, Options{AllowCommands: true, Exec: fakeExec})
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != "" || res.Requirements == nil || res.Requirements.Status != StatusPass {
		t.Fatalf("requirements: skipped=%q %+v", res.Skipped, res.Requirements)
	}
	if len(res.Checks) != len(fixtureExpect) {
		t.Errorf("%d checks, want %d", len(res.Checks), len(fixtureExpect))
	}
	for _, c := range res.Checks {
		t.Run(fmt.Sprint(c.Check.ID), func(t *testing.T) {
			want, ok := fixtureExpect[c.Check.ID]
			if !ok {
				t.Fatalf("no expectation for check %d", c.Check.ID)
			}
			if c.Status != want {
				t.Errorf("%s: status %s, want %s (reason %q, evidence %q)", c.Check.Title, c.Status, want, c.Reason, c.Evidence)
			}
			if (c.Status == StatusNotApplicable || c.Status == StatusError) != (c.Reason != "") {
				t.Errorf("status %s with reason %q", c.Status, c.Reason)
			}
			if (c.Status == StatusPass || c.Status == StatusFail) && c.Evidence == "" {
				t.Errorf("status %s without evidence", c.Status)
			}
		})
	}
	sum := res.Summary
	if sum.Total() != len(res.Checks) {
		t.Errorf("summary %+v does not count %d checks", sum, len(res.Checks))
	}
}

func findCheck(t *testing.T, res *PolicyResult, id int) CheckResult {
	t.Helper()
	for _, c := range res.Checks {
		if c.Check.ID == id {
			return c
		}
	}
	t.Fatalf("check %d not in result", id)
	return CheckResult{}
}

func TestEvidence(t *testing.T) {
	p := mustLoad(t, "testdata/fixture_policy.yml")
	res, err := p.Evaluate(context.Background(), &Env{Root: fixtureRoot(t)}, Options{AllowCommands: true, Exec: fakeExec})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id   int
		want []string
	}{
		{10, []string{"/etc/ssh/sshd_config:3: PermitRootLogin no"}},
		{14, []string{"/etc/ssh/sshd_config:4: MaxAuthTries 3"}},
		{16, []string{"no line of /etc/ssh/sshd_config matches n:^ClientAliveInterval"}},
		{32, []string{"/etc/audit/rules.d/sub/deep.rules:1: -w /etc/sudoers"}},
		{50, []string{"output of `sshd -T`:2: permitrootlogin no"}},
		{60, []string{"probe test.echo alpha beta:2: beta"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.id), func(t *testing.T) {
			c := findCheck(t, res, tt.id)
			for _, w := range tt.want {
				if !strings.Contains(c.Evidence, w) {
					t.Errorf("evidence %q lacks %q", c.Evidence, w)
				}
			}
		})
	}
	if c := findCheck(t, res, 17); !strings.Contains(c.Reason, "/etc/nope does not exist") {
		t.Errorf("check 17 reason %q", c.Reason)
	}
	if c := findCheck(t, res, 90); !strings.Contains(c.Reason, "alpine") || !strings.Contains(c.Reason, "debian 12") {
		t.Errorf("check 90 reason %q", c.Reason)
	}
	c := findCheck(t, res, 90).Check
	if c.VigilID != "VGL-TEST-090" || c.Severity != SeverityHigh || c.Category != "test" || c.RemediationCommand != "true" {
		t.Errorf("vigil metadata not loaded: %+v", c)
	}
}

func TestCommandsDisabledAndFixtureRoot(t *testing.T) {
	p := mustLoad(t, "testdata/fixture_policy.yml")
	tests := []struct {
		name   string
		opts   Options
		reason string
	}{
		{"disabled", Options{}, ReasonCommandsDisabled},
		{"fixture root", Options{AllowCommands: true}, "only on the live host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := p.Evaluate(context.Background(), &Env{Root: fixtureRoot(t)}, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []int{50, 51, 52} {
				c := findCheck(t, res, id)
				if c.Status != StatusNotApplicable || !strings.Contains(c.Reason, tt.reason) {
					t.Errorf("check %d: %s %q, want not_applicable %q", id, c.Status, c.Reason, tt.reason)
				}
			}
			if c := findCheck(t, res, 10); c.Status != StatusPass {
				t.Errorf("file checks must still run: check 10 %s", c.Status)
			}
		})
	}
}

func TestRequirementsUnmet(t *testing.T) {
	p := mustLoad(t, "testdata/unmet_policy.yml")
	res, err := p.Evaluate(context.Background(), &Env{Root: fixtureRoot(t)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped == "" || len(res.Checks) != 0 {
		t.Fatalf("policy not skipped: %+v", res)
	}
	if res.Requirements.Status != StatusFail || !strings.Contains(res.Skipped, "Debian 13") {
		t.Errorf("requirements %+v, skipped %q", res.Requirements, res.Skipped)
	}
}

func TestCommandsSharedOncePerEnv(t *testing.T) {
	p := mustLoad(t, "testdata/fixture_policy.yml")
	var calls int
	var mu = make(chan struct{}, 1)
	counting := func(ctx context.Context, argv []string) ([]byte, error) {
		mu <- struct{}{}
		calls++
		<-mu
		return fakeExec(ctx, argv)
	}
	env := &Env{Root: fixtureRoot(t)}
	for range 2 {
		if _, err := p.Evaluate(context.Background(), env, Options{AllowCommands: true, Exec: counting, Workers: 4}); err != nil {
			t.Fatal(err)
		}
	}
	// "sshd -T" (checks 50 and 51) and "no-such-program --version" (52).
	if calls != 2 {
		t.Errorf("%d command runs, want 2 (one per distinct command line)", calls)
	}
}

func TestFileTooLargeIsError(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "etc", "huge"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(defaultMaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p, err := Load("huge.yml", []byte(`
policy: {id: huge, file: huge.yml, name: huge, description: huge}
checks:
  - id: 1
    title: huge
    condition: all
    rules: ['f:/etc/huge -> r:x']
`))
	if err != nil {
		t.Fatal(err)
	}
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Evaluate(context.Background(), &Env{Root: root}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Checks[0]; c.Status != StatusError || !strings.Contains(c.Reason, "too large") {
		t.Errorf("got %s %q, want error about size", c.Status, c.Reason)
	}
}

func TestEvaluateCancelled(t *testing.T) {
	p := mustLoad(t, "testdata/fixture_policy.yml")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := p.Evaluate(ctx, &Env{Root: fixtureRoot(t)}, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
