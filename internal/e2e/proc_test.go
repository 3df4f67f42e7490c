package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is one run of the vigil binary; its stdout and stderr go to a file
// in the test's log directory.
type proc struct {
	t       *testing.T
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error
}

// logDirs gives every test one directory for the logs of all its runs.
var logDirs sync.Map

func logDir(t *testing.T) string {
	if d, ok := logDirs.Load(t.Name()); ok {
		return d.(string)
	}
	d := t.TempDir()
	logDirs.Store(t.Name(), d)
	return d
}

// startProc runs vigil with args until the test ends (or kill/stop).
func startProc(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	dir := logDir(t)
	var logPath string
	for i := 1; ; i++ {
		logPath = filepath.Join(dir, fmt.Sprintf("%s.%d.log", name, i))
		if _, err := os.Stat(logPath); errors.Is(err, os.ErrNotExist) {
			break
		}
	}
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(vigilBin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{t: t, name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	return p
}

// kill sends SIGKILL and waits for the process to end.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and waits up to 15 s before killing; it fails the test
// when the process does not stop cleanly.
func (p *proc) stop() {
	p.t.Helper()
	select {
	case <-p.done:
		p.t.Fatalf("%s had already exited: %v\n%s", p.name, p.err, p.log())
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			p.t.Errorf("%s stopped with %v\n%s", p.name, p.err, p.log())
		}
	case <-time.After(15 * time.Second):
		p.kill()
		p.t.Errorf("%s did not stop within 15 s of SIGTERM", p.name)
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// log returns what the process wrote so far.
func (p *proc) log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// runVigil runs a short vigil command and returns its stdout; it fails the
// test when the command fails.
func runVigil(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := tryVigil(args...)
	if err != nil {
		t.Fatalf("vigil %v: %v\n%s", args, err, errOut)
	}
	return out
}

func tryVigil(args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(vigilBin, args...)
	var o, e limitedBuffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// limitedBuffer keeps the first 16 MiB written to it.
type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := 16<<20 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(len(p), room)]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }

// eventually polls cond every 200 ms until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
