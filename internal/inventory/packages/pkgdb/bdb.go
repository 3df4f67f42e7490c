package pkgdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// Berkeley DB hash database layout (db_page.h), as used by rpm's "Packages"
// file up to rpm 4.15 (RHEL 7 and 8, CentOS, Amazon Linux 2).
const (
	bdbHashMagic   = 0x061561
	bdbMetaSize    = 72 // generic DBMETA header
	bdbPageHeader  = 26 // PAGE header: lsn, pgno, prev, next, entries, hf_offset, level, type
	bdbPageHashOld = 2  // P_HASH_UNSORTED
	bdbPageOver    = 7  // P_OVERFLOW
	bdbPageHash    = 13 // P_HASH
	bdbKeyData     = 1  // H_KEYDATA: item bytes follow the type byte
	bdbOffPage     = 3  // H_OFFPAGE: item is on a chain of overflow pages
	bdbOffPageSize = 12 // HOFFPAGE: type, 3 unused, pgno, tlen
)

// errBerkeleyDB reports a Packages file that is not a Berkeley DB hash
// database this parser can walk.
var errBerkeleyDB = errors.New("not a readable Berkeley DB hash database")

// bdb is an open Berkeley DB hash file.
type bdb struct {
	r        io.ReaderAt
	order    binary.ByteOrder
	pageSize uint32
	lastPage uint32
	page     []byte
}

// ParseRPMBerkeleyDB reads the package headers of rpm's BerkeleyDB "Packages"
// database (a hash database of header blobs keyed by instance number) from r,
// which holds size bytes. Pages are read one at a time, so the file is never
// loaded whole. Headers that do not decode, and damaged pages or overflow
// chains, are skipped and recorded under file. The error is non-nil when the
// file is not a Berkeley DB hash database or r fails.
func ParseRPMBerkeleyDB(r io.ReaderAt, size int64, file string) ([]Package, skipped.List, error) {
	var out bounded
	skip, err := EachRPMBerkeleyDBHeader(r, size, file, func(pg uint32, blob []byte, skip *skipped.List) {
		p, err := ParseRPMHeader(blob)
		if err != nil {
			skip.Add(file, 0, "page %d: %v", pg, err)
			return
		}
		out.add(p, skip, file, 0)
	})
	return out.pkgs, skip, err
}

// EachRPMBerkeleyDBHeader calls fn with every header blob of rpm's BerkeleyDB
// "Packages" database in r (size bytes) and the page it starts on; fn may
// record what it cannot use in skip. Damaged pages and overflow chains are
// skipped and recorded under file. The error is non-nil when the file is not a
// Berkeley DB hash database or r fails.
func EachRPMBerkeleyDBHeader(r io.ReaderAt, size int64, file string, fn func(pg uint32, blob []byte, skip *skipped.List)) (skipped.List, error) {
	db, err := openBDB(r, size)
	if err != nil {
		return nil, err
	}
	var skip skipped.List
	for pg := uint32(1); pg <= db.lastPage; pg++ {
		if err := db.readPage(pg, db.page); err != nil {
			return skip, err
		}
		typ := db.page[25]
		if typ != bdbPageHash && typ != bdbPageHashOld {
			continue
		}
		for _, blob := range db.pageValues(pg, file, &skip) {
			fn(pg, blob, &skip)
		}
	}
	return skip, nil
}

func openBDB(r io.ReaderAt, size int64) (*bdb, error) {
	meta := make([]byte, bdbMetaSize)
	if _, err := r.ReadAt(meta, 0); err != nil {
		return nil, fmt.Errorf("%w: %v", errBerkeleyDB, err)
	}
	db := &bdb{r: r}
	switch {
	case binary.LittleEndian.Uint32(meta[12:]) == bdbHashMagic:
		db.order = binary.LittleEndian
	case binary.BigEndian.Uint32(meta[12:]) == bdbHashMagic:
		db.order = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: no hash magic", errBerkeleyDB)
	}
	db.pageSize = db.order.Uint32(meta[20:])
	db.lastPage = db.order.Uint32(meta[32:])
	if db.pageSize < 512 || db.pageSize > 64<<10 || db.pageSize&(db.pageSize-1) != 0 {
		return nil, fmt.Errorf("%w: page size %d", errBerkeleyDB, db.pageSize)
	}
	if meta[24] != 0 {
		return nil, fmt.Errorf("%w: encrypted", errBerkeleyDB)
	}
	if int64(db.lastPage) >= size/int64(db.pageSize) {
		return nil, fmt.Errorf("%w: last page %d beyond the %d-byte file", errBerkeleyDB, db.lastPage, size)
	}
	db.page = make([]byte, db.pageSize)
	return db, nil
}

