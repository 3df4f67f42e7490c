package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/klauspost/compress/s2"
	msqlite "modernc.org/sqlite"
)

// Event documents are stored compressed: an S2 block made with a dictionary
// that the store learns per day from that day's first 64 KiB of documents
// (stored in doc_dicts, in the same transaction as the first rows that use
// it). A day's documents are stored as JSON text until its dictionary
// exists, and rows written before this format stay JSON text; the two are
// told apart by the first byte ('{' for JSON). Measured in
// docs/decisions.md ("Ingest, fourth round", packed documents): 740 → ~140
// bytes an event, 1.3 µs to compress, 0.2 µs to expand.
//
// A packed document is docFormat, the dictionary's ID (8 bytes, big endian:
// the first bytes of the SHA-256 of its serialized form), then the S2 block.
// SQL reads a document through vigil_doc(doc), which returns the JSON text.

const (
	docFormat  = 1
	docHeader  = 9
	maxDocSize = 16 << 20 // larger declared sizes are corrupt
	// dictStart is how an event document begins: the dictionary's repeat
	// offset points at its last occurrence.
	dictStart = `{"@timestamp":"`
)

// dicts holds every dictionary a store of this process has loaded or made,
// by ID. IDs are content hashes, so stores sharing the process share them
// safely.
var dicts sync.Map // uint64 → *s2.Dict

// sqlDoc is vigil_doc(doc): the JSON text of a stored document.
func sqlDoc(_ *msqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch v := args[0].(type) {
	case nil:
		return nil, nil
	case string:
		return v, nil
	case []byte:
		b, err := unpackDoc(v)
		if err != nil {
			return nil, err
		}
		return string(b), nil
	}
	return nil, fmt.Errorf("vigil_doc: %T is not a document", args[0])
}

// registerDict loads a serialized dictionary and returns its ID.
func registerDict(raw []byte) (uint64, *s2.Dict, error) {
	d := s2.NewDict(raw)
	if d == nil {
		return 0, nil, errors.New("invalid document dictionary")
	}
	sum := sha256.Sum256(raw)
	id := binary.BigEndian.Uint64(sum[:8])
	got, _ := dicts.LoadOrStore(id, d)
	return id, got.(*s2.Dict), nil
}

// appendPacked appends doc compressed with dictionary d (ID id) to out, as
// it is stored: docFormat, the ID, the S2 block.
func appendPacked(out []byte, id uint64, d *s2.Dict, doc []byte) ([]byte, error) {
	n := s2.MaxEncodedLen(len(doc))
	if n < 0 {
		return out, fmt.Errorf("document of %d bytes is too large to pack", len(doc))
	}
	out = slices.Grow(out, docHeader+n)
	out = append(out, docFormat)
	out = binary.BigEndian.AppendUint64(out, id)
	// Encode writes into the free capacity, which holds n bytes.
	enc := d.Encode(out[len(out):cap(out)], doc)
	return append(out, enc...), nil
}

// unpackDoc returns the JSON of a stored document: b itself when it is JSON
// text, else the expanded block.
func unpackDoc(b []byte) ([]byte, error) {
	if len(b) > 0 && b[0] == '{' {
		return b, nil
	}
	if len(b) < docHeader || b[0] != docFormat {
		return nil, errors.New("stored document: unknown format")
	}
	id := binary.BigEndian.Uint64(b[1:])
	d, ok := dicts.Load(id)
	if !ok {
		return nil, fmt.Errorf("stored document: dictionary %016x is not loaded", id)
	}
	n, err := s2.DecodedLen(b[docHeader:])
	if err != nil {
		return nil, fmt.Errorf("stored document: %w", err)
	}
	if n > maxDocSize {
		return nil, fmt.Errorf("stored document: declares %d bytes", n)
	}
	out, err := d.(*s2.Dict).Decode(nil, b[docHeader:])
	if err != nil {
		return nil, fmt.Errorf("stored document: %w", err)
	}
	return out, nil
}

// packer holds each day's dictionary, or the documents collected to make
// one.
type packer struct {
	sample int // bytes of documents a dictionary is made from
	mu     sync.Mutex
	days   map[int]*dayDict
}

type dayDict struct {
	day       int
	id        uint64
	dict      *s2.Dict // nil while sampling
	raw       []byte   // the serialized dictionary
	sample    []byte
	persisted bool // raw is in doc_dicts (guarded by packer.mu)
}

