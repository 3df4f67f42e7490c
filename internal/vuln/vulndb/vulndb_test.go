package vulndb

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/inventory/packages"
	"github.com/vigil-sec/vigil/internal/vuln"
)

const testAdvisories = "../osv/testdata/advisories"

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "osv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestImportStatusIndex(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	st, err := db.Import(ctx, testAdvisories)
	if err != nil {
		t.Fatal(err)
	}
	if st.Added != 5 || st.Updated != 0 || st.Unchanged != 0 || len(st.Skipped) != 2 {
		t.Errorf("first import %+v, want 5 added and 2 skipped", st)
	}
	// Re-import: nothing is newer.
	st, err = db.Import(ctx, testAdvisories)
	if err != nil || st.Added != 0 || st.Unchanged != 5 {
		t.Errorf("second import %+v, %v; want 5 unchanged", st, err)
	}
	// A newer copy of one advisory replaces it and its entries.
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(testAdvisories, "VIGIL-TEST-DEB-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	newer := strings.Replace(string(data), "2024-05-01T10:00:00Z", "2024-05-02T10:00:00Z", 1)
	newer = strings.Replace(newer, `"fixed": "1:2.4-1+deb12u1"`, `"fixed": "1:2.4-1+deb12u2"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(newer), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err = db.Import(ctx, dir)
	if err != nil || st.Updated != 1 {
		t.Errorf("third import %+v, %v; want 1 updated", st, err)
	}

	s, err := db.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Advisories != 5 || s.Withdrawn != 1 || !strings.HasPrefix(s.Newest, "2024-09-01") {
		t.Errorf("status %+v", s)
	}
	counts := map[string]int{}
	for _, e := range s.Ecosystems {
		counts[e.Ecosystem] = e.Advisories
	}
	if counts["Debian:12"] != 2 || counts["Ubuntu:Pro:18.04:LTS"] != 1 || counts["Red Hat:enterprise_linux:9::baseos"] != 1 {
		t.Errorf("ecosystem counts %v", counts)
	}

	idx, err := db.Index(ctx, []string{"Debian:12"}, []string{"example", "unrelated"})
	if err != nil {
		t.Fatal(err)
	}
	es := idx.Lookup("Debian:12", "example")
	if len(es) != 1 || es[0].Meta.ID != "VIGIL-TEST-DEB-1" || es[0].Score == nil || *es[0].Score != 9.8 {
		t.Fatalf("Lookup = %+v, want only the non-withdrawn VIGIL-TEST-DEB-1 scored 9.8", es)
	}
	pkgs := []packages.Package{{Name: "libexample1", Source: "example", Version: "1:2.4-1+deb12u1",
		SourceVersion: "1:2.4-1+deb12u1", Type: packages.TypeDeb}}
	fs := vuln.Match(idx, []string{"Debian:12"}, pkgs)
	if len(fs) != 1 || fs[0].Fixed != "1:2.4-1+deb12u2" || fs[0].Aliases[0] != "CVE-2099-0001" {
		t.Errorf("findings after update %+v, want the updated fix", fs)
	}
}

func TestUpdateNoNetwork(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	// An address nobody listens on: the connection is refused at once.
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	_, err := db.Update(ctx, &http.Client{Timeout: 2 * time.Second}, base, []string{"Debian"})
	if !errors.Is(err, ErrDownload) || !strings.Contains(err.Error(), "no network connection") ||
		!strings.Contains(err.Error(), "/Debian/all.zip") || !strings.Contains(err.Error(), "vigil vuln db import") {
		t.Errorf("error %v, want a clear no-network message", err)
	}
}

func TestUpdateFromServer(t *testing.T) {
	zipData := buildZip(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/Rocky Linux/all.zip" {
			http.NotFound(w, r)
			return
		}
		w.Write(zipData)
	}))
	defer srv.Close()
	db := openTest(t)
	st, err := db.Update(context.Background(), srv.Client(), srv.URL, []string{"Rocky Linux"})
	if err != nil || len(st) != 1 || st[0].Added != 5 {
		t.Fatalf("Update = %+v, %v", st, err)
	}
	_, err = db.Update(context.Background(), srv.Client(), srv.URL, []string{"Nope"})
	if !errors.Is(err, ErrDownload) || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing archive: %v", err)
	}
}

// TestOpenConcurrently checks that openers racing on a new file all get the
// schema once (the server's matcher and an import opened it together and one
// failed with "table advisories already exists").
func TestOpenConcurrently(t *testing.T) {
	for range 20 {
		path := filepath.Join(t.TempDir(), "osv.db")
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				db, err := Open(context.Background(), path)
				if err == nil {
					err = db.Close()
				}
				errs <- err
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
}
