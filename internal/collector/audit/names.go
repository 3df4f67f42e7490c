package audit

import (
	"strconv"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory/accounts"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// names resolves numeric user or group IDs, read once at start. Accounts
// added later resolve through the records' own names or stay numeric.
type names map[string]string

const accountsLimit = 16 << 20

func userNames(root hostfs.Root) names {
	n := names{}
	if b, err := root.ReadFile("/etc/passwd", accountsLimit); err == nil {
		var sk skipped.List
		users, _ := accounts.ParsePasswd("/etc/passwd", b, &sk)
		for _, u := range users {
			id := strconv.FormatUint(uint64(u.UID), 10)
			if _, dup := n[id]; !dup {
				n[id] = u.Name
			}
		}
	}
	return n
}

func groupNames(root hostfs.Root) names {
	n := names{}
	if b, err := root.ReadFile("/etc/group", accountsLimit); err == nil {
		var sk skipped.List
		groups, _ := accounts.ParseGroup("/etc/group", b, &sk)
		for _, g := range groups {
			id := strconv.FormatUint(uint64(g.GID), 10)
			if _, dup := n[id]; !dup {
				n[id] = g.Name
			}
		}
	}
	return n
}

func (n names) lookup(id string) (string, bool) {
	v, ok := n[id]
	return v, ok
}
