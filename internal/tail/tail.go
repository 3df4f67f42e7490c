// Package tail follows a growing text file (an auth log) line by line from a
// saved position, across restarts and log rotation.
//
//   - Position is (inode, offset, hash of the file's first bytes): on
//     restart the follower resumes at the offset only when the file at the
//     path is still the same file (same inode, same first bytes); otherwise
//     it starts the new file from its beginning.
//   - Rotation by rename (logrotate's default) is seen when the path names
//     another inode: the old file is read to its end first, then the new file
//     from its beginning. copytruncate is seen when the file becomes shorter
//     than the offset: reading restarts at 0 (lines written between the copy
//     and the truncation are lost; no follower can see them).
//   - On a first start (no position) the file is read from its end, unless
//     FromStart is set.
//   - A last line without newline is handed out once it has stayed unchanged
//     for PartialWait (1 s), or at once when the file is rotated away. If the
//     writer later completes it, the rest comes as a separate line.
//   - Lines longer than MaxLine are cut to MaxLine and marked Truncated; the
//     rest of such a line is skipped.
//
// The caller saves Position after it has handled the lines Poll gave it, so
// a crash repeats lines (deduplicated by deterministic event IDs) rather than
// losing them.
package tail

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// Position is where a follower stands in a file.
type Position struct {
	Inode  uint64 `json:"inode"`
	Offset int64  `json:"offset"`
	// Head is the hex SHA-256 of the first HeadLen bytes of the file.
	Head    string `json:"head,omitempty"`
	HeadLen int    `json:"head_len,omitempty"`
}

// Line is one line of the file, without its newline.
type Line struct {
	Data []byte
	// Offset is where the line starts; Next where the following one starts.
	Offset, Next int64
	// Truncated is set when the line was longer than MaxLine.
	Truncated bool
	// Partial is set for a last line handed out without its newline.
	Partial bool
}

// Options tune a Follower.
type Options struct {
	// FromStart reads a file without saved position from its beginning.
	FromStart bool
	// MaxLine bounds a line (default 64 KiB).
	MaxLine int
	// PartialWait is how long a last line without newline must stay
	// unchanged before it is handed out (default 1 s).
	PartialWait time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

const headBytes = 256

// Follower follows one file. It is not safe for concurrent use.
type Follower struct {
	root hostfs.Root
	path string
	opts Options
	pos  Position
	has  bool // pos came from a saved state or an earlier open

	f            *os.File
	skipping     bool // inside the rest of a truncated line
	partialSize  int
	partialSince time.Time
	buf          []byte
}

// New returns a follower of path under root starting at pos (the zero
// Position when there is none saved). It does no I/O.
func New(root hostfs.Root, path string, pos Position, opts Options) *Follower {
	if opts.MaxLine <= 0 {
		opts.MaxLine = 64 << 10
	}
	if opts.PartialWait <= 0 {
		opts.PartialWait = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Follower{root: root, path: path, opts: opts, pos: pos, has: pos != Position{},
		buf: make([]byte, opts.MaxLine+1)}
}

// Path returns the followed path.
func (t *Follower) Path() string { return t.path }

// Position returns the position after the last line handed out.
func (t *Follower) Position() Position { return t.pos }

// Close closes the open file.
func (t *Follower) Close() error {
	if t.f == nil {
		return nil
	}
	err := t.f.Close()
	t.f = nil
	return err
}

// Poll hands every new line to fn, in order, following a rotation when it
// finds one. A missing file is not an error (nothing is read until it
// appears). It stops at the first error of fn and returns it.
func (t *Follower) Poll(ctx context.Context, fn func(Line) error) error {
	if t.f == nil {
		if err := t.open(); err != nil || t.f == nil {
			return err
		}
	}
	for range 4 { // bounded number of rotations followed per poll
		if err := t.readToEnd(ctx, fn, false); err != nil {
			return err
		}
		st, err := t.root.Stat(t.path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // rotated away, new file not there yet: keep the old one
			}
			return fmt.Errorf("stat %s: %w", t.path, err)
		}
		switch {
		case inode(st) != t.pos.Inode:
			// Renamed away: whatever is left in the old file is final.
			if err := t.readToEnd(ctx, fn, true); err != nil {
				return err
			}
			t.f.Close()
			t.f = nil
			t.pos = Position{}
			t.has = true // a new file after rotation is read from its start
			if err := t.open(); err != nil || t.f == nil {
				return err
			}
		case st.Size() < t.pos.Offset:
			t.pos.Offset, t.partialSize, t.skipping = 0, 0, false
		default:
			return nil
		}
	}
	return nil
}

// open opens the path and picks the starting offset.
func (t *Follower) open() error {
	f, err := t.root.Open(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", t.path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat %s: %w", t.path, err)
	}
	ino := inode(st)
	start := int64(0)
	switch {
	case t.has && t.pos.Inode == ino && t.pos.Offset <= st.Size() && t.headMatches(f):
		start = t.pos.Offset
	case t.has:
		start = 0 // another file than the saved one: read it whole
	case !t.opts.FromStart:
		start = st.Size()
	}
	t.f = f
	t.pos = Position{Inode: ino, Offset: start}
	t.has = true
	t.partialSize, t.skipping = 0, false
	return nil
}

