//go:build linux && (amd64 || arm64)

package fim

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// fstatatNUL is unix.Fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) without
// the copy of the name into a new NUL-terminated buffer (one allocation
// per entry of a walk): name points at a NUL-terminated name, here in the
// getdents buffer. On these architectures unix.Stat_t is the kernel's
// struct stat of newfstatat.
func fstatatNUL(dirfd int, name *byte, st *unix.Stat_t) error {
	_, _, e := unix.Syscall6(unix.SYS_NEWFSTATAT, uintptr(dirfd), uintptr(unsafe.Pointer(name)),
		uintptr(unsafe.Pointer(st)), unix.AT_SYMLINK_NOFOLLOW, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
