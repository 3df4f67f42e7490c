package store_test

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/vigil-sec/vigil/internal/store"
)

func TestMigrations(t *testing.T) {
	fsys := fstest.MapFS{
		"migrations/002_alerts.sql": {Data: []byte("CREATE TABLE alerts (id TEXT);")},
		"migrations/010_late.sql":   {Data: []byte("-- ten")},
		"migrations/001_init.sql":   {Data: []byte("CREATE TABLE events (id TEXT);")},
		"migrations/README.md":      {Data: []byte("not a migration")},
		"other/003_elsewhere.sql":   {Data: []byte("-- another folder")},
	}
	got, err := store.Migrations(fsys, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Migration{
		{Version: 1, File: "migrations/001_init.sql", SQL: "CREATE TABLE events (id TEXT);"},
		{Version: 2, File: "migrations/002_alerts.sql", SQL: "CREATE TABLE alerts (id TEXT);"},
		{Version: 10, File: "migrations/010_late.sql", SQL: "-- ten"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Migrations:\n got %+v\nwant %+v", got, want)
	}

	if got, err := store.Migrations(fstest.MapFS{}, "migrations"); err != nil || len(got) != 0 {
		t.Errorf("no migrations: %+v, %v", got, err)
	}

	fsys["migrations/init.sql"] = &fstest.MapFile{Data: []byte("-- no version")}
	if _, err := store.Migrations(fsys, "migrations"); err == nil || !strings.Contains(err.Error(), "migration migrations/init.sql: bad name") {
		t.Errorf("unnumbered file: err = %v", err)
	}
}
