// Package fim is vigil's file integrity engine: a baseline of file metadata
// and SHA-256 hashes, a parallel scanner that builds and refreshes it, a
// diff that turns two baselines into created, updated, deleted,
// attributes_modified and moved changes (and those into ECS file events),
// and realtime watchers (fanotify, inotify) that say which paths to look at.
// The agent's "fim" collector (internal/collector/fim) drives it.
//
// # Baseline storage
//
// One binary file, rewritten atomically (temp file, fsync, rename): sorted
// records with prefix-compressed paths and varint fields, a CRC-32C at the
// end (a torn or damaged file is detected and the baseline rebuilt). Chosen
// by BenchmarkStore at 160,000 entries (the size of /usr here; 2 vCPU):
//
//	format   save     load     size
//	binary   0.29 s   0.21 s   10.8 MiB   (save includes fsync)
//	gob      1.14 s   0.55 s   23.3 MiB
//	JSON     1.36 s   1.55 s   48.7 MiB
//	SQLite   1.87 s   0.39 s   25.5 MiB   (modernc.org/sqlite, one transaction, WAL)
//
// The whole baseline lives in memory while the agent runs (a map of about
// 25 MB for 160k entries), so SQLite's random access buys nothing; the
// collector saves at most once a minute and at exit.
//
// # Scanning
//
// Walkers (one per CPU) read directories and fstatat each entry relative to
// the open directory. Nothing is opened by path: each directory and file is
// opened relative to the descriptor of the directory it was listed in
// (openat with O_NOFOLLOW, and O_DIRECTORY or O_NONBLOCK), and fstat of the
// new descriptor must show the device, inode and type the walk stat'ed, so
// a user who swaps a directory they own for a link to another tree during a
// scan gets nothing of that tree into the baseline. An entry that changed
// between the stat and the open is looked at again after the walk (up to
// three rounds, Stats.Raced), never hashed in the place of another. A path
// below a watched directory scanned on its own (after a realtime notice) is
// reached from that directory one openat at a time, without following
// links; only the configured paths themselves are opened by path.
// Hashers (one per CPU) read files with a 1 MiB buffer
// into crypto/sha256 (SHA-NI: ~1.8 GB/s per core, so the cost is I/O and
// syscalls). A file whose size, mtime, ctime, inode and device match the
// previous baseline keeps its hash unread, which makes a rescan of an
// unchanged tree a metadata walk; a full rehash can be forced. Files above
// Options.MaxFileSize (1 GiB by default) are recorded unhashed with
// FlagTooLarge, and their events say so. Symbolic links are recorded, not
// followed; walks do not enter pseudo file systems (proc, sysfs, cgroup,
// debugfs, ...) mounted below a watched path. The metadata of a hashed file
// is taken from the opened descriptor, so hash and metadata always belong to
// the same inode.
//
// Scanner.Rescan compares with the previous baseline during the walk (one
// map lookup per entry it does anyway) instead of a separate Diff pass,
// which cost a fifth of a rescan. The result starts as a copy of the
// previous map and only entries that differ are written; an unchanged entry
// costs no allocation (it is stat'ed from the getdents buffer and keeps the
// previous path string). Measured on /usr (156,341 entries, 6.03 GB, 2 vCPU,
// warm cache, busy machine; bench/fim_vs_aide): baseline 6.1-6.6 s of CPU,
// rescan of the unchanged tree 0.61-0.63 s (about 10x; 0.75-0.93 s before
// these changes); 74% of the rescan is fstatat, getdents64 and the open of
// each directory in the kernel, so the ratio cannot go much higher while
// SHA-NI makes hashing cheap. AIDE's --init costs 6-7x the CPU of vigil's
// baseline.
//
// # Changes
//
// Content (hash, size, type, link target) changing is "updated"; mode,
// owner, mtime or inode alone is "attributes_modified"; ctime alone is
// ignored; directories only report mode and owner (their size and mtime
// follow their children, which are reported themselves). A path that
// disappeared while an entry with the same device, inode, type and content
// appeared elsewhere is one "moved".
//
// # Realtime
//
// fanotify with FAN_MARK_FILESYSTEM and FAN_REPORT_DFID_NAME (needs
// CAP_SYS_ADMIN): one mark per file system covers every directory, with no
// watch limit; directory handles are resolved with open_by_handle_at (the
// mount descriptor must not be O_PATH: the kernel answers EBADF) and events
// outside the watched paths are dropped. inotify otherwise: one watch per
// directory, new directories watched as they appear; beyond the watch limit
// the rest is left to scheduled scans and counted (Watcher.Unwatched). Both
// report a queue overflow as a Notice with Overflow set, after which only a
// rescan can tell what changed.
package fim
