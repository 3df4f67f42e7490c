//go:build linux

package audit

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
)

// runProc reports execs from the proc connector until ctx ends; once it
// listens, the health is state with reason.
func (c *Collector) runProc(ctx context.Context, emit collector.Emit, h *collector.Health, state, reason string) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_CONNECTOR)
	if err != nil {
		h.Set(event.CollectorStateFailed, reason+"; proc connector: "+err.Error())
		return fmt.Errorf("%w: proc connector: %w", collector.ErrUnavailable, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: cnIdxProc}); err != nil {
		unix.Close(fd)
		h.Set(event.CollectorStateFailed, reason+"; proc connector: "+err.Error())
		return fmt.Errorf("%w: proc connector bind: %w", collector.ErrUnavailable, err)
	}
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, c.cfg.ReceiveBuffer) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, c.cfg.ReceiveBuffer)
	}
	f := os.NewFile(uintptr(fd), "proc-connector")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("proc connector: %w", err)
	}
	send := func(ignore bool) error {
		var serr error
		err := rc.Write(func(fd uintptr) bool {
			serr = unix.Sendto(int(fd), procListenMessage(uint32(os.Getpid()), ignore), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
			return serr != unix.EAGAIN
		})
		if err == nil {
			err = serr
		}
		return err
	}
	if err := send(false); err != nil {
		h.Set(event.CollectorStateFailed, reason+"; proc connector: "+err.Error())
		return fmt.Errorf("%w: proc connector listen: %w", collector.ErrUnavailable, err)
	}
	defer send(true)
	h.Set(state, reason)
	execs := make(chan procExec, c.cfg.Queue)
	var nobufs, dropped atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			var n int
			var rerr error
			var from unix.Sockaddr
			if err := rc.Read(func(fd uintptr) bool {
				n, from, rerr = unix.Recvfrom(int(fd), buf, 0)
				return rerr != unix.EAGAIN
			}); err != nil {
				return
			}
			if rerr == unix.ENOBUFS {
				nobufs.Add(1)
				continue
			}
			if sa, ok := from.(*unix.SockaddrNetlink); rerr != nil || !ok || sa.Pid != 0 {
				continue
			}
			if pe, ok := parseProcEvent(buf[:n]); ok {
				select {
				case execs <- pe:
				default:
					dropped.Add(1)
				}
			}
		}
	}()
	defer func() { f.Close(); <-done }()
	loss := newLossTracker(c.deps.Now())
	enr := newEnricher(c.deps.Root, c.deps.Now)
	users := userNames(c.deps.Root)
	for {
		select {
		case <-ctx.Done():
			return nil
		case pe := <-execs:
			ev := c.procExecEvent(pe, h, users)
			enr.enrich(&ev, int64(pe.TGID))
			h.Add("events", 1)
			emit(ev)
			t := c.deps.Now()
			loss.update("queue_full", event.StageCollector, dropped.Load(), t, emit, h)
			loss.update("enobufs", event.StageKernel, nobufs.Load(), t, emit, h)
		}
	}
}

// procExecEvent builds an exec event from /proc/<pid>. Fields the process
// took with it when it exited first stay empty; such execs are counted in
// exec_proc_raced.
func (c *Collector) procExecEvent(pe procExec, h *collector.Health, users names) event.Event {
	now := c.deps.Now()
	pid := int64(pe.TGID)
	base := "/proc/" + strconv.FormatInt(pid, 10)
	p := &event.Process{PID: new(pid)}
	ev := event.Event{
		Timestamp: now,
		Event: event.Meta{ID: event.NewID(now), Kind: event.KindEvent, Category: []string{event.CategoryProcess},
			Type: []string{event.TypeStart}, Action: event.ActionExec, Dataset: "vigil.audit", Module: "proc_connector"},
		Process: p,
	}
	raced := false
	if b, err := c.deps.Root.ReadFile(base+"/cmdline", 1<<20); err == nil && len(b) > 0 {
		p.Args = splitCmdline(b)
		if len(p.Args) > event.MaxArgs {
			p.Args = p.Args[:event.MaxArgs]
		}
		p.ArgsCount = new(int64(len(p.Args)))
		p.CommandLine = strings.Join(p.Args, " ")
	} else {
		raced = true
	}
	if exe, err := c.deps.Root.Readlink(base + "/exe"); err == nil {
		p.Executable = strings.TrimSuffix(exe, " (deleted)")
		p.Name = p.Executable[strings.LastIndexByte(p.Executable, '/')+1:]
	} else {
		raced = true
	}
	if cwd, err := c.deps.Root.Readlink(base + "/cwd"); err == nil {
		p.WorkingDirectory = cwd
	}
	if b, err := c.deps.Root.ReadFile(base+"/status", 64<<10); err == nil {
		if ppid, uid, euid, ok := statusFields(b); ok {
			p.PPID = new(ppid)
			name, _ := users.lookup(uid)
			ev.User = &event.User{ID: uid, Name: name}
			if euid != uid {
				ename, _ := users.lookup(euid)
				ev.User.Effective = &event.UserRef{ID: euid, Name: ename}
			}
		}
	} else {
		raced = true
	}
	if raced {
		h.Add("exec_proc_raced", 1)
		ev.Event.Outcome = event.OutcomeUnknown
	}
	return ev
}
