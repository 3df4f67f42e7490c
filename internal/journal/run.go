package journal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/procgroup"
)

// searchPath is where Find looks for journalctl: the directories Debian,
// Ubuntu and RHEL install it in, never the PATH of whoever started the
// agent (the program runs as root).
const searchPath = "/usr/bin:/bin:/usr/sbin:/sbin"

// Find returns the path of journalctl, or an error wrapping exec.ErrNotFound.
func Find() (string, error) {
	for dir := range strings.SplitSeq(searchPath, ":") {
		if p, err := exec.LookPath(dir + "/journalctl"); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("journalctl not in %s: %w", searchPath, exec.ErrNotFound)
}

// ErrLineTooLong is handed to Run's fn for a line above MaxLineBytes.
var ErrLineTooLong = errors.New("journalctl line too long")

// maxStderr bounds what is kept of journalctl's error output (its end).
const maxStderr = 4 << 10

// Run starts prog (journalctl) with args and calls fn with each entry it
// prints, in order: fn gets the entry, or an error wrapping ErrBadEntry or
// ErrLineTooLong for a line that is none (the line is skipped). Run returns
// when journalctl exits, fn returns an error or ctx ends, and only after
// journalctl and anything it started are gone: it runs in its own process
// group, killed as a whole at the end. The error is ctx's, fn's, or
// *ExitError when journalctl ended by itself (with --follow it never does
// unless it fails).
func Run(ctx context.Context, prog string, args []string, fn func(Entry, error) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = []string{"PATH=" + searchPath, "LC_ALL=C", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0"}
	cmd.Dir = "/"
	stderr := &tailBuffer{}
	cmd.Stderr = stderr
	procgroup.Set(cmd)
	// The pipes close this long after the group was killed, whatever holds
	// them.
	cmd.WaitDelay = time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("journalctl: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start journalctl: %w", err)
	}
	ferr := readEntries(out, fn)
	if ferr != nil {
		cancel()
	}
	werr := cmd.Wait()
	switch {
	case ferr != nil && !errors.Is(ferr, errPipe):
		return ferr
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return &ExitError{Err: werr, Stderr: stderr.lastLine()}
}

// errPipe marks a failed read of journalctl's output; Wait says why.
var errPipe = errors.New("read journalctl output")

// readEntries reads lines until EOF or fn's error.
func readEntries(r io.Reader, fn func(Entry, error) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, long, err := readLine(br)
		if len(line) > 0 || long {
			var ferr error
			if long {
				ferr = fn(Entry{}, ErrLineTooLong)
			} else {
				ferr = fn(ParseEntry(line))
			}
			if ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", errPipe, err)
		}
	}
}

// readLine returns one line without its newline, or long when it was above
// MaxLineBytes (the line is then consumed and not returned).
func readLine(br *bufio.Reader) (line []byte, long bool, err error) {
	for {
		frag, err := br.ReadSlice('\n')
		if !long {
			if len(line)+len(frag) > MaxLineBytes+1 {
				long, line = true, nil
			} else {
				line = append(line, frag...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if n := len(line); n > 0 && line[n-1] == '\n' {
			line = line[:n-1]
		}
		return line, long, err
	}
}

// ExitError is journalctl ending by itself.
type ExitError struct {
	// Err is what Wait said (nil for exit status 0).
	Err error
	// Stderr is the last line journalctl wrote on its error output.
	Stderr string
}

func (e *ExitError) Error() string {
	msg := "journalctl exited"
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

func (e *ExitError) Unwrap() error { return e.Err }

// tailBuffer keeps the last maxStderr bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - maxStderr; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) lastLine() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := strings.TrimSpace(string(b.buf))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return strings.ToValidUTF8(s, "?")
}
