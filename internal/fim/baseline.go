package fim

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Baseline is the set of entries known at the last scan, keyed by host path.
// It is not safe for concurrent use.
type Baseline struct {
	entries map[string]Entry
}

// NewBaseline returns an empty baseline.
func NewBaseline() *Baseline { return &Baseline{entries: map[string]Entry{}} }

// Len returns the number of entries.
func (b *Baseline) Len() int { return len(b.entries) }

// Get returns the entry of path.
func (b *Baseline) Get(path string) (Entry, bool) {
	e, ok := b.entries[path]
	return e, ok
}

// Put adds or replaces an entry.
func (b *Baseline) Put(e Entry) { b.entries[e.Path] = e }

// Delete removes the entry of path.
func (b *Baseline) Delete(path string) { delete(b.entries, path) }

// Paths returns all paths, sorted.
func (b *Baseline) Paths() []string {
	out := make([]string, 0, len(b.entries))
	for p := range b.entries {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// within reports whether p is dir itself or below it.
func within(p, dir string) bool {
	if dir == "/" {
		return strings.HasPrefix(p, "/")
	}
	return p == dir || (strings.HasPrefix(p, dir) && p[len(dir)] == '/')
}

// Under returns a new baseline with the entries at or below any of dirs.
func (b *Baseline) Under(dirs ...string) *Baseline {
	out := NewBaseline()
	for p, e := range b.entries {
		for _, d := range dirs {
			if within(p, d) {
				out.entries[p] = e
				break
			}
		}
	}
	return out
}

// Replace removes every entry at or below dirs and adds those of sub.
func (b *Baseline) Replace(dirs []string, sub *Baseline) {
	for p := range b.entries {
		for _, d := range dirs {
			if within(p, d) {
				delete(b.entries, p)
				break
			}
		}
	}
	for p, e := range sub.entries {
		b.entries[p] = e
	}
}

// The file format (version 1), chosen by measurement (see the package doc):
//
//	magic "VIGILFIM" | version byte | uvarint count | records | CRC-32C (LE)
//
// Records are sorted by path; each path is stored as the length of the prefix
// it shares with the previous one plus the rest, then type, flags, mode, uid,
// gid (uvarint), size, mtime, ctime (varint), inode, device (uvarint), the
// 32-byte hash when FlagHashed, and the link target for symbolic links.
const (
	magic      = "VIGILFIM"
	version    = 1
	maxPathLen = 4096
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is returned (wrapped) by Decode for a baseline that is not one
// or was damaged.
var ErrCorrupt = errors.New("corrupt fim baseline")

// Encode writes the baseline to w.
func (b *Baseline) Encode(w io.Writer) error {
	crc := crc32.New(crcTable)
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 1<<16)
	var buf [binary.MaxVarintLen64*12 + 64]byte
	bw.WriteString(magic)
	bw.WriteByte(version)
	bw.Write(binary.AppendUvarint(buf[:0], uint64(len(b.entries))))
	prev := ""
	for _, p := range b.Paths() {
		e := b.entries[p]
		shared := commonPrefix(prev, p)
		r := buf[:0]
		r = binary.AppendUvarint(r, uint64(shared))
		r = binary.AppendUvarint(r, uint64(len(p)-shared))
		bw.Write(r)
		bw.WriteString(p[shared:])
		r = append(buf[:0], byte(e.Type), byte(e.Flags))
		for _, v := range []uint64{uint64(e.Mode), uint64(e.UID), uint64(e.GID)} {
			r = binary.AppendUvarint(r, v)
		}
		for _, v := range []int64{e.Size, e.Mtime, e.Ctime} {
			r = binary.AppendVarint(r, v)
		}
		r = binary.AppendUvarint(r, e.Inode)
		r = binary.AppendUvarint(r, e.Dev)
		if e.Hashed() {
			r = append(r, e.Hash[:]...)
		}
		if e.Type == TypeSymlink {
			r = binary.AppendUvarint(r, uint64(len(e.Target)))
		}
		bw.Write(r)
		if e.Type == TypeSymlink {
			bw.WriteString(e.Target)
		}
		prev = p
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write fim baseline: %w", err)
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], crc.Sum32())
	if _, err := w.Write(sum[:]); err != nil {
		return fmt.Errorf("write fim baseline: %w", err)
	}
	return nil
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// decoder reads the fields of a record, remembering the first error.
type decoder struct {
	data []byte
	err  error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s", ErrCorrupt, what)
	}
}

func (d *decoder) uvarint(what string) uint64 {
	v, n := binary.Uvarint(d.data)
	if n <= 0 {
		d.fail(what)
		d.data = nil
		return 0
	}
	d.data = d.data[n:]
	return v
}

func (d *decoder) varint(what string) int64 {
	v, n := binary.Varint(d.data)
	if n <= 0 {
		d.fail(what)
		d.data = nil
		return 0
	}
	d.data = d.data[n:]
	return v
}

func (d *decoder) bytes(n uint64, what string) []byte {
	if n > uint64(len(d.data)) {
		d.fail(what)
		d.data = nil
		return nil
	}
	out := d.data[:n]
	d.data = d.data[n:]
	return out
}

// Decode parses a baseline written by Encode. It never panics; damaged or
// foreign input gives an error wrapping ErrCorrupt.
func Decode(data []byte) (*Baseline, error) {
	if len(data) < len(magic)+1+4 || string(data[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: no header", ErrCorrupt)
	}
	if data[len(magic)] != version {
		return nil, fmt.Errorf("%w: version %d", ErrCorrupt, data[len(magic)])
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	return decodeRecords(body[len(magic)+1:])
}

// decodeRecords parses the count and records after the header.
func decodeRecords(data []byte) (*Baseline, error) {
	d := &decoder{data: data}
	count := d.uvarint("count")
	// A record takes at least 12 bytes, which bounds the count by the input.
	if count > uint64(len(d.data))/12+1 {
		return nil, fmt.Errorf("%w: count %d", ErrCorrupt, count)
	}
	b := &Baseline{entries: make(map[string]Entry, count)}
	prev := ""
	for i := uint64(0); i < count && d.err == nil; i++ {
		e := d.record(prev)
		if d.err != nil {
			break
		}
		if e.Path <= prev || !strings.HasPrefix(e.Path, "/") {
			return nil, fmt.Errorf("%w: record %d: path %q out of order", ErrCorrupt, i, e.Path)
		}
		b.entries[e.Path] = e
		prev = e.Path
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.data) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(d.data))
	}
	return b, nil
}

func (d *decoder) record(prev string) Entry {
	shared := d.uvarint("prefix")
	rest := d.uvarint("path length")
	if shared > uint64(len(prev)) || rest > maxPathLen || shared+rest > maxPathLen {
		d.fail("path length")
		return Entry{}
	}
	e := Entry{Path: prev[:shared] + string(d.bytes(rest, "path"))}
	hdr := d.bytes(2, "type")
	if hdr == nil {
		return e
	}
	e.Type, e.Flags = Type(hdr[0]), Flags(hdr[1])
	if e.Type < TypeFile || e.Type > TypeBlockDevice || e.Flags&^flagsKnown != 0 {
		d.fail("type or flags")
		return e
	}
	mode, uid, gid := d.uvarint("mode"), d.uvarint("uid"), d.uvarint("gid")
	if mode > 0o7777 || uid > 1<<32-1 || gid > 1<<32-1 {
		d.fail("mode or owner")
		return e
	}
	e.Mode, e.UID, e.GID = uint32(mode), uint32(uid), uint32(gid)
	e.Size, e.Mtime, e.Ctime = d.varint("size"), d.varint("mtime"), d.varint("ctime")
	e.Inode, e.Dev = d.uvarint("inode"), d.uvarint("device")
	if e.Hashed() {
		copy(e.Hash[:], d.bytes(32, "hash"))
	}
	if e.Type == TypeSymlink {
		n := d.uvarint("target length")
		if n > maxPathLen {
			d.fail("target length")
			return e
		}
		e.Target = string(d.bytes(n, "target"))
	}
	return e
}

// maxBaselineBytes bounds the baseline file read by Load (about 20 million
// entries).
const maxBaselineBytes = 2 << 30

// Load reads a baseline file. A missing file gives an error wrapping
// fs.ErrNotExist; a damaged one an error wrapping ErrCorrupt.
func Load(path string) (*Baseline, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load fim baseline: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 && fi.Size() < maxBaselineBytes {
		buf.Grow(int(fi.Size()) + 1)
	}
	if _, err := buf.ReadFrom(io.LimitReader(f, maxBaselineBytes+1)); err != nil {
		return nil, fmt.Errorf("load fim baseline %s: %w", path, err)
	}
	if int64(buf.Len()) > maxBaselineBytes {
		return nil, fmt.Errorf("load fim baseline %s: %w", path, ErrCorrupt)
	}
	b, err := Decode(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("load fim baseline %s: %w", path, err)
	}
	return b, nil
}

// Save writes the baseline to path atomically: a temporary file in the same
// directory, synced, then renamed over the old one.
func (b *Baseline) Save(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".fim-baseline-*")
	if err != nil {
		return fmt.Errorf("save fim baseline: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := b.Encode(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("save fim baseline: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save fim baseline: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save fim baseline: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save fim baseline: %w", err)
	}
	return nil
}
