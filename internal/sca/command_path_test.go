//go:build unix

package sca

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// Command rules find programs in the fixed commandPath only: a directory
// the caller put in PATH (a user's ~/bin when an operator runs vigil scan
// with sudo -E) must not decide which program runs as root.
func TestCommandsIgnoreCallerPATH(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "vigil-path-probe")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho hijacked\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	p, err := Load("path.yml", []byte(`
policy: {id: path, file: path.yml, name: path, description: path}
checks:
  - {id: 1, title: caller PATH, condition: all, rules: ['c:vigil-path-probe -> r:hijacked']}
  - {id: 2, title: absolute path, condition: all, rules: ['c:`+script+` -> r:hijacked']}
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Evaluate(context.Background(), &Env{Root: hostfs.Live()}, Options{AllowCommands: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]Status{1: StatusNotApplicable, 2: StatusPass}
	for _, c := range res.Checks {
		if c.Status != want[c.Check.ID] {
			t.Errorf("check %d %s: %s %q, want %s", c.Check.ID, c.Check.Title, c.Status, c.Reason, want[c.Check.ID])
		}
	}
}
