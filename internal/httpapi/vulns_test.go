package httpapi

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/vuln"
)

func putFindings(t *testing.T, st store.Store, host string, fs ...vuln.Finding) {
	t.Helper()
	doc, err := json.Marshal(HostVulnerabilities{Report: vuln.Report{Findings: fs}, HostID: host})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutDocument(context.Background(), host, DocVulnerabilities, testNow, doc); err != nil {
		t.Fatal(err)
	}
}

func TestVulnerabilityRoutes(t *testing.T) {
	srv, st := newTestAPI(t)
	ctx := context.Background()
	for _, h := range []store.Host{{ID: "h1", Name: "web1"}, {ID: "h2", Name: "web2"}, {ID: "h3", Name: "db1"}} {
		_ = st.UpsertHost(ctx, h)
	}
	seven := 7.5
	curl := func(pkg, id, sev, fixed string) vuln.Finding {
		return vuln.Finding{Package: pkg, Version: "7.64.0-4", ID: id, Severity: sev, Fixed: fixed, Ecosystem: "Debian:10"}
	}
	putFindings(t, st, "h1", curl("curl", "ELA-1", "medium", "7.64.0-5"), curl("libcurl4", "ELA-1", "medium", "7.64.0-5"),
		vuln.Finding{Package: "tzdata", ID: "ELA-2", Severity: "low", Fixed: "2025a"})
	putFindings(t, st, "h2", curl("curl", "ELA-1", "high", "7.64.0-6"), vuln.Finding{Package: "openssl", ID: "ELA-3", Severity: "high", Score: &seven})

	var hv HostVulnerabilities
	if s := call(t, "GET", srv.URL+"/api/v1/hosts/h1/vulnerabilities", testToken, "", &hv); s != 200 || hv.HostID != "h1" || len(hv.Findings) != 3 {
		t.Fatalf("h1: %d %+v", s, hv)
	}
	var eb errorBody
	if s := call(t, "GET", srv.URL+"/api/v1/hosts/h3/vulnerabilities", testToken, "", &eb); s != 404 || eb.Error.Code != "not_found" {
		t.Errorf("unmatched host: %d %+v", s, eb)
	}
	if s := call(t, "GET", srv.URL+"/api/v1/hosts/nope/vulnerabilities", testToken, "", &eb); s != 404 {
		t.Errorf("unknown host: %d", s)
	}
	if s := call(t, "GET", srv.URL+"/api/v1/vulnerabilities", "", "", &eb); s != 401 {
		t.Errorf("without token: %d", s)
	}

	var list VulnerabilityList
	if s := call(t, "GET", srv.URL+"/api/v1/vulnerabilities", testToken, "", &list); s != 200 {
		t.Fatalf("list: %d", s)
	}
	if list.Hosts != 3 || list.HostsMatched != 2 || len(list.Advisories) != 3 {
		t.Fatalf("list %+v", list)
	}
	tests := []struct {
		id, severity string
		hosts        []string
		fixed        []string
		packages     int // on the first host
	}{
		{"ELA-1", "high", []string{"h1", "h2"}, []string{"7.64.0-5", "7.64.0-6"}, 2},
		{"ELA-3", "high", []string{"h2"}, []string{""}, 1},
		{"ELA-2", "low", []string{"h1"}, []string{"2025a"}, 1},
	}
	for i, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			a := list.Advisories[i]
			var hosts []string
			for _, h := range a.HostList {
				hosts = append(hosts, h.ID)
			}
			if a.ID != tt.id || a.Severity != tt.severity || a.HostCount != len(tt.hosts) || !slices.Equal(hosts, tt.hosts) ||
				!slices.Equal(a.Fixed, tt.fixed) || len(a.HostList[0].Packages) != tt.packages {
				t.Errorf("advisory %d: %+v", i, a)
			}
		})
	}
	if list.Advisories[0].HostList[0].Name != "web1" {
		t.Errorf("host name %q", list.Advisories[0].HostList[0].Name)
	}
}
