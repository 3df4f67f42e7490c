package netlink

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Netlink and audit message types used by this package (linux/audit.h,
// linux/netlink.h).
const (
	msgNoop  = 0x1
	msgError = 0x2
	msgDone  = 0x3

	MsgGet       = 1000 // AUDIT_GET: get status
	MsgSet       = 1001 // AUDIT_SET: set status
	MsgAddRule   = 1011 // AUDIT_ADD_RULE
	MsgDelRule   = 1012 // AUDIT_DEL_RULE
	MsgListRules = 1013 // AUDIT_LIST_RULES
	MsgReplace   = 1329 // AUDIT_REPLACE: the kernel checks that the audit daemon is alive
)

// Netlink header flags.
const (
	flagRequest = 0x1
	flagMulti   = 0x2
	flagAck     = 0x4
)

// headerLen is the size of struct nlmsghdr.
const headerLen = 16

// Status mask bits (AUDIT_STATUS_*): which fields of a Status to set.
const (
	StatusEnabled         = 0x01
	StatusFailure         = 0x02
	StatusPID             = 0x04
	StatusRateLimit       = 0x08
	StatusBacklogLimit    = 0x10
	StatusBacklogWaitTime = 0x20
	StatusLost            = 0x40
)

// Status is struct audit_status: the kernel's audit settings and counters.
type Status struct {
	Mask            uint32 // which fields a set applies (Status* bits)
	Enabled         uint32 // 0 off, 1 on, 2 locked (immutable until reboot)
	Failure         uint32 // 0 silent, 1 printk, 2 panic
	PID             uint32 // pid of the audit daemon, 0 when none
	RateLimit       uint32 // records per second, 0 unlimited
	BacklogLimit    uint32 // records waiting for the daemon before loss
	Lost            uint32 // records the kernel lost since boot
	Backlog         uint32 // records waiting now
	FeatureBitmap   uint32
	BacklogWaitTime uint32 // how long a task waits when the backlog is full (jiffies)
	// BacklogWaitTimeActual is the total time tasks waited (newer kernels).
	BacklogWaitTimeActual uint32
}

// statusLen is the size of struct audit_status with all the fields above.
const statusLen = 11 * 4

// MarshalBinary encodes s in the kernel's layout (host byte order, which is
// little endian on every architecture vigil supports).
func (s Status) MarshalBinary() ([]byte, error) {
	b := make([]byte, statusLen)
	for i, v := range []uint32{s.Mask, s.Enabled, s.Failure, s.PID, s.RateLimit, s.BacklogLimit,
		s.Lost, s.Backlog, s.FeatureBitmap, s.BacklogWaitTime, s.BacklogWaitTimeActual} {
		binary.LittleEndian.PutUint32(b[i*4:], v)
	}
	return b, nil
}

// ErrShort is returned when a kernel structure is shorter than its fixed part.
var ErrShort = errors.New("audit netlink: message too short")

// UnmarshalBinary decodes struct audit_status. Older kernels send fewer
// fields: the missing ones stay zero. At least the first eight are required.
func (s *Status) UnmarshalBinary(b []byte) error {
	if len(b) < 8*4 {
		return fmt.Errorf("audit status of %d bytes: %w", len(b), ErrShort)
	}
	fields := []*uint32{&s.Mask, &s.Enabled, &s.Failure, &s.PID, &s.RateLimit, &s.BacklogLimit,
		&s.Lost, &s.Backlog, &s.FeatureBitmap, &s.BacklogWaitTime, &s.BacklogWaitTimeActual}
	*s = Status{}
	for i, f := range fields {
		if len(b) < (i+1)*4 {
			break
		}
		*f = binary.LittleEndian.Uint32(b[i*4:])
	}
	return nil
}

// header is struct nlmsghdr.
type header struct {
	Len   uint32
	Type  uint16
	Flags uint16
	Seq   uint32
	PID   uint32
}

// appendMessage appends one netlink message with payload to b.
func appendMessage(b []byte, typ, flags uint16, seq uint32, payload []byte) []byte {
	n := headerLen + len(payload)
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	b = binary.LittleEndian.AppendUint16(b, typ)
	b = binary.LittleEndian.AppendUint16(b, flags)
	b = binary.LittleEndian.AppendUint32(b, seq)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// splitDatagram reads the header of one received datagram and returns the
// payload: the bytes after the header up to the end of the datagram, not up
// to nlmsg_len, which the kernel sets inconsistently on audit records.
func splitDatagram(b []byte) (header, []byte, error) {
	if len(b) < headerLen {
		return header{}, nil, fmt.Errorf("datagram of %d bytes: %w", len(b), ErrShort)
	}
	h := header{
		Len:   binary.LittleEndian.Uint32(b[0:]),
		Type:  binary.LittleEndian.Uint16(b[4:]),
		Flags: binary.LittleEndian.Uint16(b[6:]),
		Seq:   binary.LittleEndian.Uint32(b[8:]),
		PID:   binary.LittleEndian.Uint32(b[12:]),
	}
	return h, b[headerLen:], nil
}

// ackError decodes the payload of an NLMSG_ERROR message: 0 is an
// acknowledgement, a negative value an errno.
func ackError(payload []byte) (int32, error) {
	if len(payload) < 4 {
		return 0, fmt.Errorf("netlink error message of %d bytes: %w", len(payload), ErrShort)
	}
	return int32(binary.LittleEndian.Uint32(payload)), nil
}
