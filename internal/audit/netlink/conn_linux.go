//go:build linux

package netlink

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// defaultTimeout bounds a control request when ctx has no deadline.
const defaultTimeout = 5 * time.Second

// socket is a non-blocking NETLINK_AUDIT socket registered with Go's poller,
// so that reads honour deadlines and Close wakes a blocked reader.
type socket struct {
	f  *os.File
	rc syscall.RawConn
}

func openSocket(groups uint32) (*socket, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_AUDIT)
	if err != nil {
		return nil, fmt.Errorf("open audit netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind audit netlink socket: %w", err)
	}
	f := os.NewFile(uintptr(fd), "audit-netlink")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit netlink raw conn: %w", err)
	}
	return &socket{f: f, rc: rc}, nil
}

func (s *socket) send(msg []byte) error {
	var serr error
	err := s.rc.Write(func(fd uintptr) bool {
		serr = unix.Sendto(int(fd), msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		return serr != unix.EAGAIN
	})
	if err != nil {
		return fmt.Errorf("send audit netlink: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("send audit netlink: %w", serr)
	}
	return nil
}

// recv reads one datagram into buf. It returns the datagram, whether it came
// from the kernel, and the receive error (ENOBUFS included) separately from
// the poller's error (closed, deadline).
func (s *socket) recv(buf []byte) (data []byte, fromKernel bool, rerr, perr error) {
	var n int
	var from unix.Sockaddr
	perr = s.rc.Read(func(fd uintptr) bool {
		n, from, rerr = unix.Recvfrom(int(fd), buf, 0)
		return rerr != unix.EAGAIN
	})
	if perr != nil || rerr != nil {
		return nil, false, rerr, perr
	}
	sa, ok := from.(*unix.SockaddrNetlink)
	return buf[:n], ok && sa.Pid == 0, nil, nil
}

func (s *socket) close() error { return s.f.Close() }

// Conn is the audit control socket: status and rules. Its methods are safe
// for concurrent use (requests are serialised).
type Conn struct {
	mu  sync.Mutex
	s   *socket
	seq uint32
	buf []byte
}

// Dial opens the control socket. It needs CAP_AUDIT_CONTROL for anything but
// Status.
func Dial() (*Conn, error) {
	s, err := openSocket(0)
	if err != nil {
		return nil, err
	}
	return &Conn{s: s, buf: make([]byte, recvBufLen)}, nil
}

// Close closes the socket.
func (c *Conn) Close() error { return c.s.close() }

// request sends one message and reads replies until the kernel acknowledged
// it and collect said it has all replies (collect == nil: none expected).
// A negative acknowledgement is returned as the errno (errors.Is(err,
// unix.EEXIST) works).
func (c *Conn) request(ctx context.Context, typ uint16, payload []byte, collect func(typ uint16, p []byte) (bool, error)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	seq := c.seq
	if err := c.s.send(appendMessage(nil, typ, flagRequest|flagAck, seq, payload)); err != nil {
		return err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(defaultTimeout)
	}
	if err := c.s.f.SetReadDeadline(deadline); err != nil {
		return fmt.Errorf("audit netlink deadline: %w", err)
	}
	acked, done := false, collect == nil
	for !acked || !done {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, fromKernel, rerr, perr := c.s.recv(c.buf)
		if perr != nil {
			return fmt.Errorf("audit netlink reply to %d: %w", typ, perr)
		}
		if rerr != nil {
			if rerr == unix.EINTR || rerr == unix.ENOBUFS {
				continue
			}
			return fmt.Errorf("audit netlink reply to %d: %w", typ, rerr)
		}
		h, p, err := splitDatagram(data)
		if err != nil || !fromKernel || h.Seq != seq {
			continue
		}
		switch h.Type {
		case msgError:
			code, err := ackError(p)
			if err != nil {
				return err
			}
			if code != 0 {
				return fmt.Errorf("audit netlink request %d: %w", typ, syscall.Errno(-code))
			}
			acked = true
		case msgNoop:
		default:
			if collect != nil && !done {
				if done, err = collect(h.Type, p); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Status returns the kernel's audit status.
func (c *Conn) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.request(ctx, MsgGet, nil, func(typ uint16, p []byte) (bool, error) {
		if typ != MsgGet {
			return false, nil
		}
		return true, st.UnmarshalBinary(p)
	})
	if err != nil {
		return Status{}, fmt.Errorf("get audit status: %w", err)
	}
	return st, nil
}

// SetStatus applies the fields of s selected by s.Mask.
func (c *Conn) SetStatus(ctx context.Context, s Status) error {
	b, _ := s.MarshalBinary()
	if err := c.request(ctx, MsgSet, b, nil); err != nil {
		return fmt.Errorf("set audit status (mask %#x): %w", s.Mask, err)
	}
	return nil
}

// AddRule installs r. A rule that is already installed gives an error
// wrapping unix.EEXIST.
func (c *Conn) AddRule(ctx context.Context, r *Rule) error {
	b, err := r.MarshalBinary()
	if err != nil {
		return err
	}
	if err := c.request(ctx, MsgAddRule, b, nil); err != nil {
		return fmt.Errorf("add audit rule %q: %w", r.String(), err)
	}
	return nil
}

// DeleteRule removes r. A rule that is not installed gives an error wrapping
// unix.ENOENT.
func (c *Conn) DeleteRule(ctx context.Context, r *Rule) error {
	b, err := r.MarshalBinary()
	if err != nil {
		return err
	}
	if err := c.request(ctx, MsgDelRule, b, nil); err != nil {
		return fmt.Errorf("delete audit rule %q: %w", r.String(), err)
	}
	return nil
}

// ListRules returns the installed rules, in kernel order.
func (c *Conn) ListRules(ctx context.Context) ([]*Rule, error) {
	var rules []*Rule
	err := c.request(ctx, MsgListRules, nil, func(typ uint16, p []byte) (bool, error) {
		switch typ {
		case msgDone:
			return true, nil
		case MsgListRules:
			r := new(Rule)
			if err := r.UnmarshalBinary(p); err != nil {
				return false, err
			}
			rules = append(rules, r)
		}
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list audit rules: %w", err)
	}
	return rules, nil
}

// RemoveKeyed deletes every installed rule with a key equal to prefix or
// starting with prefix+"-" and returns how many it deleted. Rules of others
// (auditd's) are never touched.
func (c *Conn) RemoveKeyed(ctx context.Context, prefix string) (int, error) {
	rules, err := c.ListRules(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, r := range rules {
		if !r.HasKeyPrefix(prefix) {
			continue
		}
		if err := c.DeleteRule(ctx, r); err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
