package fim

import (
	"fmt"
	"io/fs"
)

// Type is the kind of a file system entry.
type Type uint8

// Entry types.
const (
	TypeFile Type = iota + 1
	TypeDir
	TypeSymlink
	TypeFIFO
	TypeSocket
	TypeCharDevice
	TypeBlockDevice
)

// String returns the ECS file.type name.
func (t Type) String() string {
	switch t {
	case TypeFile:
		return "file"
	case TypeDir:
		return "dir"
	case TypeSymlink:
		return "symlink"
	case TypeFIFO:
		return "fifo"
	case TypeSocket:
		return "socket"
	case TypeCharDevice:
		return "char_device"
	case TypeBlockDevice:
		return "block_device"
	}
	return "unknown"
}

// typeOf maps a file mode to a Type.
func typeOf(m fs.FileMode) Type {
	switch {
	case m.IsRegular():
		return TypeFile
	case m.IsDir():
		return TypeDir
	case m&fs.ModeSymlink != 0:
		return TypeSymlink
	case m&fs.ModeNamedPipe != 0:
		return TypeFIFO
	case m&fs.ModeSocket != 0:
		return TypeSocket
	case m&fs.ModeCharDevice != 0:
		return TypeCharDevice
	case m&fs.ModeDevice != 0:
		return TypeBlockDevice
	}
	return 0
}

// Flags are notes about an entry's hash.
type Flags uint8

// Entry flags.
const (
	// FlagHashed says Hash holds the SHA-256 of the content.
	FlagHashed Flags = 1 << iota
	// FlagTooLarge says the file was larger than the scanner's maximum and
	// was not hashed.
	FlagTooLarge
	// FlagHashError says the file could not be read (permission, vanished).
	FlagHashError
)

const flagsKnown = FlagHashed | FlagTooLarge | FlagHashError

// Entry is what the baseline knows about one path.
type Entry struct {
	Path string // host path, absolute
	Type Type
	// Mode holds the permission bits with setuid, setgid and sticky (07777).
	Mode     uint32
	UID, GID uint32
	Size     int64
	// Mtime and Ctime are Unix times in nanoseconds.
	Mtime, Ctime int64
	Inode, Dev   uint64
	Hash         [32]byte
	Flags        Flags
	// Target is a symbolic link's target as stored.
	Target string
}

// Hashed reports whether the entry carries a content hash.
func (e *Entry) Hashed() bool { return e.Flags&FlagHashed != 0 }

// ModeString returns the permission bits in octal, e.g. "0644" or "4755".
func (e *Entry) ModeString() string { return fmt.Sprintf("%04o", e.Mode&0o7777) }

// sameMeta reports whether the metadata that reveals a content change is the
// same, so that the previous hash can be kept without reading the file.
func sameMeta(a, b *Entry) bool {
	return a.Type == b.Type && a.Size == b.Size && a.Mtime == b.Mtime && a.Ctime == b.Ctime &&
		a.Inode == b.Inode && a.Dev == b.Dev
}
