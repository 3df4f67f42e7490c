package baseline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/sca"
)

// runProbe runs a registered probe against root with a fresh scan environment.
func runProbe(t testing.TB, env *sca.Env, name string, args ...string) ([]string, error) {
	t.Helper()
	fn, ok := sca.LookupProbe(name)
	if !ok {
		t.Fatalf("probe %s not registered", name)
	}
	return fn(context.Background(), env, args)
}

// mustProbe runs a probe that must succeed.
func mustProbe(t testing.TB, env *sca.Env, name string, args ...string) []string {
	t.Helper()
	lines, err := runProbe(t, env, name, args...)
	if err != nil {
		t.Fatalf("%s %q: %v", name, args, err)
	}
	return lines
}

func envFor(t testing.TB, dir string) *sca.Env {
	t.Helper()
	r, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &sca.Env{Root: r}
}

// tree is a file to create in a temporary root: content, mode and owner.
type tree struct {
	path     string
	content  string // "" with dir=true makes a directory
	dir      bool
	link     string
	mode     os.FileMode
	uid, gid int // -1 leaves the owner alone
}

// makeRoot writes files into a new temporary root. chmod is applied after
// writing so that the umask does not interfere.
func makeRoot(t testing.TB, files []tree) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range files {
		p := filepath.Join(root, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case f.link != "":
			err = os.Symlink(f.link, p)
		case f.dir:
			err = os.MkdirAll(p, 0o755)
		default:
			err = os.WriteFile(p, []byte(f.content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.link != "" {
			continue
		}
		// chown before chmod: chown clears the setuid and setgid bits.
		if f.uid >= 0 && (f.uid != 0 || f.gid != 0) {
			if os.Geteuid() != 0 {
				t.Skip("needs root to chown fixture files")
			}
			if err := os.Lchown(p, f.uid, f.gid); err != nil {
				t.Fatal(err)
			}
		}
		if f.mode != 0 {
			if err := os.Chmod(p, f.mode); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

const (
	testPasswd = "root:x:0:0:root:/root:/bin/bash\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\nalice:x:1000:1000::/home/alice:/bin/bash\n"
	testGroup  = "root:x:0:\nbin:x:2:\nshadow:x:42:\nalice:x:1000:\n"
)

func TestRegisteredCatalogue(t *testing.T) {
	names := sca.ProbeNames()
	for _, want := range []string{"sshd.effective", "sysctl.runtime", "sysctl.configured", "file.perms", "file.stat",
		"fs.world_writable_files", "fs.world_writable_dirs_nosticky", "fs.unowned", "fs.suid_sgid", "mounts", "fstab"} {
		if !slices.Contains(names, want) {
			t.Errorf("probe %s not registered", want)
		}
	}
}

func TestNoArgProbesRejectArgs(t *testing.T) {
	env := envFor(t, t.TempDir())
	for _, name := range []string{"sshd.effective", "fs.suid_sgid", "mounts", "fstab"} {
		if _, err := runProbe(t, env, name, "x"); err == nil || errors.Is(err, sca.ErrNotApplicable) {
			t.Errorf("%s with an argument: err = %v, want a usage error", name, err)
		}
	}
}

func hasLine(lines []string, want string) bool { return slices.Contains(lines, want) }

func hasPrefix(lines []string, prefix string) bool {
	return slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) })
}
