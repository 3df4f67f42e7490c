// Package vulndb keeps OSV advisories in an on-disk SQLite database (WAL
// mode, parameterised queries only): one row per advisory and an index of
// (ecosystem, package) → affected entries, from which the matcher of package
// vuln loads just what one host needs. Imports are incremental: an advisory
// is rewritten only when its modified date is newer than the stored one.
package vulndb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"modernc.org/sqlite" // the "sqlite" database/sql driver, and its errors

	"github.com/vigil-sec/vigil/internal/vuln"
	"github.com/vigil-sec/vigil/internal/vuln/osv"
)

// schemaVersion is stored in PRAGMA user_version.
const schemaVersion = 1

const schema = `
CREATE TABLE advisories (
	id        TEXT PRIMARY KEY,
	modified  TEXT NOT NULL,  -- RFC 3339 UTC with nanoseconds, sorts as text
	withdrawn TEXT,           -- NULL unless withdrawn
	summary   TEXT NOT NULL,
	severity  TEXT NOT NULL,  -- advisory-level rating
	score     REAL,           -- CVSS base score behind it, NULL if none
	aliases   TEXT NOT NULL,  -- JSON array: aliases then related ids
	json      BLOB NOT NULL   -- the OSV record as imported
);
CREATE TABLE affected (
	ecosystem     TEXT NOT NULL,  -- osv.Ecosystem.Key
	package       TEXT NOT NULL,
	advisory_id   TEXT NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
	seq           INTEGER NOT NULL,  -- position in affected[]
	ecosystem_raw TEXT NOT NULL,     -- as the advisory spells it
	entry         TEXT NOT NULL,     -- the affected[] element as JSON
	PRIMARY KEY (ecosystem, package, advisory_id, seq)
) WITHOUT ROWID;
CREATE INDEX affected_advisory ON affected (advisory_id);
`

// DB is an open advisory database.
type DB struct {
	sql  *sql.DB
	path string
}

// Open opens or creates the database at path and applies the schema.
func Open(ctx context.Context, path string) (*DB, error) {
	q := url.Values{}
	// busy_timeout first: the pragmas run in order, and switching a new file
	// to WAL waits for other openers too.
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	// Transactions take the write lock at BEGIN, so that two processes or
	// stores creating the same new file do not both apply the schema.
	q.Set("_txlock", "immediate")
	s, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open advisory database %s: %w", path, err)
	}
	s.SetMaxOpenConns(1)
	db := &DB{sql: s, path: path}
	// Openers racing on a new file can be refused at once while one of them
	// switches it to WAL (SQLite does not wait then); try again for as long
	// as busy_timeout would have waited.
	err = db.migrate(ctx)
	for deadline := time.Now().Add(10 * time.Second); busy(err) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		err = db.migrate(ctx)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("advisory database %s: %w", path, err)
	}
	return db, nil
}

// busy reports whether err is SQLite's SQLITE_BUSY.
func busy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == 5
}

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }

func (db *DB) migrate(ctx context.Context) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case v == schemaVersion:
		return nil
	case v > schemaVersion:
		return fmt.Errorf("schema version %d is newer than this vigil's %d", v, schemaVersion)
	}
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fmt.Errorf("set schema version: %w", err)
	}
	return tx.Commit()
}

// ImportStats counts what an import did.
type ImportStats struct {
	osv.LoadStats
	Added     int // new advisories
	Updated   int // advisories with a newer modified date
	Unchanged int // advisories not newer than the stored copy
}

// batchSize is the number of advisories written per transaction.
const batchSize = 5000

// Import loads the advisories under path (file, directory or zip archive)
// into the database. Malformed records are skipped and counted; the import
// fails only when path cannot be read or the database cannot be written.
func (db *DB) Import(ctx context.Context, path string) (ImportStats, error) {
	var st ImportStats
	w := &writer{db: db, st: &st}
	defer w.rollback()
	ls, err := osv.Load(ctx, path, w.put)
	st.LoadStats = ls
	if err != nil {
		return st, err
	}
	return st, w.commit()
}

