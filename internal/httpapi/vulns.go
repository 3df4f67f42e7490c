package httpapi

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/vigil-sec/vigil/internal/scanreport"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/vuln"
)

// DocVulnerabilities is the document kind under which the server keeps a
// host's latest findings (a HostVulnerabilities).
const DocVulnerabilities = "vulnerabilities"

// HostVulnerabilities is the answer of GET /api/v1/hosts/{id}/vulnerabilities
// and the stored document: the report of `vigil vuln scan --format json`
// for the host's latest inventory, with when and against what it was
// matched.
type HostVulnerabilities struct {
	vuln.Report
	HostID string `json:"host_id"`
	// MatchedAt is when the server matched; InventoryAt when it stored the
	// inventory matched.
	MatchedAt   time.Time `json:"matched_at"`
	InventoryAt time.Time `json:"inventory_at"`
	// Database identifies the advisory database state matched against (a
	// revision derived from the database files).
	Database string `json:"database"`
}

// VulnerabilityList is the answer of GET /api/v1/vulnerabilities: every
// advisory that affects at least one host, most severe and most widespread
// first.
type VulnerabilityList struct {
	Advisories []AdvisoryHosts `json:"advisories"`
	// HostsMatched is how many hosts have findings stored (matched at least
	// once), of Hosts enrolled.
	HostsMatched int `json:"hosts_matched"`
	Hosts        int `json:"hosts"`
}

// AdvisoryHosts is one advisory and the hosts it affects.
type AdvisoryHosts struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases"`
	Summary  string   `json:"summary"`
	Severity string   `json:"severity"`
	Score    *float64 `json:"score"`
	// Fixed lists the distinct fixed versions across hosts ("" when the
	// advisory names no fix).
	Fixed     []string       `json:"fixed"`
	HostCount int            `json:"host_count"`
	HostList  []AffectedHost `json:"hosts"`
}

// AffectedHost is one host an advisory affects, with its affected packages.
type AffectedHost struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Packages []AffectedPackage `json:"packages"`
}

// AffectedPackage is one installed package an advisory affects on a host.
type AffectedPackage struct {
	Package   string `json:"package"`
	Version   string `json:"version"`
	Fixed     string `json:"fixed"`
	Ecosystem string `json:"ecosystem"`
}

func (a *api) hostVulnerabilities(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := a.Store.Host(r.Context(), id); err != nil {
		a.storeError(w, r, err)
		return
	}
	_, doc, err := a.Store.Document(r.Context(), id, DocVulnerabilities)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", "host "+id+" has not been matched yet: it needs an inventory from its agent and an advisory database (vigil vuln db import PATH --data DIR)")
		return
	}
	if err != nil || !json.Valid(doc) {
		a.storeError(w, r, fmt.Errorf("vulnerabilities of host %s: %w", id, cmp.Or(err, errors.New("stored document is not JSON"))))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(doc)
}

func (a *api) vulnerabilities(w http.ResponseWriter, r *http.Request) {
	hosts, err := a.Store.Hosts(r.Context())
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	var per []HostVulnerabilities
	names := map[string]string{}
	for _, h := range hosts {
		_, doc, err := a.Store.Document(r.Context(), h.ID, DocVulnerabilities)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			a.storeError(w, r, err)
			return
		}
		var hv HostVulnerabilities
		if err := json.Unmarshal(doc, &hv); err != nil {
			a.Logger.Warn("stored vulnerabilities unreadable", "host_id", h.ID, "err", err)
			continue
		}
		hv.HostID = h.ID
		names[h.ID] = h.Name
		per = append(per, hv)
	}
	list := AggregateVulnerabilities(per, names)
	list.Hosts = len(hosts)
	writeJSON(w, http.StatusOK, list)
}

// AggregateVulnerabilities groups the findings of several hosts by advisory.
// names maps host ids to display names.
func AggregateVulnerabilities(per []HostVulnerabilities, names map[string]string) VulnerabilityList {
	byID := map[string]*AdvisoryHosts{}
	for _, hv := range per {
		for _, f := range hv.Findings {
			adv := byID[f.ID]
			if adv == nil {
				adv = &AdvisoryHosts{ID: f.ID, Aliases: f.Aliases, Summary: f.Summary, Severity: f.Severity, Score: f.Score}
				byID[f.ID] = adv
			}
			// The most severe rating of any host's entry stands for the advisory.
			if scanreport.SeverityRank(f.Severity) > scanreport.SeverityRank(adv.Severity) {
				adv.Severity, adv.Score = f.Severity, f.Score
			}
			if !slices.Contains(adv.Fixed, f.Fixed) {
				adv.Fixed = append(adv.Fixed, f.Fixed)
			}
			n := len(adv.HostList)
			if n == 0 || adv.HostList[n-1].ID != hv.HostID {
				adv.HostList = append(adv.HostList, AffectedHost{ID: hv.HostID, Name: names[hv.HostID]})
				n++
			}
			h := &adv.HostList[n-1]
			h.Packages = append(h.Packages, AffectedPackage{Package: f.Package, Version: f.Version, Fixed: f.Fixed, Ecosystem: f.Ecosystem})
		}
	}
	out := VulnerabilityList{Advisories: make([]AdvisoryHosts, 0, len(byID)), HostsMatched: len(per)}
	for _, adv := range byID {
		adv.HostCount = len(adv.HostList)
		slices.Sort(adv.Fixed)
		slices.SortFunc(adv.HostList, func(a, b AffectedHost) int { return cmp.Compare(a.ID, b.ID) })
		out.Advisories = append(out.Advisories, *adv)
	}
	slices.SortFunc(out.Advisories, func(a, b AdvisoryHosts) int {
		return cmp.Or(
			cmp.Compare(scanreport.SeverityRank(b.Severity), scanreport.SeverityRank(a.Severity)),
			cmp.Compare(b.HostCount, a.HostCount),
			cmp.Compare(a.ID, b.ID))
	})
	return out
}
