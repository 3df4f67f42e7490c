package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// vigilBin is the binary built once for the package's tests; buildErr says
// why there is none.
var (
	vigilBin string
	buildErr error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vigil-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if bin := os.Getenv("VIGIL_E2E_BIN"); bin != "" {
		vigilBin = bin // a binary built beforehand, for quick local runs
	} else {
		vigilBin, buildErr = build(dir)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles ./cmd/vigil of the module this package belongs to.
func build(dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("go tool not found: %w", err)
	}
	bin := filepath.Join(dir, "vigil")
	cmd := exec.Command(goTool, "build", "-o", bin, "./cmd/vigil")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/vigil: %w\n%s", err, out)
	}
	return bin, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test directory")
		}
		dir = parent
	}
}

// needBinary skips in -short mode and fails when the build failed.
func needBinary(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test with real processes; skipped with -short")
	}
	if buildErr != nil {
		t.Fatalf("vigil binary: %v", buildErr)
	}
}
