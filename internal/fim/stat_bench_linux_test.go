package fim

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkStatCall compares the system calls a walk could stat entries
// with, relative to their open directory, over the entries of /usr/bin (the
// choice of fstatat in readDirStat rests on it): fstatat, statx with every
// basic field, and statx with only the fields the baseline compares.
func BenchmarkStatCall(b *testing.B) {
	const dir = "/usr/bin"
	names, err := os.ReadDir(dir)
	if err != nil || len(names) == 0 {
		b.Skipf("no %s: %v", dir, err)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fd)
	// NUL-terminated names, as the getdents buffer holds them.
	var cnames [][]byte
	for _, n := range names {
		cnames = append(cnames, append([]byte(filepath.Base(n.Name())), 0))
	}
	const reduced = unix.STATX_TYPE | unix.STATX_MODE | unix.STATX_UID | unix.STATX_GID |
		unix.STATX_SIZE | unix.STATX_MTIME | unix.STATX_CTIME | unix.STATX_INO
	calls := []struct {
		name string
		stat func(name []byte) error
	}{
		{"fstatat", func(name []byte) error {
			var st unix.Stat_t
			return fstatatNUL(fd, &name[0], &st)
		}},
		{"statx_basic", func(name []byte) error {
			var stx unix.Statx_t
			return unix.Statx(fd, string(name[:len(name)-1]), unix.AT_SYMLINK_NOFOLLOW, unix.STATX_BASIC_STATS, &stx)
		}},
		{"statx_reduced", func(name []byte) error {
			var stx unix.Statx_t
			return unix.Statx(fd, string(name[:len(name)-1]), unix.AT_SYMLINK_NOFOLLOW|unix.AT_STATX_DONT_SYNC, reduced, &stx)
		}},
	}
	for _, c := range calls {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				if err := c.stat(cnames[i%len(cnames)]); err != nil && err != unix.ENOENT {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
