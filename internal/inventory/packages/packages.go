// Package packages lists the software packages installed on a host from the
// package managers' own databases: dpkg (/var/lib/dpkg/status), rpm (the SQLite
// rpmdb of RHEL 9, Fedora and SUSE) and apk (/lib/apk/db/installed).
//
// The parsers are pure functions over the database bytes. They never fail a whole
// database because of one damaged record: they skip it, record it in a
// skipped.List and go on. Collect reads the databases of a host through a
// hostfs.Root, so it runs unchanged on the live host and on fixture trees.
package packages

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// Package types, as found in Package.Type.
const (
	TypeDeb = "deb"
	TypeRPM = "rpm"
	TypeAPK = "apk"
)

// Package is one installed binary package.
type Package struct {
	Name string `json:"name"`
	// Version is the full version as the package manager prints and compares it:
	// dpkg "[epoch:]upstream[-revision]", rpm "[epoch:]version-release" (the
	// epoch only when it is set), apk "version-rN".
	Version string `json:"version"`
	// Epoch is the numeric epoch (0 when absent); it is also part of Version.
	Epoch        int    `json:"epoch,omitempty"`
	Architecture string `json:"arch,omitempty"`
	// Source is the source package the binary was built from (dpkg Source:, the
	// name part of rpm SOURCERPM, apk origin). It is the package's own name when
	// the database names no other source. Security advisories are keyed by it.
	Source string `json:"source"`
	// SourceVersion is the version of the source package, in the same form as
	// Version. It differs from Version for dpkg binNMUs ("+b1") and
	// "Source: name (version)" fields.
	SourceVersion string `json:"source_version"`
	Type          string `json:"type"`
	// Maintainer is the dpkg/apk maintainer; Vendor the rpm vendor.
	Maintainer string `json:"maintainer,omitempty"`
	Vendor     string `json:"vendor,omitempty"`
	// InstalledSize is in bytes (dpkg's Installed-Size KiB are converted).
	InstalledSize int64 `json:"installed_size,omitempty"`
	// InstallTime is when rpm installed the package; BuildTime when it was
	// built (rpm, apk). Zero when unknown.
	InstallTime time.Time `json:"install_time,omitzero"`
	BuildTime   time.Time `json:"build_time,omitzero"`
}

// Database locations, as host paths.
const (
	DpkgStatusPath   = "/var/lib/dpkg/status"
	DpkgStatusDPath  = "/var/lib/dpkg/status.d"
	ApkInstalledPath = "/lib/apk/db/installed"
)

// RPMSQLitePaths are the places where rpm keeps its SQLite database: RHEL 9 and
// its rebuilds use /var/lib/rpm, Fedora 36+ and openSUSE /usr/lib/sysimage/rpm
// (with /var/lib/rpm often a link to it).
var rpmSQLitePaths = []string{"/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite"}

// rpmLegacyPaths are the BerkeleyDB (RHEL 7/8) and NDB (SUSE) databases, which
// Collect does not read.
var rpmLegacyPaths = []string{"/var/lib/rpm/Packages", "/var/lib/rpm/Packages.db", "/usr/lib/sysimage/rpm/Packages.db"}

// ErrUnsupportedDB reports a package database in a format Collect cannot read.
var ErrUnsupportedDB = errors.New("unsupported package database format")

// Collect returns the installed packages of every package database found under
// root, sorted by type, name, architecture and version, with the records it had
// to skip. A database that does not exist is not an error; one that exists but
// cannot be read at all is, and Collect still returns what the others yielded.
func Collect(ctx context.Context, root hostfs.Root) ([]Package, skipped.List, error) {
	var (
		pkgs []Package
		skip skipped.List
		errs []error
	)
	for _, c := range []func(context.Context, hostfs.Root, *skipped.List) ([]Package, error){collectDpkg, collectRPM, collectApk} {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		p, err := c(ctx, root, &skip)
		if err != nil {
			errs = append(errs, err)
		}
		pkgs = append(pkgs, p...)
	}
	slices.SortStableFunc(pkgs, func(a, b Package) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Architecture, b.Architecture), cmp.Compare(a.Version, b.Version))
	})
	return pkgs, skip, errors.Join(errs...)
}

func collectDpkg(ctx context.Context, root hostfs.Root, skip *skipped.List) ([]Package, error) {
	var pkgs []Package
	p, err := parseHostFile(root, DpkgStatusPath, skip, ParseDpkgStatus)
	if err != nil {
		return nil, err
	}
	pkgs = append(pkgs, p...)
	// Distroless images keep one stanza file per package in status.d.
	ents, err := root.ReadDir(DpkgStatusDPath)
	if err != nil {
		return pkgs, nil
	}
	for _, e := range ents {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !e.Type().IsRegular() || strings.HasSuffix(e.Name(), ".md5sums") {
			continue
		}
		p, err := parseHostFile(root, DpkgStatusDPath+"/"+e.Name(), skip, ParseDpkgStatus)
		if err != nil {
			return pkgs, err
		}
		pkgs = append(pkgs, p...)
	}
	return pkgs, nil
}

func collectApk(_ context.Context, root hostfs.Root, skip *skipped.List) ([]Package, error) {
	return parseHostFile(root, ApkInstalledPath, skip, ParseApkInstalled)
}

// parseHostFile opens a database file and runs a parser over it; a missing file
// yields nothing.
func parseHostFile(root hostfs.Root, name string, skip *skipped.List,
	parse func(r io.Reader, file string) ([]Package, skipped.List, error)) ([]Package, error) {
	f, err := root.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open package database: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, nil
	}
	p, s, err := parse(f, name)
	*skip = append(*skip, s...)
	if err != nil {
		return p, fmt.Errorf("read package database %s: %w", name, err)
	}
	return p, nil
}
