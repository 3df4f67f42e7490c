package tail

import "io/fs"

// Inode returns the inode number of a file, or 0 where the platform has none.
func Inode(fi fs.FileInfo) uint64 { return inode(fi) }
