package sshkeys

import (
	"context"
	"errors"
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
	parsed := map[string][]Key{} // a file shared by several users is read once
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
			ks, done := parsed[file]
			if !done {
				ks = readKeys(root, file, &sk)
				parsed[file] = ks
			}
			for _, k := range ks {
				k.User = u.Name
				keys = append(keys, k)
			}
		}
	}
	return keys, sk, nil
}

func readKeys(root hostfs.Root, file string, sk *skipped.List) []Key {
	data, err := root.ReadFile(file, maxFile)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrInvalid) && !isNotDir(err) {
			sk.Add(file, 0, "unreadable: %v", err)
		}
		return nil
	}
	return Parse(file, data, sk)
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
