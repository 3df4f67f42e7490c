//go:build linux

package netlink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// groupReadLog is the multicast group bit of AUDIT_NLGRP_READLOG (group 1).
const groupReadLog = 1 << (1 - 1)

// Stream receives audit records. A dedicated goroutine reads the socket into
// a bounded channel and never waits for the consumer.
type Stream struct {
	mode  Mode
	s     *socket
	conn  *Conn
	msgs  chan Message
	acks  chan int32
	prev  *Status // settings to restore on Close (owner mode)
	done  chan struct{}
	close sync.Once

	received, dropped, nobufs, foreign, errs atomic.Uint64
}

// Listen opens the record stream in opts.Mode. In owner mode it registers
// the calling process as the audit daemon, enables audit and sets the backlog
// settings through the stream's own socket (the kernel sends records to the
// socket that registered); Close restores the previous settings through c.
// In observer mode nothing is changed. c must stay open until Close.
func Listen(ctx context.Context, c *Conn, opts StreamOptions) (*Stream, error) {
	if opts.RcvBuf <= 0 {
		opts.RcvBuf = defaultRcvBuf
	}
	if opts.Queue <= 0 {
		opts.Queue = defaultQueue
	}
	st, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	var groups uint32
	switch opts.Mode {
	case ModeOwner:
		if st.Enabled == 2 {
			return nil, ErrLocked
		}
		if st.PID != 0 && int(st.PID) != os.Getpid() && processAlive(int(st.PID)) {
			return nil, fmt.Errorf("%w (pid %d)", ErrOwned, st.PID)
		}
	case ModeObserver:
		groups = groupReadLog
	default:
		return nil, fmt.Errorf("audit stream mode %q: want owner or observer", opts.Mode)
	}
	sock, err := openSocket(groups)
	if err != nil {
		return nil, err
	}
	if err := setRcvBuf(sock, opts.RcvBuf); err != nil {
		sock.close()
		return nil, err
	}
	s := &Stream{mode: opts.Mode, s: sock, conn: c, msgs: make(chan Message, opts.Queue),
		acks: make(chan int32, 4), done: make(chan struct{})}
	go s.read()
	if opts.Mode == ModeOwner {
		if err := s.register(ctx, st, opts); err != nil {
			s.stop()
			return nil, err
		}
	}
	return s, nil
}

// processAlive reports whether pid exists (signal 0).
func processAlive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

func setRcvBuf(sock *socket, size int) error {
	var serr error
	err := sock.rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size)
		if serr != nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, size)
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("audit netlink receive buffer of %d bytes: %w", size, err)
	}
	return nil
}

// register makes this process the audit daemon with the stream's socket.
func (s *Stream) register(ctx context.Context, prev Status, opts StreamOptions) error {
	set := Status{Mask: StatusPID | StatusEnabled, PID: uint32(os.Getpid()), Enabled: 1}
	if opts.BacklogLimit > 0 {
		set.Mask |= StatusBacklogLimit
		set.BacklogLimit = opts.BacklogLimit
	}
	if opts.BacklogWaitTime > 0 {
		set.Mask |= StatusBacklogWaitTime
		set.BacklogWaitTime = opts.BacklogWaitTime
	}
	if opts.RateLimit != nil {
		set.Mask |= StatusRateLimit
		set.RateLimit = *opts.RateLimit
	}
	b, _ := set.MarshalBinary()
	if err := s.s.send(appendMessage(nil, MsgSet, flagRequest|flagAck, 1, b)); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, defaultTimeout)
	defer cancel()
	select {
	case code := <-s.acks:
		if code != 0 {
			return fmt.Errorf("register as audit daemon: %w", syscall.Errno(-code))
		}
	case <-ctx.Done():
		return fmt.Errorf("register as audit daemon: %w", ctx.Err())
	}
	s.prev = &prev
	return nil
}

// read is the reading goroutine: socket to channel, never blocking on the
// channel.
func (s *Stream) read() {
	defer close(s.done)
	defer close(s.msgs)
	buf := make([]byte, recvBufLen)
	for {
		data, fromKernel, rerr, perr := s.s.recv(buf)
		if perr != nil {
			return // closed
		}
		switch {
		case rerr == unix.ENOBUFS:
			s.nobufs.Add(1)
			continue
		case rerr == unix.EINTR:
			continue
		case rerr != nil:
			s.errs.Add(1)
			continue
		case !fromKernel:
			s.foreign.Add(1)
			continue
		}
		h, p, err := splitDatagram(data)
		if err != nil {
			s.errs.Add(1)
			continue
		}
		switch h.Type {
		case msgError:
			if code, err := ackError(p); err == nil {
				select {
				case s.acks <- code:
				default:
				}
			}
			continue
		case msgDone, msgNoop, MsgReplace:
			continue
		}
		m := Message{Type: h.Type, Data: bytes.Clone(bytes.TrimRight(p, "\x00"))}
		select {
		case s.msgs <- m:
			s.received.Add(1)
		default:
			s.dropped.Add(1)
		}
	}
}

// Messages returns the record channel. It is closed after Close.
func (s *Stream) Messages() <-chan Message { return s.msgs }

// Mode returns the stream's mode.
func (s *Stream) Mode() Mode { return s.mode }

// Stats returns the counters.
func (s *Stream) Stats() Stats {
	return Stats{Received: s.received.Load(), Dropped: s.dropped.Load(), NoBufs: s.nobufs.Load(),
		Foreign: s.foreign.Load(), Errors: s.errs.Load()}
}

func (s *Stream) stop() {
	s.s.close()
	<-s.done
}

// Close restores the audit settings changed in owner mode (unregisters the
// process, restores enabled, backlog_limit, backlog_wait_time and rate_limit)
// and closes the socket. Installed rules are the caller's business.
func (s *Stream) Close() error {
	var err error
	s.close.Do(func() {
		if s.prev != nil {
			ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
			defer cancel()
			p := s.prev
			err = s.conn.SetStatus(ctx, Status{
				Mask: StatusPID | StatusEnabled | StatusBacklogLimit | StatusBacklogWaitTime | StatusRateLimit,
				PID:  0, Enabled: p.Enabled, BacklogLimit: p.BacklogLimit,
				BacklogWaitTime: p.BacklogWaitTime, RateLimit: p.RateLimit,
			})
		}
		s.stop()
	})
	return err
}
