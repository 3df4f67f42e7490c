package store

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one schema migration of a store: a file NNN_name.sql, whose
// number is the schema version it brings the database to.
type Migration struct {
	Version int
	File    string
	SQL     string
}

// Migrations reads the migrations dir/*.sql of fsys (a store's embedded
// files) in the order they apply: by file name, so that the zero-padded
// version numbers sort. A file not named NNN_... is an error.
func Migrations(fsys fs.FS, dir string) ([]Migration, error) {
	files, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(files)
	out := make([]Migration, 0, len(files))
	for _, f := range files {
		v, err := strconv.Atoi(strings.SplitN(path.Base(f), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: bad name: %w", f, err)
		}
		body, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", f, err)
		}
		out = append(out, Migration{Version: v, File: f, SQL: string(body)})
	}
	return out, nil
}
