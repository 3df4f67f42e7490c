package fim

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// dirRef is an open directory: every entry of the walk is stat'ed and
// opened relative to the descriptor of the directory it was read from, never
// by path, so a directory swapped for a symbolic link during the scan
// cannot lead the walk elsewhere.
type dirRef = int

// fileRef is a file opened for hashing.
type fileRef = int

// openRootParent opens the directory holding the scan root at real path
// real and returns it with the root's name in it ("." for a root that is
// the top of the tree). The path up to the parent is the configured one and
// is resolved as such.
func openRootParent(real string, top bool) (dirRef, string, error) {
	dir, name := filepath.Dir(real), filepath.Base(real)
	if top {
		dir, name = real, "."
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, "", fmt.Errorf("open %s: %w", dir, err)
	}
	return fd, name, nil
}

// openLimit returns the process's limit of open descriptors.
func openLimit() int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<20 {
		return 1 << 20
	}
	return int(rl.Cur)
}

// dupDir returns a second descriptor of d, to keep it for a retry.
func dupDir(d dirRef) (dirRef, error) { return unix.FcntlInt(uintptr(d), unix.F_DUPFD_CLOEXEC, 0) }

func closeDir(d dirRef) { unix.Close(d) }

// statAt fills e from an lstat of name in parent. A vanished entry is
// errGone.
func statAt(parent dirRef, name string, e *Entry) error {
	var st unix.Stat_t
	if err := unix.Fstatat(parent, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return errGone
		}
		return fmt.Errorf("stat %s: %w", name, err)
	}
	fromStatT(e, &st)
	return nil
}

// checkOpened compares what fstat says of the descriptor fd, opened from an
// entry the walk stat'ed as want, with want: another device, inode or type
// is errChanged (and fd is closed); otherwise want is refreshed from it.
func checkOpened(fd int, name string, want *Entry) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return fmt.Errorf("stat %s: %w", name, err)
	}
	if st.Dev != want.Dev || st.Ino != want.Inode || typeOfMode(st.Mode) != want.Type {
		unix.Close(fd)
		return fmt.Errorf("%s: %w", name, errChanged)
	}
	fromStatT(want, &st)
	return nil
}

// openErr maps the errors of an open that refused to follow a link, or
// found no directory, to errChanged, and a vanished entry to errGone.
func openErr(name string, err error) error {
	switch err {
	case unix.ELOOP, unix.ENOTDIR, unix.ENXIO:
		return fmt.Errorf("open %s: %w", name, errChanged)
	case unix.ENOENT:
		return errGone
	}
	return fmt.Errorf("open %s: %w", name, err)
}

// openSubdir opens the directory name in parent without following a link:
// a link, a non-directory or nothing there is errGone.
func openSubdir(parent dirRef, name string) (dirRef, error) {
	fd, err := unix.Openat(parent, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	switch err {
	case nil:
		return fd, nil
	case unix.ELOOP, unix.ENOTDIR, unix.ENOENT:
		return -1, errGone
	}
	return -1, fmt.Errorf("open %s: %w", name, err)
}

// openDirAt opens the directory name in parent, the entry the walk
// stat'ed as want, without following a symbolic link, and checks that it
// is that directory (errChanged otherwise).
func openDirAt(parent dirRef, name string, want *Entry) (dirRef, error) {
	fd, err := unix.Openat(parent, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, openErr(name, err)
	}
	if err := checkOpened(fd, name, want); err != nil {
		return -1, err
	}
	return fd, nil
}

// openFileAt opens the regular file name in parent, the entry the walk
// stat'ed as want, without following a symbolic link, without blocking (a
// FIFO put in its place must not stall the walk) and, where allowed,
// without updating its access time. It checks that the open file is the
// one stat'ed (errChanged otherwise) and refreshes want from it, so that the
// hash and the recorded metadata belong to the same inode.
func openFileAt(parent dirRef, name string, want *Entry) (fileRef, error) {
	const flags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC
	fd, err := unix.Openat(parent, name, flags|unix.O_NOATIME, 0)
	if err == unix.EPERM {
		// O_NOATIME needs ownership or CAP_FOWNER.
		fd, err = unix.Openat(parent, name, flags, 0)
	}
	if err != nil {
		return -1, openErr(name, err)
	}
	if err := checkOpened(fd, name, want); err != nil {
		return -1, err
	}
	return fd, nil
}

func closeFile(f fileRef) { unix.Close(f) }

// readLinkAt returns the target of the symbolic link name in parent, the
// entry the walk stat'ed as want, read from the link it opened and checked
// (errChanged when another entry took its place).
func readLinkAt(parent dirRef, name string, want *Entry) (string, error) {
	fd, err := unix.Openat(parent, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", openErr(name, err)
	}
	if err := checkOpened(fd, name, want); err != nil {
		return "", err
	}
	defer unix.Close(fd)
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(fd, "", buf)
		if err != nil {
			return "", fmt.Errorf("readlink %s: %w", name, err)
		}
		if n < size || size >= maxPathLen {
			return string(buf[:n]), nil
		}
	}
}

