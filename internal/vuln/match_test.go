package vuln

import (
	"context"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/inventory/packages"
	"github.com/vigil-sec/vigil/internal/inventory/system"
	"github.com/vigil-sec/vigil/internal/vuln/osv"
	"github.com/vigil-sec/vigil/internal/vuln/version"
)

func TestEvalRange(t *testing.T) {
	ev := func(kv ...string) []osv.Event {
		var out []osv.Event
		for i := 0; i < len(kv); i += 2 {
			switch kv[i] {
			case "i":
				out = append(out, osv.Event{Introduced: kv[i+1]})
			case "f":
				out = append(out, osv.Event{Fixed: kv[i+1]})
			case "l":
				out = append(out, osv.Event{LastAffected: kv[i+1]})
			case "L":
				out = append(out, osv.Event{Limit: kv[i+1]})
			}
		}
		return out
	}
	tests := []struct {
		name   string
		events []osv.Event
		ver    string
		want   bool
		fixed  string
	}{
		{"below fix", ev("i", "0", "f", "1.2-1"), "1.1-1", true, "1.2-1"},
		{"at fix", ev("i", "0", "f", "1.2-1"), "1.2-1", false, ""},
		{"above fix", ev("i", "0", "f", "1.2-1"), "1.2-1+deb12u1", false, ""},
		{"tilde before fix", ev("i", "0", "f", "1.2-1"), "1.2-1~bpo1", true, "1.2-1"},
		{"epoch beats", ev("i", "0", "f", "1:1.0-1"), "2.0-1", true, "1:1.0-1"},
		{"before introduced", ev("i", "2.0-1", "f", "2.5-1"), "1.9-1", false, ""},
		{"at introduced", ev("i", "2.0-1", "f", "2.5-1"), "2.0-1", true, "2.5-1"},
		{"no fix", ev("i", "0"), "9.9-9", true, ""},
		{"last affected equal", ev("i", "0", "l", "1.5-1"), "1.5-1", true, ""},
		{"last affected above", ev("i", "0", "l", "1.5-1"), "1.5-2", false, ""},
		{"limit below", ev("i", "0", "L", "2.0-1"), "1.0-1", true, ""},
		{"limit above", ev("i", "0", "L", "2.0-1"), "2.0-1", false, ""},
		{"two intervals gap", ev("i", "0", "f", "1.0-1", "i", "2.0-1", "f", "2.2-1"), "1.5-1", false, ""},
		{"two intervals second", ev("i", "0", "f", "1.0-1", "i", "2.0-1", "f", "2.2-1"), "2.1-1", true, "2.2-1"},
		{"unsorted events", ev("f", "2.2-1", "i", "2.0-1", "f", "1.0-1", "i", "0"), "2.1-1", true, "2.2-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, ok := evalRange(version.CompareDpkg, tt.ver, tt.events)
			if ok != tt.want || res.fixed != tt.fixed {
				t.Errorf("evalRange(%s) = %v %+v, want %v fixed %q", tt.ver, ok, res, tt.want, tt.fixed)
			}
		})
	}
}

func TestEcosystems(t *testing.T) {
	tests := []struct {
		id, ver string
		want    string
	}{
		{"debian", "12", "Debian:12"},
		{"ubuntu", "22.04", "Ubuntu:22.04 Ubuntu:Pro:22.04"},
		{"ubuntu", "18.04", "Ubuntu:18.04 Ubuntu:Pro:18.04"},
		{"ubuntu", "23.10", "Ubuntu:23.10"},
		{"almalinux", "9.4", "AlmaLinux:9"},
		{"rocky", "8.10", "Rocky Linux:8"},
		{"rhel", "9.2", "Red Hat:enterprise_linux:9"},
		{"alpine", "3.19.1", "Alpine:v3.19"},
		{"fedora", "40", ""},
		{"debian", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.id+tt.ver, func(t *testing.T) {
			got := strings.Join(Ecosystems(system.OS{ID: tt.id, VersionID: tt.ver}), " ")
			if got != tt.want {
				t.Errorf("Ecosystems(%s %s) = %q, want %q", tt.id, tt.ver, got, tt.want)
			}
		})
	}
}

