package packages

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory/packages/pkgdb"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// DpkgInfoPath holds dpkg's per-package file lists (<pkg>.list, or
// <pkg>:<arch>.list for Multi-Arch: same packages).
const DpkgInfoPath = "/var/lib/dpkg/info"

// usrMergeDirs are the top directories that merged-/usr systems turn into
// links to their /usr counterparts.
var usrMergeDirs = []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"}

// OwnedFiles returns the paths that the installed packages own, read from
// dpkg's file lists, apk's installed database and the file lists in rpm's
// package headers (SQLite or BerkeleyDB), with the records it had to skip. On a
// merged-/usr host (/bin a link to usr/bin, and likewise /sbin and /lib*), a
// path under those directories and its /usr name are the same entry.
//
// A database that does not exist is not an error: a host without any gives an
// empty set (Len 0, no Sources). One that exists but cannot be read is, and
// OwnedFiles still returns what the others yielded. The error is ctx's when
// it is canceled.
func OwnedFiles(ctx context.Context, root hostfs.Root) (*FileSet, skipped.List, error) {
	b := newFileSetBuilder(usrAliases(root))
	var (
		skip    skipped.List
		errs    []error
		sources []string
	)
	for _, c := range []func(context.Context, hostfs.Root, *fileSetBuilder, *skipped.List) ([]string, error){ownedDpkg, ownedApk, ownedRPM} {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		src, err := c(ctx, root, b, &skip)
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if err != nil {
			errs = append(errs, err)
		}
		sources = append(sources, src...)
	}
	if b.full {
		skip.Add("", 0, "more than %d package paths or %d bytes of names, rest ignored", maxOwnedPaths, maxNameBytes)
	}
	s := b.build()
	s.sources = sources
	return s, skip, errors.Join(errs...)
}

// usrAliases returns the top directories that are links to their /usr
// counterparts ("/bin" when /bin -> usr/bin).
func usrAliases(root hostfs.Root) []string {
	var out []string
	for _, d := range usrMergeDirs {
		target, err := root.Readlink("/" + d)
		if err != nil {
			continue
		}
		if !path.IsAbs(target) {
			target = "/" + target
		}
		if path.Clean(target) == "/usr/"+d {
			out = append(out, "/"+d)
		}
	}
	return out
}

// dpkgListPackage returns the package of a dpkg file list name, or "" when name
// is not a file list.
func dpkgListPackage(name string) string {
	base, ok := strings.CutSuffix(name, ".list")
	if !ok {
		return ""
	}
	pkg, _, _ := strings.Cut(base, ":")
	return pkg
}

func ownedDpkg(ctx context.Context, root hostfs.Root, b *fileSetBuilder, skip *skipped.List) ([]string, error) {
	ents, err := root.ReadDir(DpkgInfoPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list dpkg file lists: %w", err)
	}
	found := false
	var errs []error
	for _, e := range ents {
		pkg := dpkgListPackage(e.Name())
		if pkg == "" || !e.Type().IsRegular() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		found = true
		name := DpkgInfoPath + "/" + e.Name()
		if err := readDpkgList(root, name, pkg, b, skip); err != nil {
			errs = append(errs, err)
		}
	}
	if !found {
		return nil, errors.Join(errs...)
	}
	return []string{DpkgInfoPath}, errors.Join(errs...)
}

func readDpkgList(root hostfs.Root, name, pkg string, b *fileSetBuilder, skip *skipped.List) error {
	f, err := root.Open(name)
	if err != nil {
		return fmt.Errorf("open dpkg file list: %w", err)
	}
	defer f.Close()
	s, err := pkgdb.ParseDpkgList(f, name, func(p []byte) { b.add(pkg, p) })
	*skip = append(*skip, s...)
	if err != nil {
		return fmt.Errorf("read dpkg file list %s: %w", name, err)
	}
	return nil
}

func ownedApk(_ context.Context, root hostfs.Root, b *fileSetBuilder, skip *skipped.List) ([]string, error) {
	f, err := root.Open(ApkInstalledPath)
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
	s, err := pkgdb.ParseApkFiles(f, ApkInstalledPath, func(pkg string, p []byte) { b.add(pkg, p) })
	*skip = append(*skip, s...)
	if err != nil {
		return nil, fmt.Errorf("read package database %s: %w", ApkInstalledPath, err)
	}
	return []string{ApkInstalledPath}, nil
}

func ownedRPM(ctx context.Context, root hostfs.Root, b *fileSetBuilder, skip *skipped.List) ([]string, error) {
	dbs := rpmSQLiteDBs(root)
	var sources []string
	for _, db := range dbs {
		s, err := eachRPMSQLiteHeader(ctx, db.real, db.name, func(hnum int64, blob []byte, skip *skipped.List) bool {
			if _, err := pkgdb.ParseRPMFiles(blob, b.addRPM); err != nil {
				skip.Add(db.name, 0, "header %d: %v", hnum, err)
			}
			return true
		})
		*skip = append(*skip, s...)
		if err != nil {
			return sources, err
		}
		sources = append(sources, db.name)
	}
	if len(dbs) > 0 {
		return sources, nil
	}
	f, err := root.Open(rpmBerkeleyDBPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open rpm database: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
		return nil, nil
	}
	s, err := pkgdb.EachRPMBerkeleyDBHeader(f, fi.Size(), rpmBerkeleyDBPath, func(pg uint32, blob []byte, skip *skipped.List) {
		if _, err := pkgdb.ParseRPMFiles(blob, b.addRPM); err != nil {
			skip.Add(rpmBerkeleyDBPath, 0, "page %d: %v", pg, err)
		}
	})
	*skip = append(*skip, s...)
	if err != nil {
		return nil, fmt.Errorf("rpm database %s: %w", rpmBerkeleyDBPath, err)
	}
	return []string{rpmBerkeleyDBPath}, nil
}

// addRPM adds a path emitted by pkgdb.ParseRPMFiles.
func (b *fileSetBuilder) addRPM(pkg string, p []byte) { b.add(pkg, p) }
