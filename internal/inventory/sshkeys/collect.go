package sshkeys

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"strings"
	"syscall"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory/accounts"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// DefaultPatterns is sshd's default AuthorizedKeysFile.
var DefaultPatterns = []string{".ssh/authorized_keys", ".ssh/authorized_keys2"}

// maxFile bounds one authorized_keys file.
const maxFile = 4 << 20

// Collect reads the authorized_keys files of users below root. patterns are
// sshd AuthorizedKeysFile values (nil means DefaultPatterns): %h is the home
// directory, %u the user name, %% a percent sign, and a relative pattern is
// taken from the home directory. Missing files are normal and not recorded;
// unreadable ones are.
func Collect(ctx context.Context, root hostfs.Root, users []accounts.User, patterns []string) ([]Key, skipped.List, error) {
	if patterns == nil {
		patterns = DefaultPatterns
	}
	var sk skipped.List
	var keys []Key
	parsed := map[string]keyFile{} // a file shared by several users is read once
	for _, u := range users {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		seen := map[string]bool{}
		for _, pat := range patterns {
			file, ok := Expand(pat, u.Name, u.Home)
			if !ok || seen[file] {
				continue
			}
			seen[file] = true
			kf, done := parsed[file]
			if !done {
				kf = readKeys(root, file, &sk)
				parsed[file] = kf
			}
			if root.IsLive() && len(kf.keys) > 0 && !kf.readableBy(u) {
				// The agent reads as root; sshd reads as the user. A link
				// from a user's file to a file the user cannot read must
				// not put its keys under that user's name. (Owners in a
				// fixture tree are whoever checked it out: not checked.)
				sk.Add(file, 0, "not readable by %s (owner uid %d, mode %04o): keys not attributed", u.Name, kf.uid, kf.mode)
				continue
			}
			for _, k := range kf.keys {
				k.User = u.Name
				keys = append(keys, k)
			}
		}
	}
	return keys, sk, nil
}

// keyFile is one parsed authorized_keys file with the owner and mode of the
// file actually opened (after symbolic links).
type keyFile struct {
	keys     []Key
	uid, gid uint32
	mode     fs.FileMode
}

// readableBy reports whether u could read the file itself, as sshd does when
// it opens the file with the user's privileges.
func (kf keyFile) readableBy(u accounts.User) bool {
	switch {
	case u.UID == 0, kf.mode&0o004 != 0:
		return true
	case kf.uid == u.UID:
		return kf.mode&0o400 != 0
	case kf.gid == u.GID:
		return kf.mode&0o040 != 0
	}
	return false
}

func readKeys(root hostfs.Root, file string, sk *skipped.List) keyFile {
	f, err := root.Open(file)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrInvalid) && !isNotDir(err) {
			sk.Add(file, 0, "unreadable: %v", err)
		}
		return keyFile{}
	}
	defer f.Close()
	var kf keyFile
	if fi, err := f.Stat(); err == nil {
		kf.mode = fi.Mode().Perm()
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			kf.uid, kf.gid = st.Uid, st.Gid
		}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		sk.Add(file, 0, "unreadable: %v", err)
		return kf
	}
	if len(data) > maxFile {
		sk.Add(file, 0, "larger than %d bytes; not read", maxFile)
		return kf
	}
	kf.keys = Parse(file, data, sk)
	return kf
}

// isNotDir reports ENOTDIR, as when a home directory is a file.
func isNotDir(err error) bool {
	return errors.Is(err, syscall.ENOTDIR)
}

// Expand turns an AuthorizedKeysFile pattern into a path for one user. It
// reports false for "none", an unknown %-escape, or an empty home with a
// relative pattern.
func Expand(pattern, user, home string) (string, bool) {
	if pattern == "none" || pattern == "" {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(pattern) {
			return "", false
		}
		i++
		switch pattern[i] {
		case '%':
			b.WriteByte('%')
		case 'h':
			b.WriteString(home)
		case 'u':
			b.WriteString(user)
		default:
			return "", false
		}
	}
	p := b.String()
	if !path.IsAbs(p) {
		if home == "" {
			return "", false
		}
		p = path.Join(home, p)
	}
	return path.Clean(p), true
}
