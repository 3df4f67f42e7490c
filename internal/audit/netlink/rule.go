package netlink

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Filter lists (the list part of "-a list,action").
const (
	FilterUser    uint32 = 0x00
	FilterTask    uint32 = 0x01
	FilterExit    uint32 = 0x04
	FilterExclude uint32 = 0x05
	FilterFS      uint32 = 0x06
	flagPrepend   uint32 = 0x10
)

// Rule actions.
const (
	ActionNever  uint32 = 0
	ActionAlways uint32 = 2
)

// Field types (AUDIT_* in linux/audit.h) that rule specs can name.
const (
	FieldPID         uint32 = 0
	FieldUID         uint32 = 1
	FieldEUID        uint32 = 2
	FieldSUID        uint32 = 3
	FieldFSUID       uint32 = 4
	FieldGID         uint32 = 5
	FieldEGID        uint32 = 6
	FieldSGID        uint32 = 7
	FieldFSGID       uint32 = 8
	FieldLoginUID    uint32 = 9
	FieldPers        uint32 = 10
	FieldArch        uint32 = 11
	FieldMsgType     uint32 = 12
	FieldPPID        uint32 = 18
	FieldLoginUIDSet uint32 = 24
	FieldSessionID   uint32 = 25
	FieldFSType      uint32 = 26
	FieldDevMajor    uint32 = 100
	FieldDevMinor    uint32 = 101
	FieldInode       uint32 = 102
	FieldExit        uint32 = 103
	FieldSuccess     uint32 = 104
	FieldWatch       uint32 = 105
	FieldPerm        uint32 = 106
	FieldDir         uint32 = 107
	FieldFiletype    uint32 = 108
	FieldObjUID      uint32 = 109
	FieldObjGID      uint32 = 110
	FieldExe         uint32 = 112
	FieldArg0        uint32 = 200
	FieldArg1        uint32 = 201
	FieldArg2        uint32 = 202
	FieldArg3        uint32 = 203
	FieldFilterKey   uint32 = 210
)

// Field operators (the high bits of fieldflags).
const (
	OpBitMask      uint32 = 0x08000000
	OpLess         uint32 = 0x10000000
	OpGreater      uint32 = 0x20000000
	OpNotEqual     uint32 = 0x30000000
	OpEqual        uint32 = 0x40000000
	OpBitTest      uint32 = OpBitMask | OpEqual
	OpLessEqual    uint32 = OpLess | OpEqual
	OpGreaterEqual uint32 = OpGreater | OpEqual
)

// Permission bits of FieldPerm.
const (
	PermExec  uint32 = 1
	PermWrite uint32 = 2
	PermRead  uint32 = 4
	PermAttr  uint32 = 8
)

// Unset is the value of an unset login uid (auid), "unset" in specs.
const Unset uint32 = 4294967295

// Kernel limits of struct audit_rule_data.
const (
	bitmaskWords = 64
	maxFields    = 64
	// ruleFixedLen is the size of struct audit_rule_data without buf.
	ruleFixedLen = 3*4 + bitmaskWords*4 + 3*maxFields*4 + 4
	// maxKeyLen is AUDIT_MAX_KEY_LEN; maxPathLen bounds watch paths.
	maxKeyLen  = 256
	maxPathLen = 4096
)

// Field is one "-F name op value" condition of a rule. String fields (watch,
// dir, exe, key) carry Str; the kernel receives its length as the value.
type Field struct {
	Type  uint32
	Op    uint32
	Value uint32
	Str   string
}

// isStringField reports whether the kernel takes the field's value from buf.
func isStringField(t uint32) bool {
	switch t {
	case FieldWatch, FieldDir, FieldExe, FieldFilterKey:
		return true
	case 13, 14, 15, 16, 17, 19, 20, 21, 22, 23: // SELinux subject and object fields
		return true
	}
	return false
}

// Rule is one audit rule: struct audit_rule_data in a usable form.
type Rule struct {
	Filter  uint32 // Filter* list
	Action  uint32 // ActionAlways or ActionNever
	Prepend bool
	// Mask has bit nr set for every syscall nr the rule applies to.
	Mask   [bitmaskWords]uint32
	Fields []Field
}

// SetSyscall adds syscall nr to the rule's mask.
func (r *Rule) SetSyscall(nr int) {
	if nr >= 0 && nr < bitmaskWords*32 {
		r.Mask[nr/32] |= 1 << (nr % 32)
	}
}

// SetAllSyscalls makes the rule apply to every syscall ("-S all").
func (r *Rule) SetAllSyscalls() {
	for i := range r.Mask {
		r.Mask[i] = ^uint32(0)
	}
}

// classBits are the AUDIT_SYSCALL_CLASSES (16) top bits of the mask, which
// the kernel uses for syscall classes and lists "-S all" rules without.
const classBits uint32 = 0xffff0000

// AllSyscalls reports whether the mask covers every syscall: every bit set,
// or every bit but the class bits the kernel clears.
func (r *Rule) AllSyscalls() bool {
	for i, w := range r.Mask {
		if i == bitmaskWords-1 {
			return w|classBits == ^uint32(0)
		}
		if w != ^uint32(0) {
			return false
		}
	}
	return true
}

