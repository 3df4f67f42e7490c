package pkgdb

import (
	"bufio"
	"errors"
	"io"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// Bounds on hostile or damaged databases.
const (
	// maxLine is the longest line the text parsers accept; longer lines are
	// skipped (real dpkg Depends lines are a few KiB).
	maxLine = 256 << 10
	// MaxPackages bounds how many packages one database may yield.
	MaxPackages = 1 << 20
)

// lineReader yields lines without their end-of-line, counting line numbers and
// reporting lines longer than maxLine as too long instead of buffering them.
type lineReader struct {
	r   *bufio.Reader
	n   int
	buf []byte
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line, whether it was too long (its content is then
// dropped), and io.EOF after the last line.
func (lr *lineReader) next() (line []byte, tooLong bool, err error) {
	lr.buf = lr.buf[:0]
	for {
		frag, err := lr.r.ReadSlice('\n')
		if !tooLong {
			if len(lr.buf)+len(frag) > maxLine+1 {
				tooLong = true
				lr.buf = lr.buf[:0]
			} else {
				lr.buf = append(lr.buf, frag...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (err != io.EOF || (len(lr.buf) == 0 && !tooLong && len(frag) == 0)) {
			return nil, false, err
		}
		lr.n++
		b := lr.buf
		if n := len(b); n > 0 && b[n-1] == '\n' {
			b = b[:n-1]
		}
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
		return b, tooLong, nil
	}
}

// bounded collects at most MaxPackages packages; the first one over the bound is
// recorded as skipped, later ones are dropped silently.
type bounded struct {
	pkgs []Package
	over bool
}

func (b *bounded) add(p Package, skip *skipped.List, file string, line int) {
	if len(b.pkgs) < MaxPackages {
		b.pkgs = append(b.pkgs, p)
		return
	}
	if !b.over {
		b.over = true
		skip.Add(file, line, "more than %d packages, rest ignored", MaxPackages)
	}
}
