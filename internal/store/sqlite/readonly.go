package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// ReadOnly opens the event files of the store at file for reading only:
// the first event file with every other shard's attached (schemas main,
// s1, s2, … as returned), on connections where vigil_doc(doc) expands the
// stored documents. It is for tests and tools that look into a store beside
// the server using it; it changes nothing and starts nothing. It loads the
// document dictionaries the files hold when it is called: documents packed
// with a dictionary made later fail to expand until it is called again.
func ReadOnly(file string) (*sql.DB, []string, error) {
	if _, err := os.Stat(file); err != nil {
		return nil, nil, fmt.Errorf("open sqlite store read-only: %w", err)
	}
	schemas := []string{evSchema(0)}
	var attach []attachment
	for k := 1; k < maxShards; k++ {
		f := shardFile(file, k)
		if _, err := os.Stat(f); errors.Is(err, os.ErrNotExist) {
			break
		} else if err != nil {
			return nil, nil, fmt.Errorf("open sqlite store read-only: %w", err)
		}
		attach = append(attach, attachment{f, evSchema(k)})
		schemas = append(schemas, evSchema(k))
	}
	db := openDB(dsn(file, "NORMAL", readOnly, defaultCheckpoint), attach...)
	for _, schema := range schemas {
		if err := loadDictsFrom(db, schema); err != nil {
			db.Close()
			return nil, nil, fmt.Errorf("open sqlite store read-only: %w", err)
		}
	}
	return db, schemas, nil
}

// loadDictsFrom registers the document dictionaries of one event file (none
// before migration 005).
func loadDictsFrom(db *sql.DB, schema string) error {
	ctx := context.Background()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+schema+".sqlite_master WHERE type = 'table' AND name = 'doc_dicts'").Scan(&n); err != nil || n == 0 {
		return err
	}
	return readDicts(ctx, db, schema+".doc_dicts", func(_ int, raw []byte) error {
		_, _, err := registerDict(raw)
		return err
	})
}