func newPacker(sample int) *packer { return &packer{sample: sample, days: map[int]*dayDict{}} }

// load makes raw (from doc_dicts) the dictionary of day; later ones win.
func (p *packer) load(day int, raw []byte) error {
	id, d, err := registerDict(raw)
	if err != nil {
		return fmt.Errorf("document dictionary of day %d: %w", day, err)
	}
	p.mu.Lock()
	p.days[day] = &dayDict{day: day, id: id, dict: d, raw: raw, persisted: true}
	p.mu.Unlock()
	return nil
}

// forget drops a day's dictionary (its day was dropped).
func (p *packer) forget(day int) {
	p.mu.Lock()
	delete(p.days, day)
	p.mu.Unlock()
}

// pack sets the stored document of each row (sorted by day) from its JSON:
// compressed when its day has a dictionary, JSON text otherwise. A day
// without one collects JSON until it has enough to make it. It returns the
// dictionaries it used, for the commit to store those not stored yet, and
// out with the packed documents appended (the rows' documents point into
// it until out is reused).
func (p *packer) pack(rows []row, out []byte) ([]*dayDict, []byte, error) {
	var used []*dayDict
	ends := make([]int, len(rows)) // where each packed document ends in out; 0: not packed
	for start := 0; start < len(rows); {
		day := rows[start].day
		end := start
		for end < len(rows) && rows[end].day == day {
			end++
		}
		dd, err := p.dictFor(day, rows[start:end])
		if err != nil {
			return nil, out, err
		}
		if dd != nil {
			used = append(used, dd)
		}
		for i := start; i < end; i++ {
			if dd == nil {
				rows[i].args[docArg] = string(rows[i].doc)
				continue
			}
			if out, err = appendPacked(out, dd.id, dd.dict, rows[i].doc); err != nil {
				return nil, out, err
			}
			ends[i] = len(out)
		}
		start = end
	}
	// Sliced once out no longer grows.
	at := 0
	for i, e := range ends {
		if e > 0 {
			rows[i].args[docArg] = out[at:e:e]
			at = e
		}
	}
	return used, out, nil
}

// dictFor returns day's dictionary, making it when the documents collected
// so far and those of rows reach p.sample bytes; nil while there are not
// enough.
func (p *packer) dictFor(day int, rows []row) (*dayDict, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	dd := p.days[day]
	if dd == nil {
		dd = &dayDict{day: day}
		p.days[day] = dd
	}
	if dd.dict != nil {
		return dd, nil
	}
	for i := range rows {
		if len(dd.sample) >= p.sample {
			break
		}
		dd.sample = append(dd.sample, rows[i].doc...)
	}
	if len(dd.sample) < max(p.sample, s2.MinDictSize) {
		return nil, nil
	}
	raw := s2.MakeDict(dd.sample, []byte(dictStart)).Bytes()
	id, d, err := registerDict(raw)
	if err != nil {
		return nil, err
	}
	dd.id, dd.dict, dd.raw, dd.sample = id, d, raw, nil
	return dd, nil
}

// unpersisted returns the dictionaries the requests' rows use that
// doc_dicts lacks.
func (p *packer) unpersisted(reqs []*ingestReq) []*dayDict {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*dayDict
	for _, r := range reqs {
		for _, dd := range r.dicts {
			if !dd.persisted && !slices.Contains(out, dd) {
				out = append(out, dd)
			}
		}
	}
	return out
}

// readDicts calls fn with each dictionary of a doc_dicts table (table names
// it, schema-qualified where needed), oldest first.
func readDicts(ctx context.Context, q queryer, table string, fn func(day int, raw []byte) error) error {
	rows, err := q.QueryContext(ctx, "SELECT day, dict FROM "+table+" ORDER BY rowid")
	if err != nil {
		return fmt.Errorf("load document dictionaries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var day int
		var raw []byte
		if err := rows.Scan(&day, &raw); err != nil {
			return fmt.Errorf("load document dictionaries: %w", err)
		}
		if err := fn(day, raw); err != nil {
			return err
		}
	}
	return rows.Err()
}

// persisted marks dictionaries stored by a committed transaction.
func (p *packer) persisted(l []*dayDict) {
	p.mu.Lock()
	for _, dd := range l {
		dd.persisted = true
	}
	p.mu.Unlock()
}