func loadTestIndex(t *testing.T) *Index {
	t.Helper()
	idx := NewIndex()
	if _, err := osv.Load(context.Background(), "osv/testdata/advisories", func(a *osv.Advisory) error {
		idx.Add(a)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return idx
}

func TestMatch(t *testing.T) {
	idx := loadTestIndex(t)
	if idx.Withdrawn() != 1 {
		t.Errorf("withdrawn %d, want 1", idx.Withdrawn())
	}
	deb := func(name, src, ver string) packages.Package {
		return packages.Package{Name: name, Source: src, Version: ver, SourceVersion: ver, Type: packages.TypeDeb}
	}
	rpm := func(name, src, ver string) packages.Package {
		return packages.Package{Name: name, Source: src, Version: ver, SourceVersion: ver, Type: packages.TypeRPM}
	}
	apk := func(name, src, ver string) packages.Package {
		return packages.Package{Name: name, Source: src, Version: ver, SourceVersion: ver, Type: packages.TypeAPK}
	}
	tests := []struct {
		name string
		os   system.OS
		pkgs []packages.Package
		want []string // "package id ecosystem fixed severity"
	}{
		{"debian binary via source", system.OS{ID: "debian", VersionID: "12"},
			[]packages.Package{deb("libexample1", "example", "1:2.3-4"), deb("example-doc", "example", "1:2.4-1+deb12u1")},
			[]string{"libexample1 VIGIL-TEST-DEB-1 Debian:12 1:2.4-1+deb12u1 critical"}},
		{"debian 11 before introduced", system.OS{ID: "debian", VersionID: "11"},
			[]packages.Package{deb("libexample1", "example", "1:1.9-1"), deb("example", "", "1:2.0-3~deb11u1")},
			[]string{"example VIGIL-TEST-DEB-1 Debian:11 1:2.0-3~deb11u2 critical"}},
		{"ubuntu listed and ranged", system.OS{ID: "ubuntu", VersionID: "22.04"},
			[]packages.Package{deb("exampletool-bin", "exampletool", "3.1-2ubuntu0.2"), deb("other", "exampletool", "3.1-2ubuntu0.3")},
			[]string{"exampletool-bin VIGIL-TEST-UBU-1 Ubuntu:22.04:LTS 3.1-2ubuntu0.3 medium"}},
		{"ubuntu pro only", system.OS{ID: "ubuntu", VersionID: "18.04"},
			[]packages.Package{deb("exampletool", "", "2.9-1ubuntu0.1")},
			[]string{"exampletool VIGIL-TEST-UBU-1 Ubuntu:Pro:18.04:LTS  high"}},
		{"alma binary name", system.OS{ID: "almalinux", VersionID: "9.4"},
			[]packages.Package{rpm("rpmexample-libs", "rpmexample", "1:1.2-2.el9"), rpm("rpmexample", "rpmexample", "1:1.2-2.el9")},
			[]string{"rpmexample-libs VIGIL-TEST-RPM-1 AlmaLinux:9 1:1.2-3.el9_4 high"}},
		{"rhel last_affected", system.OS{ID: "rhel", VersionID: "9.3"},
			[]packages.Package{rpm("rpmexample", "rpmexample", "1.1-2.el9"), rpm("rpmexample-libs", "rpmexample", "1.1-2.el9")},
			[]string{"rpmexample VIGIL-TEST-RPM-1 Red Hat:enterprise_linux:9::baseos  high",
				"rpmexample-libs VIGIL-TEST-RPM-1 Red Hat:enterprise_linux:9::baseos  high"}},
		{"rocky limit", system.OS{ID: "rocky", VersionID: "9.3"},
			[]packages.Package{rpm("rpmexample", "rpmexample", "1.6-1.el9")}, nil},
		{"alpine", system.OS{ID: "alpine", VersionID: "3.19.1"},
			[]packages.Package{apk("apkexample", "apkexample", "1.2.3-r0"), apk("apkexample-dev", "apkexample", "1.2.3_p1-r0")},
			[]string{"apkexample VIGIL-TEST-APK-1 Alpine:v3.19 1.2.3_p1-r0 high"}},
		{"deb package on alpine ignored", system.OS{ID: "alpine", VersionID: "3.19.1"},
			[]packages.Package{deb("apkexample", "", "1.0-1")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := Match(idx, Ecosystems(tt.os), tt.pkgs)
			var got []string
			for _, f := range fs {
				got = append(got, strings.Join([]string{f.Package, f.ID, f.Ecosystem, f.Fixed, f.Severity}, " "))
				if f.Why == "" || f.Remediation == "" {
					t.Errorf("%s %s: no why or remediation", f.Package, f.ID)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