func (db *bdb) readPage(pg uint32, buf []byte) error {
	if _, err := db.r.ReadAt(buf, int64(pg)*int64(db.pageSize)); err != nil {
		return fmt.Errorf("read page %d: %w", pg, err)
	}
	return nil
}

// pageValues returns the data items of the key/data pairs on a hash page, with
// off-page items read from their overflow chains. The instance counter rpm
// keeps under key 0 is left out.
func (db *bdb) pageValues(pg uint32, file string, skip *skipped.List) [][]byte {
	p := db.page
	n := int(db.order.Uint16(p[20:]))
	if bdbPageHeader+2*n > len(p) {
		skip.Add(file, 0, "page %d: %d entries do not fit", pg, n)
		return nil
	}
	var vals [][]byte
	for i := 0; i+1 < n; i += 2 {
		key, ok := db.item(i, n)
		if !ok {
			skip.Add(file, 0, "page %d: bad key item %d", pg, i)
			continue
		}
		if key[0] == bdbKeyData && len(key) == 5 && db.order.Uint32(key[1:]) == 0 {
			continue
		}
		val, ok := db.item(i+1, n)
		if !ok {
			skip.Add(file, 0, "page %d: bad data item %d", pg, i+1)
			continue
		}
		switch val[0] {
		case bdbKeyData:
			vals = append(vals, append([]byte(nil), val[1:]...))
		case bdbOffPage:
			b, err := db.overflow(val)
			if err != nil {
				skip.Add(file, 0, "page %d item %d: %v", pg, i+1, err)
				continue
			}
			vals = append(vals, b)
		default:
			skip.Add(file, 0, "page %d item %d: unsupported item type %d", pg, i+1, val[0])
		}
	}
	return vals
}

// item returns the bytes of item i of the current hash page (type byte first).
// Items are packed from the end of the page downwards, so item i ends where
// item i-1 starts.
func (db *bdb) item(i, n int) ([]byte, bool) {
	p := db.page
	start := int(db.order.Uint16(p[bdbPageHeader+2*i:]))
	end := len(p)
	if i > 0 {
		end = int(db.order.Uint16(p[bdbPageHeader+2*(i-1):]))
	}
	if start < bdbPageHeader+2*n || start >= end || end > len(p) {
		return nil, false
	}
	return p[start:end], true
}

// overflow reads an off-page item: tlen bytes on a chain of overflow pages.
func (db *bdb) overflow(item []byte) ([]byte, error) {
	if len(item) < bdbOffPageSize {
		return nil, errors.New("short off-page item")
	}
	pg := db.order.Uint32(item[4:])
	tlen := db.order.Uint32(item[8:])
	per := db.pageSize - bdbPageHeader
	if tlen == 0 || tlen > MaxRPMHeader || uint64(tlen) > uint64(db.lastPage)*uint64(per) {
		return nil, fmt.Errorf("off-page item of %d bytes", tlen)
	}
	out := make([]byte, 0, tlen)
	buf := make([]byte, db.pageSize)
	for steps := uint32(0); uint32(len(out)) < tlen; steps++ {
		if pg == 0 || pg > db.lastPage || steps > tlen/per+1 {
			return nil, fmt.Errorf("overflow chain broken at page %d", pg)
		}
		if err := db.readPage(pg, buf); err != nil {
			return nil, err
		}
		if buf[25] != bdbPageOver {
			return nil, fmt.Errorf("page %d is not an overflow page", pg)
		}
		l := uint32(db.order.Uint16(buf[22:]))
		if l > per || uint32(len(out))+l > tlen {
			return nil, fmt.Errorf("overflow page %d holds %d bytes", pg, l)
		}
		out = append(out, buf[bdbPageHeader:bdbPageHeader+l]...)
		pg = db.order.Uint32(buf[16:])
	}
	return out, nil
}
