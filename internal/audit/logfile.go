package audit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// ReadLog parses an audit.log stream line by line and calls fn for every
// record. Lines that do not parse (and lines starting with '#') are skipped
// and recorded in skip (may be nil) with file and line number; lines longer
// than MaxRecordBytes are skipped whole. It returns only read errors.
func ReadLog(r io.Reader, file string, skip *skipped.List, fn func(*Record)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	lineNo := 0
	for {
		line, tooLong, err := readBoundedLine(br)
		if len(line) > 0 || tooLong || err == nil {
			lineNo++
		}
		switch {
		case tooLong:
			if skip != nil {
				skip.Add(file, lineNo, "line longer than %d bytes", MaxRecordBytes)
			}
		case len(line) > 0 && line[0] == '#':
		case len(bytes.TrimSpace(line)) > 0:
			rec, perr := ParseLine(line)
			if perr != nil {
				if skip != nil {
					skip.Add(file, lineNo, "%v", perr)
				}
			} else {
				fn(rec)
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read %s: %w", file, err)
		}
	}
}

// readBoundedLine returns the next line without its newline; a line longer
// than MaxRecordBytes is consumed and reported as tooLong.
func readBoundedLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if len(buf)+len(chunk) > MaxRecordBytes {
			tooLong = true
			buf = buf[:0]
		} else if !tooLong {
			buf = append(buf, chunk...)
		}
		if err != nil || !isPrefix {
			return buf, tooLong, err
		}
	}
}
