package accounts

import (
	"slices"
	"sort"
)

// Duplicate is an ID shared by several names.
type Duplicate struct {
	ID    uint32   `json:"id"`
	Names []string `json:"names"`
}

// DuplicateUIDs returns the UIDs held by more than one passwd entry, by ID.
func (a Accounts) DuplicateUIDs() []Duplicate {
	ids := make([]uint32, len(a.Users))
	names := make([]string, len(a.Users))
	for i, u := range a.Users {
		ids[i], names[i] = u.UID, u.Name
	}
	return duplicates(ids, names)
}

// DuplicateGIDs returns the GIDs held by more than one group entry, by ID.
func (a Accounts) DuplicateGIDs() []Duplicate {
	ids := make([]uint32, len(a.Groups))
	names := make([]string, len(a.Groups))
	for i, g := range a.Groups {
		ids[i], names[i] = g.GID, g.Name
	}
	return duplicates(ids, names)
}

func duplicates(ids []uint32, names []string) []Duplicate {
	by := make(map[uint32][]string)
	for i, id := range ids {
		by[id] = append(by[id], names[i])
	}
	var out []Duplicate
	for id, n := range by {
		if len(n) > 1 {
			out = append(out, Duplicate{ID: id, Names: n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// DuplicateUserNames returns user names that appear more than once in passwd.
func (a Accounts) DuplicateUserNames() []string {
	names := make([]string, len(a.Users))
	for i, u := range a.Users {
		names[i] = u.Name
	}
	return repeated(names)
}

// DuplicateGroupNames returns group names that appear more than once in group.
func (a Accounts) DuplicateGroupNames() []string {
	names := make([]string, len(a.Groups))
	for i, g := range a.Groups {
		names[i] = g.Name
	}
	return repeated(names)
}

func repeated(names []string) []string {
	count := make(map[string]int, len(names))
	var out []string
	for _, n := range names {
		count[n]++
		if count[n] == 2 {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// UIDZero returns the names of accounts with UID 0, in file order.
func (a Accounts) UIDZero() []string {
	var out []string
	for _, u := range a.Users {
		if u.UID == 0 {
			out = append(out, u.Name)
		}
	}
	return out
}

// MissingPrimaryGroup returns the users whose primary GID has no group entry.
func (a Accounts) MissingPrimaryGroup() []User {
	gids := make(map[uint32]bool, len(a.Groups))
	for _, g := range a.Groups {
		gids[g.GID] = true
	}
	var out []User
	for _, u := range a.Users {
		if !gids[u.GID] {
			out = append(out, u)
		}
	}
	return out
}

// User returns the first passwd entry named name.
func (a Accounts) User(name string) (User, bool) {
	for _, u := range a.Users {
		if u.Name == name {
			return u, true
		}
	}
	return User{}, false
}

// Group returns the first group entry named name.
func (a Accounts) Group(name string) (Group, bool) {
	for _, g := range a.Groups {
		if g.Name == name {
			return g, true
		}
	}
	return Group{}, false
}