func (t *Follower) headMatches(f *os.File) bool {
	if t.pos.HeadLen == 0 {
		return t.pos.Offset == 0
	}
	h, n := head(f, t.pos.HeadLen)
	return n == t.pos.HeadLen && h == t.pos.Head
}

func head(f *os.File, limit int) (string, int) {
	b := make([]byte, limit)
	n, _ := f.ReadAt(b, 0)
	sum := sha256.Sum256(b[:n])
	return hex.EncodeToString(sum[:]), n
}

// readToEnd reads complete lines up to the end of the open file. final hands
// out a last line without newline at once.
func (t *Follower) readToEnd(ctx context.Context, fn func(Line) error, final bool) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := t.f.ReadAt(t.buf, t.pos.Offset)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read %s: %w", t.path, err)
		}
		if n == 0 {
			t.partialSize = 0
			return nil
		}
		data := t.buf[:n]
		for {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				break
			}
			if err := t.deliver(fn, data[:i], i+1, complete); err != nil {
				return err
			}
			data = data[i+1:]
			t.partialSize = 0
		}
		switch {
		case len(data) == len(t.buf):
			// A line longer than MaxLine: hand out its head, skip the rest.
			if err := t.deliver(fn, data[:t.opts.MaxLine], len(data), truncated); err != nil {
				return err
			}
		case len(data) > 0 && n < len(t.buf):
			return t.lastLine(fn, data, final)
		case n < len(t.buf):
			return nil
		}
	}
}

// lastLine handles a last line without newline.
func (t *Follower) lastLine(fn func(Line) error, data []byte, final bool) error {
	now := t.opts.Now()
	if !final && len(data) != t.partialSize {
		t.partialSize, t.partialSince = len(data), now
		return nil
	}
	if !final && now.Sub(t.partialSince) < t.opts.PartialWait {
		return nil
	}
	t.partialSize = 0
	return t.deliver(fn, data, len(data), partial)
}

type lineKind int

const (
	complete  lineKind = iota // ended by a newline
	truncated                 // the head of a line longer than MaxLine
	partial                   // a last line without newline
)

// deliver hands out one line of size bytes (data is what is kept of it) and
// advances the position. The remainder of a truncated line is skipped.
func (t *Follower) deliver(fn func(Line) error, data []byte, size int, kind lineKind) error {
	off := t.pos.Offset
	next := off + int64(size)
	skip := t.skipping
	t.skipping = kind == truncated
	if !skip {
		l := Line{Data: bytes.TrimSuffix(data, []byte("\r")), Offset: off, Next: next,
			Truncated: kind == truncated, Partial: kind == partial}
		if err := fn(l); err != nil {
			t.skipping = skip
			return err
		}
	}
	t.pos.Offset = next
	if t.pos.HeadLen < headBytes && t.f != nil {
		t.pos.Head, t.pos.HeadLen = head(t.f, int(min(next, headBytes)))
	}
	return nil
}
