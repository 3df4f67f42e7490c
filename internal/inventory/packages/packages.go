// Package packages lists the software packages installed on a host from the
// package managers' own databases: dpkg (/var/lib/dpkg/status and status.d),
// rpm (the SQLite rpmdb of RHEL 9, Fedora and SUSE, or the BerkeleyDB Packages
// file of RHEL 7 and 8) and apk (/lib/apk/db/installed).
//
// Collect finds the databases through a hostfs.Root, so it runs unchanged on the
// live host and on fixture trees; the record formats are decoded by the pure
// parsers of package pkgdb, and damaged records are skipped and reported in a
// skipped.List rather than failing the inventory.
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

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory/packages/pkgdb"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// Package is one installed binary package.
type Package = pkgdb.Package

// Package types, as found in Package.Type.
const (
	TypeDeb = pkgdb.TypeDeb
	TypeRPM = pkgdb.TypeRPM
	TypeAPK = pkgdb.TypeAPK
)

// Database locations, as host paths.
const (
	DpkgStatusPath   = "/var/lib/dpkg/status"
	DpkgStatusDPath  = "/var/lib/dpkg/status.d"
	ApkInstalledPath = "/lib/apk/db/installed"
)

// rpmSQLitePaths are the places where rpm keeps its SQLite database: RHEL 9 and
// its rebuilds use /var/lib/rpm, Fedora 36+ and openSUSE /usr/lib/sysimage/rpm
// (with /var/lib/rpm often a link to it).
var rpmSQLitePaths = []string{"/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite"}

// rpmBerkeleyDBPath is the BerkeleyDB database of rpm up to 4.15 (RHEL 7 and 8).
const rpmBerkeleyDBPath = "/var/lib/rpm/Packages"

// rpmNDBPaths are rpm's NDB databases (SUSE), which Collect does not read.
var rpmNDBPaths = []string{"/var/lib/rpm/Packages.db", "/usr/lib/sysimage/rpm/Packages.db"}

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
	p, err := parseHostFile(root, DpkgStatusPath, skip, pkgdb.ParseDpkgStatus)
	if err != nil {
		return nil, err
	}
	pkgs = append(pkgs, p...)
	// Distroless images keep one stanza file per package in status.d.
	ents, err := root.ReadDir(DpkgStatusDPath)
	if errors.Is(err, fs.ErrNotExist) {
		return pkgs, nil
	}
	if err != nil {
		return pkgs, fmt.Errorf("list package database: %w", err)
	}
	for _, e := range ents {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !e.Type().IsRegular() || strings.HasSuffix(e.Name(), ".md5sums") {
			continue
		}
		p, err := parseHostFile(root, DpkgStatusDPath+"/"+e.Name(), skip, pkgdb.ParseDpkgStatus)
		if err != nil {
			return pkgs, err
		}
		pkgs = append(pkgs, p...)
	}
	return pkgs, nil
}

func collectApk(_ context.Context, root hostfs.Root, skip *skipped.List) ([]Package, error) {
	return parseHostFile(root, ApkInstalledPath, skip, pkgdb.ParseApkInstalled)
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
