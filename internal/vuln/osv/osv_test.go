package osv

import (
	"archive/zip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/shareddata"
	"github.com/vigil-sec/vigil/internal/vuln/version"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		reason string // "" when valid
	}{
		{"minimal", `{"id":"X-1","modified":"2024-01-01T00:00:00Z"}`, ""},
		{"ranges object", `{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian:10","name":"a"},"ranges":{"type":"ECOSYSTEM"}}]}`, "affected.ranges is a JSON object"},
		{"no id", `{"modified":"2024-01-01T00:00:00Z"}`, "no id"},
		{"no modified", `{"id":"X-1"}`, "no modified date"},
		{"bad date", `{"id":"X-1","modified":"yesterday"}`, "yesterday"},
		{"two bounds", `{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian:10","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}]}]}`, "2 bounds set"},
		{"no events", `{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian:10","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[]}]}]}`, "no events"},
		{"trailing data", `{"id":"X-1","modified":"2024-01-01T00:00:00Z"} {}`, "data after the record"},
		{"not an object", `[1,2]`, "want osv.Advisory"},
		{"empty", ``, "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Decode([]byte(tt.in))
			if tt.reason == "" {
				if err != nil || a == nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Decode accepted %s", tt.in)
			}
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q, want ErrMalformed mentioning %q", err, tt.reason)
			}
		})
	}
}

func TestParseEcosystem(t *testing.T) {
	tests := []struct {
		in, name, key string
		scheme        version.Scheme
	}{
		{"Debian:10", "Debian", "Debian:10", version.SchemeDpkg},
		{"Ubuntu:22.04:LTS", "Ubuntu", "Ubuntu:22.04", version.SchemeDpkg},
		{"Ubuntu:22.04", "Ubuntu", "Ubuntu:22.04", version.SchemeDpkg},
		{"Ubuntu:Pro:18.04:LTS", "Ubuntu", "Ubuntu:Pro:18.04", version.SchemeDpkg},
		{"Ubuntu:23.10", "Ubuntu", "Ubuntu:23.10", version.SchemeDpkg},
		{"AlmaLinux:9", "AlmaLinux", "AlmaLinux:9", version.SchemeRPM},
		{"Rocky Linux:8", "Rocky Linux", "Rocky Linux:8", version.SchemeRPM},
		{"Red Hat:enterprise_linux:9::baseos", "Red Hat", "Red Hat:enterprise_linux:9", version.SchemeRPM},
		{"Red Hat:rhel_eus:9.2::appstream", "Red Hat", "Red Hat:rhel_eus:9.2", version.SchemeRPM},
		{"Alpine:v3.19", "Alpine", "Alpine:v3.19", version.SchemeAPK},
		{"PyPI", "PyPI", "PyPI", version.SchemeUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e := ParseEcosystem(tt.in)
			if e.Name != tt.name || e.Key != tt.key || e.Scheme != tt.scheme || e.Raw != tt.in {
				t.Errorf("ParseEcosystem(%q) = %+v, want name %q key %q scheme %v", tt.in, e, tt.name, tt.key, tt.scheme)
			}
		})
	}
}

func loadAll(t *testing.T, path string) ([]*Advisory, LoadStats) {
	t.Helper()
	var got []*Advisory
	st, err := Load(context.Background(), path, func(a *Advisory) error {
		got = append(got, a)
		return nil
	})
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return got, st
}

func TestLoadTestdata(t *testing.T) {
	got, st := loadAll(t, "testdata/advisories")
	if len(got) != 5 || st.Loaded != 5 || st.Files != 7 {
		t.Errorf("loaded %d (stats %+v), want 5 of 7 files", len(got), st)
	}
	if len(st.Skipped) != 2 {
		t.Fatalf("skipped %v, want the 2 broken files", st.Skipped)
	}
	for _, s := range st.Skipped {
		if !strings.Contains(s.File, "bad-ranges-object.json") && !strings.Contains(s.File, "truncated.json") {
			t.Errorf("unexpected skip %v", s)
		}
		if s.Reason == "" {
			t.Errorf("skip without reason: %v", s)
		}
	}
	var withdrawn int
	for _, a := range got {
		if a.IsWithdrawn() {
			withdrawn++
			if a.ID != "VIGIL-TEST-WITHDRAWN-1" {
				t.Errorf("%s reported withdrawn", a.ID)
			}
		}
	}
	if withdrawn != 1 {
		t.Errorf("%d withdrawn, want 1", withdrawn)
	}
}

func TestLoadZip(t *testing.T) {
	dir := t.TempDir()
	zpath := filepath.Join(dir, "all.zip")
	f, err := os.Create(zpath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	entries, err := filepath.Glob("testdata/advisories/*.json")
	if err != nil || len(entries) == 0 {
		t.Fatalf("glob: %v", err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(filepath.Base(e))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := zw.Create("README.txt"); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, st := loadAll(t, zpath)
	if len(got) != 5 || len(st.Skipped) != 2 {
		t.Errorf("zip: loaded %d, skipped %v; want 5 and 2", len(got), st.Skipped)
	}
	for _, s := range st.Skipped {
		if !strings.Contains(s.File, "all.zip!") {
			t.Errorf("skip %v does not name the archive entry", s)
		}
	}
	// A damaged archive is skipped, not fatal.
	if err := os.WriteFile(zpath, []byte("PK\x03\x04 not really"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, st := loadAll(t, zpath); len(got) != 0 || len(st.Skipped) != 1 {
		t.Errorf("damaged zip: loaded %d, skipped %v", len(got), st.Skipped)
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(context.Background(), filepath.Join(t.TempDir(), "nope"), func(*Advisory) error { return nil })
	if err == nil {
		t.Fatal("Load of a missing path succeeded")
	}
}

// TestLoadSharedData loads every real advisory of the shared data: all but
// the known quirk (ranges as an object) and the security-tracker excerpts
// (not OSV) decode, and every affected entry names a distribution ecosystem
// vigil orders.
func TestLoadSharedData(t *testing.T) {
	dir := shareddata.Dir(t, "osv_advisories")
	got, st := loadAll(t, dir)
	if len(got) < 820 {
		t.Errorf("loaded %d advisories, want at least 820", len(got))
	}
	var quirk bool
	for _, s := range st.Skipped {
		t.Logf("skipped %s", s)
		if strings.HasSuffix(s.File, "ELA-669-1.json") && strings.Contains(s.Reason, "ranges is a JSON object") {
			quirk = true
		}
	}
	if !quirk {
		t.Error("the ELA-669-1 quirk was not skipped with its reason")
	}
	for _, a := range got {
		for _, af := range a.Affected {
			if e := ParseEcosystem(af.Package.Ecosystem); e.Scheme == version.SchemeUnknown {
				t.Errorf("%s: ecosystem %q has no version scheme", a.ID, af.Package.Ecosystem)
			}
		}
	}
}

func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/advisories/*.json")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Decode(data)
		if err != nil {
			if a != nil || !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode error %v with advisory %v", err, a)
			}
			return
		}
		if a.ID == "" || a.Modified.IsZero() {
			t.Fatalf("accepted advisory without id or date: %+v", a)
		}
		for _, af := range a.Affected {
			_ = ParseEcosystem(af.Package.Ecosystem)
		}
	})
}