// writer batches advisories into transactions.
type writer struct {
	db                   *DB
	st                   *ImportStats
	tx                   *sql.Tx
	get, put1, del, put2 *sql.Stmt
	n                    int
}

func (w *writer) begin(ctx context.Context) error {
	tx, err := w.db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin import: %w", err)
	}
	w.tx = tx
	prep := func(q string) *sql.Stmt {
		s, e := tx.PrepareContext(ctx, q)
		err = errors.Join(err, e)
		return s
	}
	w.get = prep(`SELECT modified FROM advisories WHERE id = ?`)
	w.put1 = prep(`INSERT INTO advisories (id, modified, withdrawn, summary, severity, score, aliases, json)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET modified = excluded.modified, withdrawn = excluded.withdrawn,
		summary = excluded.summary, severity = excluded.severity, score = excluded.score,
		aliases = excluded.aliases, json = excluded.json`)
	w.del = prep(`DELETE FROM affected WHERE advisory_id = ?`)
	w.put2 = prep(`INSERT OR REPLACE INTO affected (ecosystem, package, advisory_id, seq, ecosystem_raw, entry)
		VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("prepare import: %w", err)
	}
	return nil
}

func (w *writer) put(a *osv.Advisory) error {
	ctx := context.Background()
	if w.tx == nil {
		if err := w.begin(ctx); err != nil {
			return err
		}
	}
	mod := stamp(a.Modified)
	var old string
	switch err := w.get.QueryRowContext(ctx, a.ID).Scan(&old); {
	case errors.Is(err, sql.ErrNoRows):
		w.st.Added++
	case err != nil:
		return fmt.Errorf("read %s: %w", a.ID, err)
	case old >= mod:
		w.st.Unchanged++
		return nil
	default:
		w.st.Updated++
	}
	if err := w.write(ctx, a, mod); err != nil {
		return err
	}
	if w.n++; w.n >= batchSize {
		return w.commit()
	}
	return nil
}

func (w *writer) write(ctx context.Context, a *osv.Advisory, mod string) error {
	raw, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode %s: %w", a.ID, err)
	}
	m := vuln.MetaOf(a)
	aliases, _ := json.Marshal(m.Aliases)
	if m.Aliases == nil {
		aliases = []byte("[]")
	}
	var withdrawn, score any
	if a.IsWithdrawn() {
		withdrawn = stamp(*a.Withdrawn)
	}
	if m.Score != nil {
		score = *m.Score
	}
	if _, err := w.put1.ExecContext(ctx, a.ID, mod, withdrawn, m.Summary, m.Severity, score, string(aliases), raw); err != nil {
		return fmt.Errorf("store %s: %w", a.ID, err)
	}
	if _, err := w.del.ExecContext(ctx, a.ID); err != nil {
		return fmt.Errorf("store %s: %w", a.ID, err)
	}
	for i, af := range a.Affected {
		eco := osv.ParseEcosystem(af.Package.Ecosystem)
		entry, err := json.Marshal(af)
		if err != nil {
			return fmt.Errorf("encode %s: %w", a.ID, err)
		}
		if _, err := w.put2.ExecContext(ctx, eco.Key, af.Package.Name, a.ID, i, eco.Raw, string(entry)); err != nil {
			return fmt.Errorf("store %s: %w", a.ID, err)
		}
	}
	return nil
}

func (w *writer) commit() error {
	if w.tx == nil {
		return nil
	}
	err := w.tx.Commit()
	w.tx, w.n = nil, 0
	if err != nil {
		return fmt.Errorf("commit import: %w", err)
	}
	return nil
}

func (w *writer) rollback() {
	if w.tx != nil {
		w.tx.Rollback()
		w.tx = nil
	}
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// EcosystemStatus is the content of the database for one ecosystem.
type EcosystemStatus struct {
	Ecosystem  string `json:"ecosystem"`
	Advisories int    `json:"advisories"`
	Newest     string `json:"newest_modified"`
}

// Status summarises the database.
type Status struct {
	Path       string            `json:"path"`
	Advisories int               `json:"advisories"`
	Withdrawn  int               `json:"withdrawn"`
	Newest     string            `json:"newest_modified"`
	Ecosystems []EcosystemStatus `json:"ecosystems"`
}

// Status counts the advisories per ecosystem (as the advisories spell it)
// with the newest modification date.
func (db *DB) Status(ctx context.Context) (Status, error) {
	st := Status{Path: db.path, Ecosystems: []EcosystemStatus{}}
	var newest sql.NullString
	err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(withdrawn), MAX(modified) FROM advisories`).
		Scan(&st.Advisories, &st.Withdrawn, &newest)
	if err != nil {
		return st, fmt.Errorf("status: %w", err)
	}
	st.Newest = newest.String
	rows, err := db.sql.QueryContext(ctx, `SELECT x.ecosystem_raw, COUNT(DISTINCT x.advisory_id), MAX(a.modified)
		FROM affected x JOIN advisories a ON a.id = x.advisory_id
		GROUP BY x.ecosystem_raw ORDER BY x.ecosystem_raw`)
	if err != nil {
		return st, fmt.Errorf("status: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e EcosystemStatus
		if err := rows.Scan(&e.Ecosystem, &e.Advisories, &e.Newest); err != nil {
			return st, fmt.Errorf("status: %w", err)
		}
		st.Ecosystems = append(st.Ecosystems, e)
	}
	return st, rows.Err()
}

