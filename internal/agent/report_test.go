package agent

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/httpapi"
	"github.com/vigil-sec/vigil/internal/inventory"
	"github.com/vigil-sec/vigil/internal/scanreport"
	"github.com/vigil-sec/vigil/internal/server"
	"github.com/vigil-sec/vigil/internal/shareddata"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
	"github.com/vigil-sec/vigil/internal/transport"
	"github.com/vigil-sec/vigil/internal/vuln/vulndb"
)

func fixtureRoot(t *testing.T, name string) (hostfs.Root, string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "rootfs", name)
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return root, dir
}

// fullServer runs a real vigil server (API, agent endpoints, matcher) in
// dataDir until the test ends.
func fullServer(t *testing.T, dataDir string) *server.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.Open(ctx, server.Config{
		DataDir: dataDir, Listen: "127.0.0.1:0", NoDetection: true, VulnCheckInterval: 100 * time.Millisecond,
		OpenStore: func(ctx context.Context, dir string) (store.Store, error) {
			return sqlite.Open(ctx, filepath.Join(dir, "events.db"), sqlite.Options{})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; s.Close() })
	return s
}

// get calls the server's admin API; it returns the status and the body.
func get(t *testing.T, s *server.Server, path string, out any) int {
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
	if res.StatusCode == 200 && out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return res.StatusCode
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReportToServer: an agent on the debian10-elts fixture sends its
// inventory and baseline scan at start; the server stores and serves them,
// matches the packages against the ELTS advisories in DIR/vuln.db, and a
// run_scan task makes the agent send a new scan.
func TestReportToServer(t *testing.T) {
	adv := filepath.Join(shareddata.Dir(t, "osv_advisories"), "debian_elts")
	root, fixture := fixtureRoot(t, "debian10-elts")
	want, err := os.ReadFile(filepath.Join(fixture, "expected-findings.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	srv := fullServer(t, dataDir)
	ctx := context.Background()
	db, err := vulndb.Open(ctx, server.VulnDBPath(dataDir))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Import(ctx, adv); err != nil {
		t.Fatal(err)
	}
	db.Close()
	token, _, err := srv.IssueToken(ctx, time.Hour, 1)
	if err != nil {
		t.Fatal(err)
	}

	c := Default()
	c.StateDir = t.TempDir()
	c.Server = srv.URL()
	c.Enabled = []string{"testtick"}
	actx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- Run(actx, c, Options{Version: "test", Root: root, Logger: discard(), Stdout: os.Stdout, EnrollToken: token})
	}()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	var hostID string
	eventually(t, "the agent's host", func() bool {
		var hl httpapi.HostList
		if get(t, srv, "/api/v1/hosts", &hl) == 200 && len(hl.Hosts) == 1 {
			hostID = hl.Hosts[0].ID
		}
		return hostID != ""
	})
	var invDoc, scanDoc httpapi.Document
	eventually(t, "inventory and scan documents", func() bool {
		return get(t, srv, "/api/v1/hosts/"+hostID+"/inventory", &invDoc) == 200 &&
			get(t, srv, "/api/v1/hosts/"+hostID+"/scan", &scanDoc) == 200
	})
	var inv inventory.Inventory
	if err := json.Unmarshal(invDoc.Document, &inv); err != nil || inv.Host.OS.VersionID != "10" || len(inv.Packages) == 0 {
		t.Fatalf("inventory document: %v, os %+v, %d packages", err, inv.Host.OS, len(inv.Packages))
	}
	var rep scanreport.Report
	if err := json.Unmarshal(scanDoc.Document, &rep); err != nil || rep.Version != "test" || len(rep.Checks) == 0 ||
		rep.Host.OS != "Debian GNU/Linux 10 (buster)" || rep.Inventory != nil {
		t.Fatalf("scan document: %v, version %q, %d checks, host %+v, inventory kept: %v", err, rep.Version, len(rep.Checks), rep.Host, rep.Inventory != nil)
	}

	var hv httpapi.HostVulnerabilities
	eventually(t, "findings of the agent's host", func() bool {
		return get(t, srv, "/api/v1/hosts/"+hostID+"/vulnerabilities", &hv) == 200
	})
	var got strings.Builder
	for _, f := range hv.Findings {
		got.WriteString(strings.Join([]string{f.Package, f.Version, f.ID, f.Fixed}, " ") + "\n")
	}
	if got.String() != string(want) {
		t.Errorf("findings:\n%s\nwant:\n%s", got.String(), want)
	}

	// A run_scan task: the agent sends a new scan.
	if _, err := srv.Agents().AddTask(ctx, hostID, transport.TaskRunScan); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a new scan after run_scan", func() bool {
		var d httpapi.Document
		return get(t, srv, "/api/v1/hosts/"+hostID+"/scan", &d) == 200 && d.At.After(scanDoc.At)
	})
}

func TestReporterPolicy(t *testing.T) {
	c := Default()
	tests := []struct {
		name    string
		p       transport.Policy
		want    time.Duration
		refused bool
	}{
		{"interval", transport.Policy{Version: 1, ScanIntervalSeconds: 3600}, time.Hour, false},
		{"below_minimum", transport.Policy{Version: 2, ScanIntervalSeconds: 5}, time.Minute, false},
		{"default_again", transport.Policy{Version: 3}, c.ScanInterval, false},
		{"unsupported", transport.Policy{Version: 4, ScanIntervalSeconds: 600, WatchPaths: []string{"/etc"}}, 10 * time.Minute, true},
	}
	r := newReporter(c, Options{Logger: discard(), Now: time.Now})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.OnPolicy(context.Background(), tt.p)
			if (err != nil) != tt.refused || r.interval != tt.want {
				t.Errorf("err %v, interval %v; want refused=%v, %v", err, r.interval, tt.refused, tt.want)
			}
		})
	}
	if err := r.OnTask(context.Background(), transport.Task{ID: 1, Kind: transport.TaskRescanFIM}); err == nil {
		t.Error("rescan_fim accepted by the reporter")
	}
	c.SendScan = false
	if err := newReporter(c, Options{Logger: discard(), Now: time.Now}).OnTask(context.Background(), transport.Task{ID: 1, Kind: transport.TaskRunScan}); err == nil {
		t.Error("run_scan accepted with send_scan off")
	}
}
