package fim

import (
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// fillStat copies the fields of fi into e.
func fillStat(e *Entry, fi fs.FileInfo) {
	e.Type = typeOf(fi.Mode())
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		e.Mode = uint32(fi.Mode().Perm())
		e.Size = fi.Size()
		e.Mtime = fi.ModTime().UnixNano()
		return
	}
	e.Mode = st.Mode & 0o7777
	e.UID, e.GID = st.Uid, st.Gid
	e.Size = st.Size
	e.Mtime = st.Mtim.Nano()
	e.Ctime = st.Ctim.Nano()
	e.Inode = st.Ino
	e.Dev = st.Dev
}

// openRead opens a file for hashing without following a symbolic link and,
// where allowed, without updating its access time.
func openRead(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NOATIME, 0)
	if err != nil {
		// O_NOATIME needs ownership or CAP_FOWNER.
		f, err = os.OpenFile(name, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	}
	return f, err
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

// isPseudoFS reports whether the directory at real path dir is on a pseudo
// file system.
func isPseudoFS(dir string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false
	}
	return pseudoFS[int64(st.Type)]
}

// readDirStat lists the directory at real path dir and lstats each entry
// relative to the open directory (fstatat), which saves a path lookup per
// entry. fn is called for each entry that could be stat'ed; the number of
// entries that could not is returned.
func readDirStat(dir string, skip func(name string) bool, fn func(name string, e *Entry)) (errs int64) {
	f, err := os.Open(dir)
	if err != nil {
		return 1
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		errs++
	}
	fd := int(f.Fd())
	var st unix.Stat_t
	for _, name := range names {
		if skip(name) {
			continue
		}
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if err != unix.ENOENT {
				errs++
			}
			continue
		}
		var e Entry
		fromStatT(&e, &st)
		fn(name, &e)
	}
	return errs
}

func fromStatT(e *Entry, st *unix.Stat_t) {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		e.Type = TypeFile
	case unix.S_IFDIR:
		e.Type = TypeDir
	case unix.S_IFLNK:
		e.Type = TypeSymlink
	case unix.S_IFIFO:
		e.Type = TypeFIFO
	case unix.S_IFSOCK:
		e.Type = TypeSocket
	case unix.S_IFCHR:
		e.Type = TypeCharDevice
	case unix.S_IFBLK:
		e.Type = TypeBlockDevice
	}
	e.Mode = st.Mode & 0o7777
	e.UID, e.GID = st.Uid, st.Gid
	e.Size = st.Size
	e.Mtime = st.Mtim.Nano()
	e.Ctime = st.Ctim.Nano()
	e.Inode = st.Ino
	e.Dev = st.Dev
}
