package osv

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// LoadStats counts what a load read and what it had to skip.
type LoadStats struct {
	Files   int          // JSON records read
	Loaded  int          // advisories handed to the callback
	Skipped skipped.List // records rejected, each with its file and reason
}

// maxArchiveEntries bounds the number of records read from one zip archive.
const maxArchiveEntries = 2_000_000

// Load reads OSV advisories from path — a JSON file, a zip archive as
// published by osv.dev (<ecosystem>/all.zip), or a directory searched
// recursively for both — and hands each valid advisory to fn in file order.
// Malformed records are recorded in the stats and skipped; Load fails only
// when path cannot be read at all, when ctx is done, or when fn fails.
func Load(ctx context.Context, path string, fn func(*Advisory) error) (LoadStats, error) {
	var st LoadStats
	fi, err := os.Stat(path)
	if err != nil {
		return st, fmt.Errorf("advisories: %w", err)
	}
	if !fi.IsDir() {
		return st, loadFile(ctx, path, &st, fn)
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			st.Skipped.Add(p, 0, "cannot read: %v", err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !isAdvisoryFile(p) {
			return nil
		}
		return loadFile(ctx, p, &st, fn)
	})
	return st, err
}

func isAdvisoryFile(p string) bool {
	ext := strings.ToLower(filepath.Ext(p))
	return ext == ".json" || ext == ".zip"
}

func loadFile(ctx context.Context, path string, st *LoadStats, fn func(*Advisory) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if strings.EqualFold(filepath.Ext(path), ".zip") {
		return loadZip(ctx, path, st, fn)
	}
	f, err := os.Open(path)
	if err != nil {
		st.Skipped.Add(path, 0, "cannot read: %v", err)
		return nil
	}
	defer f.Close()
	return loadRecord(f, path, st, fn)
}

func loadZip(ctx context.Context, path string, st *LoadStats, fn func(*Advisory) error) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		st.Skipped.Add(path, 0, "cannot read zip archive: %v", err)
		return nil
	}
	defer zr.Close()
	for i, zf := range zr.File {
		if i >= maxArchiveEntries {
			st.Skipped.Add(path, 0, "more than %d entries; the rest is ignored", maxArchiveEntries)
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if zf.FileInfo().IsDir() || !strings.EqualFold(filepath.Ext(zf.Name), ".json") {
			continue
		}
		name := path + "!" + zf.Name
		rc, err := zf.Open()
		if err != nil {
			st.Skipped.Add(name, 0, "cannot read: %v", err)
			continue
		}
		err = loadRecord(rc, name, st, fn)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// loadRecord decodes one record; only fn's error is returned.
func loadRecord(r io.Reader, name string, st *LoadStats, fn func(*Advisory) error) error {
	st.Files++
	data, err := io.ReadAll(io.LimitReader(r, MaxRecordSize+1))
	if err != nil {
		st.Skipped.Add(name, 0, "cannot read: %v", err)
		return nil
	}
	a, err := Decode(data)
	if err != nil {
		st.Skipped.Add(name, 0, "%s", strings.TrimPrefix(err.Error(), ErrMalformed.Error()+": "))
		return nil
	}
	if err := fn(a); err != nil {
		return fmt.Errorf("advisory %s from %s: %w", a.ID, name, err)
	}
	st.Loaded++
	return nil
}
