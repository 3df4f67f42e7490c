package vuln

import (
	"context"
	"fmt"
	"strings"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory/packages"
	"github.com/vigil-sec/vigil/internal/inventory/system"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// Ecosystems returns the ecosystem keys (osv.Ecosystem.Key) whose advisories
// apply to a host with this os-release, in matching order, or nil when vigil
// knows no advisories for the distribution:
//
//	ID=debian VERSION_ID=N           Debian:N
//	ID=ubuntu VERSION_ID=X.Y         Ubuntu:X.Y (also spelled Ubuntu:X.Y:LTS),
//	                                 then Ubuntu:Pro:X.Y (Ubuntu:Pro:X.Y:LTS) for LTS releases
//	ID=almalinux VERSION_ID=N.M      AlmaLinux:N
//	ID=rocky VERSION_ID=N.M          Rocky Linux:N
//	ID=rhel VERSION_ID=N.M           Red Hat:enterprise_linux:N (every ::repository)
//	ID=alpine VERSION_ID=X.Y.Z       Alpine:vX.Y
//
// Ubuntu Pro advisories apply to a plain LTS host too: a package whose fix
// exists only in Ubuntu Pro is still vulnerable on it.
func Ecosystems(o system.OS) []string {
	major, _, _ := strings.Cut(o.VersionID, ".")
	if o.VersionID == "" || !allDigits(major) {
		return nil
	}
	switch o.ID {
	case "debian":
		return []string{"Debian:" + major}
	case "ubuntu":
		keys := []string{"Ubuntu:" + o.VersionID}
		if isUbuntuLTS(o.VersionID) {
			keys = append(keys, "Ubuntu:Pro:"+o.VersionID)
		}
		return keys
	case "almalinux":
		return []string{"AlmaLinux:" + major}
	case "rocky":
		return []string{"Rocky Linux:" + major}
	case "rhel":
		return []string{"Red Hat:enterprise_linux:" + major}
	case "alpine":
		parts := strings.SplitN(o.VersionID, ".", 3)
		if len(parts) < 2 {
			return nil
		}
		return []string{"Alpine:v" + parts[0] + "." + parts[1]}
	}
	return nil
}

// isUbuntuLTS reports whether an Ubuntu release is an LTS one: April
// releases of even years since 6.06.
func isUbuntuLTS(v string) bool {
	y, m, ok := strings.Cut(v, ".")
	if !ok || !allDigits(y) || len(y) != 2 {
		return false
	}
	return m == "04" && (y[1]-'0')%2 == 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Host is what matching needs to know about a host.
type Host struct {
	Hostname string
	OS       system.OS
	Root     string
	Packages []packages.Package
	Skipped  skipped.List
}

// CollectHost reads the host's os-release and installed packages under root.
func CollectHost(ctx context.Context, root hostfs.Root) (*Host, error) {
	sys, skip, err := system.Collect(ctx, root)
	if err != nil {
		return nil, fmt.Errorf("host facts: %w", err)
	}
	pkgs, pskip, err := packages.Collect(ctx, root)
	if err != nil && len(pkgs) == 0 {
		return nil, fmt.Errorf("installed packages: %w", err)
	}
	h := &Host{Hostname: sys.Hostname, OS: sys.OS, Root: root.Dir(), Packages: pkgs}
	h.Skipped = append(append(h.Skipped, skip...), pskip...)
	if err != nil {
		h.Skipped.Add("packages", 0, "%v", err)
	}
	return h, nil
}

// Source provides the advisory index for a host: the entries under the
// given ecosystem keys for the given package names. *Index is a Source
// (itself); package vulndb's database is another.
type Source interface {
	Index(ctx context.Context, keys, names []string) (*Index, error)
}

// Index returns x itself: an in-memory index already holds everything.
func (x *Index) Index(context.Context, []string, []string) (*Index, error) { return x, nil }

// Scan matches the host's packages against the advisories of src.
func Scan(ctx context.Context, h *Host, src Source) (*Report, error) {
	keys := Ecosystems(h.OS)
	names := make([]string, 0, 2*len(h.Packages))
	for i := range h.Packages {
		n, _ := lookupNames(&h.Packages[i])
		names = append(names, n...)
	}
	idx, err := src.Index(ctx, keys, names)
	if err != nil {
		return nil, fmt.Errorf("advisories: %w", err)
	}
	r := &Report{
		Host: ReportHost{
			Hostname: h.Hostname, OS: h.OS.PrettyName, ID: h.OS.ID, VersionID: h.OS.VersionID,
			Root: h.Root, Packages: len(h.Packages),
		},
		Ecosystems: keys,
		Findings:   Match(idx, keys, h.Packages),
		Skipped:    h.Skipped,
	}
	if r.Ecosystems == nil {
		r.Ecosystems = []string{}
		r.Notes = append(r.Notes, fmt.Sprintf("no advisory ecosystem is known for %s (ID=%s VERSION_ID=%s); nothing was matched",
			h.OS.PrettyName, h.OS.ID, h.OS.VersionID))
	}
	r.summarize(idx.Advisories())
	return r, nil
}
