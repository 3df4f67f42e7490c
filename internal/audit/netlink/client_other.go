//go:build !linux

package netlink

import (
	"context"
	"errors"
)

// Conn is the audit control socket; it is Linux only.
type Conn struct{}

// Dial returns errors.ErrUnsupported outside Linux.
func Dial() (*Conn, error) { return nil, errors.ErrUnsupported }

// Status returns errors.ErrUnsupported.
func (c *Conn) Status(ctx context.Context) (Status, error) { return Status{}, errors.ErrUnsupported }

// SetStatus returns errors.ErrUnsupported.
func (c *Conn) SetStatus(ctx context.Context, s Status) error { return errors.ErrUnsupported }

// AddRule returns errors.ErrUnsupported.
func (c *Conn) AddRule(ctx context.Context, r *Rule) error { return errors.ErrUnsupported }

// DeleteRule returns errors.ErrUnsupported.
func (c *Conn) DeleteRule(ctx context.Context, r *Rule) error { return errors.ErrUnsupported }

// ListRules returns errors.ErrUnsupported.
func (c *Conn) ListRules(ctx context.Context) ([]*Rule, error) { return nil, errors.ErrUnsupported }

// Close does nothing.
func (c *Conn) Close() error { return nil }

// Stream is the audit record stream; it is Linux only.
type Stream struct{}

// Listen returns errors.ErrUnsupported outside Linux.
func Listen(ctx context.Context, c *Conn, opts StreamOptions) (*Stream, error) {
	return nil, errors.ErrUnsupported
}

// Messages returns nil.
func (s *Stream) Messages() <-chan Message { return nil }

// Stats returns zero counters.
func (s *Stream) Stats() Stats { return Stats{} }

// Mode returns the empty mode.
func (s *Stream) Mode() Mode { return "" }

// Close does nothing.
func (s *Stream) Close() error { return nil }

// RemoveKeyed returns errors.ErrUnsupported.
func (c *Conn) RemoveKeyed(ctx context.Context, prefix string) (int, error) {
	return 0, errors.ErrUnsupported
}
