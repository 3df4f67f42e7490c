// Package shareddata locates the project's shared real-world test data (auth logs,
// audit logs, Sigma rules, Wazuh SCA policies, OSV advisories, version vectors),
// which lives beside the checkout in ../shared/data and is never copied into the
// repository. Tests call Dir and are skipped with a clear message when it is absent.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvVar overrides where the shared data is looked for.
const EnvVar = "VIGIL_SHARED_DATA"

// Find returns the shared data directory, or "" when it cannot be found. It looks
// at $VIGIL_SHARED_DATA, then for ../shared/data beside the module root found by
// walking up from the working directory.
func Find() string {
	if d := os.Getenv(EnvVar); d != "" {
		if isDir(d) {
			return d
		}
		return ""
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(dir, "..", "shared", "data")
			if isDir(d) {
				return filepath.Clean(d)
			}
			return ""
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// Dir returns the path of sub (for example "wazuh_sca") inside the shared data,
// skipping the test when it is absent.
func Dir(tb testing.TB, sub string) string {
	tb.Helper()
	root := Find()
	if root == "" {
		tb.Skipf("shared test data not found (expected ../shared/data beside the checkout, or $%s)", EnvVar)
	}
	d := filepath.Join(root, sub)
	if !isDir(d) {
		tb.Skipf("shared test data %s not found in %s", sub, root)
	}
	return d
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
