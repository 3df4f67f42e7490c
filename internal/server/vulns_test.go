package server

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/httpapi"
	"github.com/vigil-sec/vigil/internal/inventory"
	"github.com/vigil-sec/vigil/internal/shareddata"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/transport"
	"github.com/vigil-sec/vigil/internal/vuln/vulndb"
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// importAdvisories imports path into the server's DIR/vuln.db from a
// separate handle, as vigil vuln db import --data DIR does.
func importAdvisories(t *testing.T, dataDir, path string) {
	t.Helper()
	db, err := vulndb.Open(context.Background(), VulnDBPath(dataDir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Import(context.Background(), path); err != nil {
		t.Fatal(err)
	}
}

// apiGet calls the admin API of s and decodes the answer.
func apiGet(t *testing.T, s *Server, path string, out any) int {
	t.Helper()
	ep, err := httpapi.Locate{DataDir: s.DataDir().Path}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	c, err := httpapi.NewClient(ep)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", s.URL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.DataDir().AdminToken)
	res, err := c.HTTP().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode == 200 {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return res.StatusCode
}

// findingLines renders findings like expected-findings.txt.
func findingLines(hv httpapi.HostVulnerabilities) string {
	var b strings.Builder
	for _, f := range hv.Findings {
		b.WriteString(strings.Join([]string{f.Package, f.Version, f.ID, f.Fixed}, " ") + "\n")
	}
	return b.String()
}

// waitFindings polls the host's findings until they equal want.
func waitFindings(t *testing.T, s *Server, host, want string) httpapi.HostVulnerabilities {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var hv httpapi.HostVulnerabilities
	for {
		hv = httpapi.HostVulnerabilities{}
		st := apiGet(t, s, "/api/v1/hosts/"+host+"/vulnerabilities", &hv)
		if st == 200 && findingLines(hv) == want {
			return hv
		}
		if time.Now().After(deadline) {
			t.Fatalf("host %s: status %d, findings:\n%s\nwant:\n%s", host, st, findingLines(hv), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestVulnMatching: hosts whose stored inventory is the debian10-elts
// fixture are matched once advisories are imported into DIR/vuln.db; the
// API serves the expected findings per host and aggregates both hosts; a
// re-import that changes an advisory re-matches every host.
func TestVulnMatching(t *testing.T) {
	adv := filepath.Join(shareddata.Dir(t, "osv_advisories"), "debian_elts")
	fixture := filepath.Join(repoRoot(), "testdata", "rootfs", "debian10-elts")
	wantBytes, err := os.ReadFile(filepath.Join(fixture, "expected-findings.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := string(wantBytes)
	dir := filepath.Join(t.TempDir(), "data")
	cfg := testConfig(dir)
	cfg.VulnCheckInterval = 100 * time.Millisecond
	cfg.NoDetection = true
	s, _, _, _ := startServer(t, cfg)
	ctx := context.Background()

	root, err := hostfs.New(fixture)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Collect(ctx, root, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	invDoc, _ := json.Marshal(inv)
	for _, h := range []store.Host{{ID: "a1", Name: "web1"}, {ID: "a2", Name: "web2"}, {ID: "a3", Name: "new"}} {
		if err := s.Store().UpsertHost(ctx, h); err != nil {
			t.Fatal(err)
		}
		if h.ID != "a3" {
			if err := s.Store().PutDocument(ctx, h.ID, transport.DocInventory, time.Now(), invDoc); err != nil {
				t.Fatal(err)
			}
		}
	}
	var hv httpapi.HostVulnerabilities
	if st := apiGet(t, s, "/api/v1/hosts/a1/vulnerabilities", &hv); st != 404 {
		t.Fatalf("findings before any database: %d", st)
	}

	importAdvisories(t, dir, adv)
	hv = waitFindings(t, s, "a1", want)
	if hv.HostID != "a1" || hv.Host.ID != "debian" || !slices.Equal(hv.Ecosystems, []string{"Debian:10"}) ||
		hv.Summary.Findings != strings.Count(want, "\n") || hv.Database == "" {
		t.Errorf("report header %+v %+v", hv.Host, hv.Summary)
	}
	for _, f := range hv.Findings {
		if f.Ecosystem != "Debian:10" || f.Why == "" || f.Remediation != "apt-get install --only-upgrade "+f.Package {
			t.Errorf("finding %+v", f)
		}
	}
	waitFindings(t, s, "a2", want)
	if st := apiGet(t, s, "/api/v1/hosts/a3/vulnerabilities", &hv); st != 404 {
		t.Errorf("host without inventory: %d", st)
	}

	var list httpapi.VulnerabilityList
	if st := apiGet(t, s, "/api/v1/vulnerabilities", &list); st != 200 {
		t.Fatalf("list: %d", st)
	}
	ids := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(want), "\n") {
		ids[strings.Fields(l)[2]] = true
	}
	if list.Hosts != 3 || list.HostsMatched != 2 || len(list.Advisories) != len(ids) {
		t.Fatalf("list: %d hosts, %d matched, %d advisories (want %d)", list.Hosts, list.HostsMatched, len(list.Advisories), len(ids))
	}
	for _, a := range list.Advisories {
		if !ids[a.ID] || a.HostCount != 2 || a.HostList[0].ID != "a1" || a.HostList[1].ID != "a2" || len(a.Fixed) != 1 || a.Severity == "" {
			t.Errorf("advisory %+v", a)
		}
	}

	// ELA-1145-1 is changed to be fixed in the installed curl version: a
	// re-import drops its findings on every host.
	raw, err := os.ReadFile(filepath.Join(adv, "ELA-1145-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(raw), `"2024-08-05T00:00:00Z"`, `"2030-01-01T00:00:00Z"`, 1)
	changed = strings.ReplaceAll(changed, `"7.64.0-4+deb10u10"`, `"7.64.0-4+deb10u9"`)
	if changed == string(raw) {
		t.Fatal("advisory edit did not apply")
	}
	edit := t.TempDir()
	if err := os.WriteFile(filepath.Join(edit, "ELA-1145-1.json"), []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	importAdvisories(t, dir, edit)
	var kept []string
	for _, l := range strings.SplitAfter(want, "\n") {
		if !strings.Contains(l, " ELA-1145-1 ") {
			kept = append(kept, l)
		}
	}
	rematched := strings.Join(kept, "")
	if rematched == want {
		t.Fatal("ELA-1145-1 is not among the expected findings")
	}
	first := waitFindings(t, s, "a1", rematched)
	waitFindings(t, s, "a2", rematched)

	// Without a change, passes do not match again (the matcher's own reads
	// do not count as a change).
	time.Sleep(10 * cfg.VulnCheckInterval)
	if again := waitFindings(t, s, "a1", rematched); !again.MatchedAt.Equal(first.MatchedAt) {
		t.Errorf("host matched again without a change: %v, then %v", first.MatchedAt, again.MatchedAt)
	}
}