// lookupBatch bounds the package names per query.
const lookupBatch = 500

// Index loads the entries of non-withdrawn advisories under the given
// ecosystem keys for the given package names. It makes DB a vuln.Source.
func (db *DB) Index(ctx context.Context, keys, names []string) (*vuln.Index, error) {
	idx := vuln.NewIndex()
	metas := make(map[string]*vuln.Meta)
	names = dedupe(names)
	for _, key := range keys {
		for start := 0; start < len(names); start += lookupBatch {
			batch := names[start:min(start+lookupBatch, len(names))]
			if err := db.load(ctx, idx, metas, key, batch); err != nil {
				return nil, err
			}
		}
	}
	for range metas {
		idx.CountAdvisory()
	}
	return idx, nil
}

func (db *DB) load(ctx context.Context, idx *vuln.Index, metas map[string]*vuln.Meta, key string, names []string) error {
	args := make([]any, 0, len(names)+1)
	args = append(args, key)
	for _, n := range names {
		args = append(args, n)
	}
	q := `SELECT a.id, a.summary, a.severity, a.score, a.aliases, x.entry
		FROM affected x JOIN advisories a ON a.id = x.advisory_id
		WHERE a.withdrawn IS NULL AND x.ecosystem = ? AND x.package IN (?` + strings.Repeat(", ?", len(names)-1) + `)
		ORDER BY a.id, x.seq`
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("look up advisories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, summary, severity, aliases, entry string
			score                                 sql.NullFloat64
		)
		if err := rows.Scan(&id, &summary, &severity, &score, &aliases, &entry); err != nil {
			return fmt.Errorf("look up advisories: %w", err)
		}
		m := metas[id]
		if m == nil {
			m = &vuln.Meta{ID: id, Summary: summary, Severity: severity}
			if score.Valid {
				s := score.Float64
				m.Score = &s
			}
			if err := json.Unmarshal([]byte(aliases), &m.Aliases); err != nil {
				return fmt.Errorf("advisory %s: aliases: %w", id, err)
			}
			metas[id] = m
		}
		var af osv.Affected
		if err := json.Unmarshal([]byte(entry), &af); err != nil {
			return fmt.Errorf("advisory %s: affected entry: %w", id, err)
		}
		idx.AddEntry(m, af)
	}
	return rows.Err()
}

func dedupe(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := make([]string, 0, len(s))
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
