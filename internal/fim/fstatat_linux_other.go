//go:build linux && !(amd64 || arm64)

package fim

import (
	"golang.org/x/sys/unix"
)

// fstatatNUL lstats the NUL-terminated name at name relative to dirfd.
func fstatatNUL(dirfd int, name *byte, st *unix.Stat_t) error {
	return unix.Fstatat(dirfd, unix.BytePtrToString(name), st, unix.AT_SYMLINK_NOFOLLOW)
}
