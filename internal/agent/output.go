package agent

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/vigil-sec/vigil/internal/event"
)

// NDJSON writes events as one JSON object per line to a writer (stdout) or an
// append-only file. It implements collector.Output.
type NDJSON struct {
	w    *bufio.Writer
	file *os.File // nil for stdout
	buf  []byte   // one encoded event
}

// NewNDJSON returns an output to w.
func NewNDJSON(w io.Writer) *NDJSON {
	return &NDJSON{w: bufio.NewWriterSize(w, 256<<10)}
}

// OpenNDJSON opens path for appending (mode 0600, created when missing).
func OpenNDJSON(path string) (*NDJSON, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	return &NDJSON{w: bufio.NewWriterSize(f, 256<<10), file: f}, nil
}

// Write encodes the events, one per line.
func (o *NDJSON) Write(_ context.Context, events []event.Event) error {
	for i := range events {
		var err error
		if o.buf, err = event.AppendJSON(o.buf[:0], &events[i], false); err != nil {
			return fmt.Errorf("output: %w", err)
		}
		o.buf = append(o.buf, '\n')
		if _, err := o.w.Write(o.buf); err != nil {
			return fmt.Errorf("output: %w", err)
		}
	}
	return nil
}

// Flush writes buffered events out and, for a file, syncs it to disk.
func (o *NDJSON) Flush() error {
	if err := o.w.Flush(); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if o.file != nil {
		return o.file.Sync()
	}
	return nil
}

// Close flushes and closes the file.
func (o *NDJSON) Close() error {
	err := o.Flush()
	if o.file != nil {
		if cerr := o.file.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
