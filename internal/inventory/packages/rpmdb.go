package packages

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory/packages/pkgdb"
	"github.com/vigil-sec/vigil/internal/skipped"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

func collectRPM(ctx context.Context, root hostfs.Root, skip *skipped.List) ([]Package, error) {
	var pkgs []Package
	dbs := rpmSQLiteDBs(root)
	for _, db := range dbs {
		p, s, err := ReadRPMSQLite(ctx, db.real, db.name)
		*skip = append(*skip, s...)
		if err != nil {
			return pkgs, err
		}
		pkgs = append(pkgs, p...)
	}
	if len(dbs) > 0 {
		return pkgs, nil
	}
	if p, ok, err := collectRPMBerkeleyDB(root, rpmBerkeleyDBPath, skip); ok {
		return p, err
	}
	for _, name := range rpmNDBPaths {
		fi, err := root.Stat(name)
		if err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
			return nil, fmt.Errorf("rpm database %s: %w (NDB; only the SQLite and BerkeleyDB databases are read)", name, ErrUnsupportedDB)
		}
	}
	return nil, nil
}

// rpmSQLiteDB is an rpm SQLite database: its real path and its host path.
type rpmSQLiteDB struct{ real, name string }

// rpmSQLiteDBs finds the rpm SQLite databases under root, each once.
func rpmSQLiteDBs(root hostfs.Root) []rpmSQLiteDB {
	seen := map[string]bool{}
	var dbs []rpmSQLiteDB
	for _, name := range rpmSQLitePaths {
		real, err := root.Resolve(name)
		if err != nil || seen[real] {
			continue
		}
		fi, err := os.Stat(real)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		seen[real] = true
		dbs = append(dbs, rpmSQLiteDB{real: real, name: name})
	}
	return dbs
}

// collectRPMBerkeleyDB reads rpm's BerkeleyDB Packages file; ok is false when
// there is none.
func collectRPMBerkeleyDB(root hostfs.Root, name string, skip *skipped.List) (pkgs []Package, ok bool, err error) {
	f, err := root.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, fmt.Errorf("open rpm database: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, true, fmt.Errorf("rpm database %s: %w", name, err)
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 {
		return nil, false, nil
	}
	p, s, err := pkgdb.ParseRPMBerkeleyDB(f, fi.Size(), name)
	*skip = append(*skip, s...)
	if err != nil {
		return p, true, fmt.Errorf("rpm database %s: %w", name, err)
	}
	return p, true, nil
}

// ReadRPMSQLite reads the package headers of an rpm SQLite database at path (a
// real file path; file names the host path used in records and errors). The
// database is opened read-only; when no write-ahead log sits beside it, it is
// opened as immutable, so SQLite neither locks it nor creates -wal/-shm files.
// Headers that do not decode are skipped and recorded.
func ReadRPMSQLite(ctx context.Context, path, file string) ([]Package, skipped.List, error) {
	var pkgs []Package
	skip, err := eachRPMSQLiteHeader(ctx, path, file, func(hnum int64, blob []byte, skip *skipped.List) bool {
		p, err := pkgdb.ParseRPMHeader(blob)
		if err != nil {
			skip.Add(file, 0, "header %d: %v", hnum, err)
			return true
		}
		if len(pkgs) >= pkgdb.MaxPackages {
			skip.Add(file, 0, "more than %d packages, rest ignored", pkgdb.MaxPackages)
			return false
		}
		pkgs = append(pkgs, p)
		return true
	})
	return pkgs, skip, err
}

// eachRPMSQLiteHeader calls fn with every header blob (up to
// pkgdb.MaxRPMHeader bytes; larger ones are skipped and recorded) of the rpm
// SQLite database at path, in hnum order, until fn returns false.
func eachRPMSQLiteHeader(ctx context.Context, path, file string, fn func(hnum int64, blob []byte, skip *skipped.List) bool) (skipped.List, error) {
	dsn, err := rpmDSN(path)
	if err != nil {
		return nil, fmt.Errorf("open rpm database %s: %w", file, err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open rpm database %s: %w", file, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx,
		`SELECT hnum, CASE WHEN length(blob) <= ? THEN blob END, length(blob) FROM Packages ORDER BY hnum`, pkgdb.MaxRPMHeader)
	if err != nil {
		return nil, fmt.Errorf("query rpm database %s: %w", file, err)
	}
	defer rows.Close()
	var skip skipped.List
	for rows.Next() {
		var (
			hnum int64
			blob []byte
			size int64
		)
		if err := rows.Scan(&hnum, &blob, &size); err != nil {
			return skip, fmt.Errorf("read rpm database %s: %w", file, err)
		}
		if blob == nil {
			skip.Add(file, 0, "header %d: %d bytes, larger than %d", hnum, size, pkgdb.MaxRPMHeader)
			continue
		}
		if !fn(hnum, blob, &skip) {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return skip, fmt.Errorf("read rpm database %s: %w", file, err)
	}
	return skip, nil
}

// rpmDSN builds the read-only connection string for path.
func rpmDSN(path string) (string, error) {
	path, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	q := url.Values{}
	q.Set("mode", "ro")
	// A live rpm may have committed transactions still in the WAL; reading them
	// needs the (existing) -wal and -shm files. Without them the file is
	// complete and immutable=1 stops SQLite from creating anything.
	if !exists(path+"-wal") || !exists(path+"-shm") {
		q.Set("immutable", "1")
	}
	q.Add("_pragma", "query_only(1)")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	return u.String(), nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return !errors.Is(err, fs.ErrNotExist)
}
