package pkgdb

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/shareddata"
)

// TestSharedDpkgSamples parses the real-world dpkg status samples described in
// the shared data's dpkg_status_samples/MANIFEST.md.
func TestSharedDpkgSamples(t *testing.T) {
	dir := shareddata.Dir(t, "dpkg_status_samples")
	tests := []struct {
		file      string
		installed int
		skips     int
		names     []string // some installed package names
		notNames  []string
	}{
		// 91 stanzas, one "deinstall ok config-files" (git).
		{file: "trivy/ubuntu18.04_var_lib_dpkg_status", installed: 90, names: []string{"util-linux", "liblzma5", "libc6"}, notNames: []string{"git"}},
		{file: "osv-scalibr/dpkg/valid", installed: 7},
		{file: "osv-scalibr/dpkg/single", installed: 1, names: []string{"acl"}},
		{file: "osv-scalibr/dpkg/trailingnewlines", installed: 1, names: []string{"acl"}},
		{file: "osv-scalibr/dpkg/empty", installed: 0},
		// Two stanzas of one garbage line each: the line and the stanza are recorded.
		{file: "osv-scalibr/dpkg/invalid", installed: 0, skips: 4},
		{file: "osv-scalibr/dpkg/nopackage", installed: 2, skips: 1, names: []string{"foo", "bar"}},
		{file: "osv-scalibr/dpkg/noversion", installed: 2, skips: 1, names: []string{"foo", "bar"}, notNames: []string{"acl"}},
		// installed whatever the selection; a stanza without Status counts
		// (status.d style); config-files, unpacked, half-installed do not.
		{file: "osv-scalibr/dpkg/statusfield", installed: 4,
			names:    []string{"wantinstall_installed", "wantdeinstall_installed", "wantpurge_installed", "wantnostatus"},
			notNames: []string{"wantdeinstall_configfiles", "wantinstall_unpacked", "wantinstall_halfinstalled"}},
		{file: "osv-scalibr/dpkg/status.d/foo", installed: 1, names: []string{"foo"}, notNames: []string{"bar"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, tc.file))
			if err != nil {
				t.Skip(err)
			}
			defer f.Close()
			pkgs, skip, err := ParseDpkgStatus(f, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if len(pkgs) != tc.installed {
				t.Errorf("got %d installed packages, want %d", len(pkgs), tc.installed)
			}
			if len(skip) != tc.skips {
				t.Errorf("skipped %d, want %d: %v", len(skip), tc.skips, skip)
			}
			for _, n := range tc.names {
				if _, ok := find(pkgs, n); !ok {
					t.Errorf("missing %s", n)
				}
			}
			for _, n := range tc.notNames {
				if _, ok := find(pkgs, n); ok {
					t.Errorf("%s should not be listed", n)
				}
			}
		})
	}
}

// TestSharedDpkgSources checks binary-to-source mapping on the Ubuntu 18.04
// sample, where Source: appears with and without a version.
func TestSharedDpkgSources(t *testing.T) {
	dir := shareddata.Dir(t, "dpkg_status_samples")
	f, err := os.Open(filepath.Join(dir, "trivy/ubuntu18.04_var_lib_dpkg_status"))
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	pkgs, _, err := ParseDpkgStatus(f, "status")
	if err != nil {
		t.Fatal(err)
	}
	withSource := 0
	for _, p := range pkgs {
		if p.Source != p.Name {
			withSource++
		}
		if strings.ContainsAny(p.Source, " ()") || strings.ContainsAny(p.SourceVersion, " ()") {
			t.Errorf("%s: unsplit source %q %q", p.Name, p.Source, p.SourceVersion)
		}
	}
	// 63 stanzas have Source:, some naming the binary's own name.
	if withSource < 40 || withSource > 63 {
		t.Errorf("%d packages with a different source name, want 40..63", withSource)
	}
}

// TestSharedTxtarStatus parses the status files inside the trivy txtar
// archives, including the intentionally corrupted one.
func TestSharedTxtarStatus(t *testing.T) {
	dir := shareddata.Dir(t, "dpkg_status_samples")
	files, _ := filepath.Glob(filepath.Join(dir, "trivy/*.txtar"))
	if len(files) == 0 {
		t.Skip("no txtar samples")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			members := txtarMembers(string(b))
			for name, body := range members {
				if name != "var/lib/dpkg/status" && !strings.HasPrefix(name, "var/lib/dpkg/status.d/") {
					continue
				}
				pkgs, skip, err := ParseDpkgStatus(strings.NewReader(body), name)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range pkgs {
					if p.Name == "" || p.Version == "" {
						t.Errorf("%s: incomplete %+v", name, p)
					}
				}
				t.Logf("%s: %d installed, %d skipped", name, len(pkgs), len(skip))
			}
		})
	}
}

// txtarMembers splits a txtar archive ("-- name --" lines) into its files.
func txtarMembers(s string) map[string]string {
	out := map[string]string{}
	var name string
	var body strings.Builder
	for line := range strings.Lines(s) {
		t := strings.TrimRight(line, "\n")
		if strings.HasPrefix(t, "-- ") && strings.HasSuffix(t, " --") && len(t) > 6 {
			if name != "" {
				out[name] = body.String()
			}
			name = strings.TrimSpace(t[3 : len(t)-3])
			body.Reset()
			continue
		}
		if name != "" {
			body.WriteString(line)
		}
	}
	if name != "" {
		out[name] = body.String()
	}
	return out
}