// Syscalls returns the syscall numbers of the mask.
func (r *Rule) Syscalls() []int {
	var out []int
	for i, w := range r.Mask {
		for b := 0; b < 32 && w != 0; b++ {
			if w&(1<<b) != 0 {
				out = append(out, i*32+b)
			}
		}
	}
	return out
}

// Keys returns the rule's keys ("-k"); the kernel stores several joined by
// \x01 in one field.
func (r *Rule) Keys() []string {
	for _, f := range r.Fields {
		if f.Type == FieldFilterKey {
			return strings.Split(f.Str, "\x01")
		}
	}
	return nil
}

// HasKeyPrefix reports whether one of the rule's keys is prefix or starts
// with prefix + "-": HasKeyPrefix("vigil") is true for "vigil" and
// "vigil-exec", false for "vigilance".
func (r *Rule) HasKeyPrefix(prefix string) bool {
	for _, k := range r.Keys() {
		if k == prefix || strings.HasPrefix(k, prefix+"-") {
			return true
		}
	}
	return false
}

// Arch returns the value of the rule's arch field, if any.
func (r *Rule) Arch() (uint32, bool) {
	for _, f := range r.Fields {
		if f.Type == FieldArch && f.Op == OpEqual {
			return f.Value, true
		}
	}
	return 0, false
}

// MarshalBinary encodes struct audit_rule_data.
func (r *Rule) MarshalBinary() ([]byte, error) {
	if len(r.Fields) > maxFields {
		return nil, fmt.Errorf("audit rule with %d fields, the kernel takes %d", len(r.Fields), maxFields)
	}
	var buf []byte
	b := make([]byte, ruleFixedLen)
	flags := r.Filter
	if r.Prepend {
		flags |= flagPrepend
	}
	le := binary.LittleEndian
	le.PutUint32(b[0:], flags)
	le.PutUint32(b[4:], r.Action)
	le.PutUint32(b[8:], uint32(len(r.Fields)))
	for i, w := range r.Mask {
		le.PutUint32(b[12+i*4:], w)
	}
	fieldsOff := 12 + bitmaskWords*4
	valuesOff := fieldsOff + maxFields*4
	flagsOff := valuesOff + maxFields*4
	for i, f := range r.Fields {
		v := f.Value
		if isStringField(f.Type) {
			v = uint32(len(f.Str))
			buf = append(buf, f.Str...)
		}
		le.PutUint32(b[fieldsOff+i*4:], f.Type)
		le.PutUint32(b[valuesOff+i*4:], v)
		le.PutUint32(b[flagsOff+i*4:], f.Op)
	}
	le.PutUint32(b[flagsOff+maxFields*4:], uint32(len(buf)))
	return append(b, buf...), nil
}

// UnmarshalBinary decodes struct audit_rule_data as the kernel lists it.
func (r *Rule) UnmarshalBinary(b []byte) error {
	if len(b) < ruleFixedLen {
		return fmt.Errorf("audit rule of %d bytes: %w", len(b), ErrShort)
	}
	le := binary.LittleEndian
	*r = Rule{}
	flags := le.Uint32(b[0:])
	r.Filter, r.Prepend = flags&^flagPrepend, flags&flagPrepend != 0
	r.Action = le.Uint32(b[4:])
	count := le.Uint32(b[8:])
	if count > maxFields {
		return fmt.Errorf("audit rule with %d fields, at most %d", count, maxFields)
	}
	for i := range r.Mask {
		r.Mask[i] = le.Uint32(b[12+i*4:])
	}
	fieldsOff := 12 + bitmaskWords*4
	valuesOff := fieldsOff + maxFields*4
	flagsOff := valuesOff + maxFields*4
	buflen := le.Uint32(b[flagsOff+maxFields*4:])
	buf := b[ruleFixedLen:]
	if uint64(buflen) > uint64(len(buf)) {
		return fmt.Errorf("audit rule string buffer of %d bytes, %d present: %w", buflen, len(buf), ErrShort)
	}
	buf = buf[:buflen]
	r.Fields = make([]Field, 0, count)
	for i := range int(count) {
		f := Field{Type: le.Uint32(b[fieldsOff+i*4:]), Value: le.Uint32(b[valuesOff+i*4:]), Op: le.Uint32(b[flagsOff+i*4:])}
		if isStringField(f.Type) {
			if uint64(f.Value) > uint64(len(buf)) {
				return fmt.Errorf("audit rule string field of %d bytes, %d left: %w", f.Value, len(buf), ErrShort)
			}
			f.Str, buf = string(buf[:f.Value]), buf[f.Value:]
			f.Value = 0
		}
		r.Fields = append(r.Fields, f)
	}
	return nil
}

// Equal reports whether r and o encode the same kernel rule, taking the two
// forms of "all syscalls" as equal.
func (r *Rule) Equal(o *Rule) bool {
	a, errA := r.normalized().MarshalBinary()
	b, errB := o.normalized().MarshalBinary()
	return errA == nil && errB == nil && slices.Equal(a, b)
}

// normalized returns r with an all-syscalls mask in its all-ones form.
func (r *Rule) normalized() *Rule {
	if !r.AllSyscalls() {
		return r
	}
	c := *r
	c.SetAllSyscalls()
	return &c
}

func itoa(n int) string { return strconv.Itoa(n) }