// hashFile writes at most limit bytes of the open file f to h. A file that
// grew past limit while it was read is errFileTooLarge.
func hashFile(f fileRef, name string, h io.Writer, buf []byte, limit int64) (int64, error) {
	var total int64
	for {
		n, err := unix.Read(f, buf[:min(int64(len(buf)), limit+1-total)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return total, fmt.Errorf("read %s: %w", name, err)
		}
		if n <= 0 {
			return total, nil
		}
		if total+int64(n) > limit {
			return total, fmt.Errorf("%s: %w", name, errFileTooLarge)
		}
		h.Write(buf[:n])
		total += int64(n)
	}
}

// pseudoFS lists the magic numbers of file systems that hold no files worth
// watching (kernel state, not data); the walk does not enter them.
var pseudoFS = map[int64]bool{
	unix.PROC_SUPER_MAGIC:    true,
	unix.SYSFS_MAGIC:         true,
	unix.DEVPTS_SUPER_MAGIC:  true,
	unix.CGROUP_SUPER_MAGIC:  true,
	unix.CGROUP2_SUPER_MAGIC: true,
	unix.DEBUGFS_MAGIC:       true,
	unix.TRACEFS_MAGIC:       true,
	unix.SECURITYFS_MAGIC:    true,
	unix.BPF_FS_MAGIC:        true,
	unix.PSTOREFS_MAGIC:      true,
	unix.BINFMTFS_MAGIC:      true,
	unix.AUTOFS_SUPER_MAGIC:  true,
	unix.EFIVARFS_MAGIC:      true,
	unix.HUGETLBFS_MAGIC:     true,
	unix.SELINUX_MAGIC:       true,
	unix.NSFS_MAGIC:          true,
	0x62656570:               true, // configfs
	0x65735543:               true, // fusectl
	0x19800202:               true, // mqueue
}

// isPseudoFS reports whether the open directory d is on a pseudo file
// system.
func isPseudoFS(d dirRef) bool {
	var st unix.Statfs_t
	if err := unix.Fstatfs(d, &st); err != nil {
		return false
	}
	return pseudoFS[int64(st.Type)]
}

var direntBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// readDirStat lists the open directory d with getdents64 and stats each
// entry relative to it (fstatat straight from the getdents buffer: no path
// lookup and no allocation per entry; statx, even with only the fields the
// baseline compares, measured no faster on ext4: BenchmarkStatCall). skip is
// called first with each name (valid only during the call); fn is called
// with the entry, its Path unset, of each entry not skipped that could be
// stat'ed (valid only during the call). The number of entries that could not be stat'ed is returned.
func readDirStat(d dirRef, skip func(name []byte) bool, fn func(e *Entry)) (errs int64) {
	bp := direntBufs.Get().(*[]byte)
	defer direntBufs.Put(bp)
	buf := *bp
	var st unix.Stat_t
	// e is reused for every entry (fn does not keep it): one allocation per
	// directory, not per entry.
	var e Entry
	for {
		n, err := unix.Getdents(d, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return errs + 1
		}
		if n <= 0 {
			return errs
		}
		for off := 0; off+19 <= n; {
			reclen := int(binary.NativeEndian.Uint16(buf[off+16 : off+18]))
			if reclen < 19 || off+reclen > n {
				return errs + 1
			}
			name := buf[off+19 : off+reclen]
			off += reclen
			end := bytes.IndexByte(name, 0)
			if end <= 0 || (end == 1 && name[0] == '.') || (end == 2 && name[0] == '.' && name[1] == '.') {
				continue // no terminator, ".", ".."
			}
			if skip(name[:end]) {
				continue
			}
			// name[:end+1] is NUL-terminated: fstatat needs no copy.
			if err := fstatatNUL(d, &name[0], &st); err != nil {
				if err != unix.ENOENT {
					errs++
				}
				continue
			}
			e = Entry{}
			fromStatT(&e, &st)
			fn(&e)
		}
	}
}

func typeOfMode(m uint32) Type {
	switch m & unix.S_IFMT {
	case unix.S_IFREG:
		return TypeFile
	case unix.S_IFDIR:
		return TypeDir
	case unix.S_IFLNK:
		return TypeSymlink
	case unix.S_IFIFO:
		return TypeFIFO
	case unix.S_IFSOCK:
		return TypeSocket
	case unix.S_IFCHR:
		return TypeCharDevice
	case unix.S_IFBLK:
		return TypeBlockDevice
	}
	return 0
}

func fromStatT(e *Entry, st *unix.Stat_t) {
	e.Type = typeOfMode(st.Mode)
	e.Mode = st.Mode & 0o7777
	e.UID, e.GID = st.Uid, st.Gid
	e.Size = st.Size
	e.Mtime = st.Mtim.Nano()
	e.Ctime = st.Ctim.Nano()
	e.Inode = st.Ino
	e.Dev = st.Dev
}
