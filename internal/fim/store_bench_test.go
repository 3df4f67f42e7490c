package fim

import (
	"bytes"
	"database/sql"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// These benchmarks decided the baseline's storage: 160,000 entries (the
// size of /usr here) saved and loaded as our binary format, gob, JSON and
// SQLite. Run: go test -run=^$ -bench=Store -benchtime=3x ./internal/fim

const benchEntries = 160_000

func benchBaseline() *Baseline {
	b := NewBaseline()
	for i := range benchEntries {
		e := Entry{
			Path: fmt.Sprintf("/usr/lib/pkg%03d/sub%02d/file-%06d.so", i/1000, i/100%10, i),
			Type: TypeFile, Mode: 0o644, Size: int64(i * 37), Mtime: 1700000000000000000 + int64(i),
			Ctime: 1700000000000000000 + int64(i), Inode: uint64(1000000 + i), Dev: 2049, Flags: FlagHashed,
		}
		e.Hash[0], e.Hash[1], e.Hash[31] = byte(i), byte(i>>8), byte(i>>16)
		b.Put(e)
	}
	return b
}

type storeCodec struct {
	name string
	save func(b *Baseline, path string) error
	load func(path string) (int, error)
}

func storeCodecs() []storeCodec {
	return []storeCodec{
		{"binary", func(b *Baseline, p string) error { return b.Save(p) },
			func(p string) (int, error) { b, err := Load(p); return b.Len(), err }},
		{"gob", func(b *Baseline, p string) error {
			var buf bytes.Buffer
			if err := gob.NewEncoder(&buf).Encode(b.entries); err != nil {
				return err
			}
			return os.WriteFile(p, buf.Bytes(), 0o600)
		}, func(p string) (int, error) {
			data, err := os.ReadFile(p)
			if err != nil {
				return 0, err
			}
			m := map[string]Entry{}
			err = gob.NewDecoder(bytes.NewReader(data)).Decode(&m)
			return len(m), err
		}},
		{"json", func(b *Baseline, p string) error {
			data, err := json.Marshal(b.entries)
			if err != nil {
				return err
			}
			return os.WriteFile(p, data, 0o600)
		}, func(p string) (int, error) {
			data, err := os.ReadFile(p)
			if err != nil {
				return 0, err
			}
			m := map[string]Entry{}
			err = json.Unmarshal(data, &m)
			return len(m), err
		}},
		{"sqlite", saveSQLite, loadSQLite},
	}
}

func saveSQLite(b *Baseline, p string) error {
	os.Remove(p)
	db, err := sql.Open("sqlite", p)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec(`PRAGMA journal_mode=WAL; CREATE TABLE e (path TEXT PRIMARY KEY, type INT, flags INT, mode INT, uid INT, gid INT,
		size INT, mtime INT, ctime INT, inode INT, dev INT, hash BLOB, target TEXT)`); err != nil {
		return err
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	st, err := tx.Prepare(`INSERT INTO e VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return err
	}
	for _, e := range b.entries {
		if _, err := st.Exec(e.Path, e.Type, e.Flags, e.Mode, e.UID, e.GID, e.Size, e.Mtime, e.Ctime,
			int64(e.Inode), int64(e.Dev), e.Hash[:], e.Target); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func loadSQLite(p string) (int, error) {
	db, err := sql.Open("sqlite", p)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT path, type, flags, mode, uid, gid, size, mtime, ctime, inode, dev, hash, target FROM e`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	m := map[string]Entry{}
	for rows.Next() {
		var e Entry
		var h []byte
		var ino, dev int64
		if err := rows.Scan(&e.Path, &e.Type, &e.Flags, &e.Mode, &e.UID, &e.GID, &e.Size, &e.Mtime, &e.Ctime, &ino, &dev, &h, &e.Target); err != nil {
			return 0, err
		}
		e.Inode, e.Dev = uint64(ino), uint64(dev)
		copy(e.Hash[:], h)
		m[e.Path] = e
	}
	return len(m), rows.Err()
}

func BenchmarkStore(b *testing.B) {
	base := benchBaseline()
	for _, c := range storeCodecs() {
		p := filepath.Join(b.TempDir(), "baseline."+c.name)
		b.Run(c.name+"/save", func(b *testing.B) {
			for b.Loop() {
				if err := c.save(base, p); err != nil {
					b.Fatal(err)
				}
			}
			fi, err := os.Stat(p)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(fi.Size())/(1<<20), "MiB")
		})
		b.Run(c.name+"/load", func(b *testing.B) {
			for b.Loop() {
				n, err := c.load(p)
				if err != nil || n != benchEntries {
					b.Fatalf("loaded %d: %v", n, err)
				}
			}
		})
	}
}
