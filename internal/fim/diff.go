package fim

import (
	"slices"
	"strings"
)

// Change actions, equal to the event.Action* names.
const (
	Created            = "created"
	Updated            = "updated"
	Deleted            = "deleted"
	AttributesModified = "attributes_modified"
	Moved              = "moved"
)

// Change is one difference between two baselines.
type Change struct {
	Action string
	// Old is the entry before (nil for created); for a move, Old.Path is the
	// old path.
	Old *Entry
	// New is the entry after (nil for deleted).
	New *Entry
}

// Path returns the path the change is about (the new path of a move).
func (c Change) Path() string {
	if c.New != nil {
		return c.New.Path
	}
	return c.Old.Path
}

type inodeKey struct {
	dev, ino uint64
	typ      Type
}

// Diff compares two baselines of the same paths and returns the changes,
// sorted by path. A path that disappeared while an entry of the same type
// and content appeared with its device and inode under another path is
// reported once, as moved.
func Diff(prev, next *Baseline) []Change {
	var out []Change
	var created []*Entry
	matched := 0
	for p, cur := range next.entries {
		old, ok := prev.entries[p]
		if !ok {
			n := cur
			created = append(created, &n)
			continue
		}
		matched++
		if a := compare(&old, &cur); a != "" {
			o, n := old, cur
			out = append(out, Change{Action: a, Old: &o, New: &n})
		}
	}
	var gone []*Entry
	if matched < len(prev.entries) {
		for p, old := range prev.entries {
			if _, ok := next.entries[p]; !ok {
				o := old
				gone = append(gone, &o)
			}
		}
	}
	return resolveMoves(out, created, gone)
}

// resolveMoves adds the created and deleted entries to out, pairing a
// deleted and a created entry with the same inode and content as one move,
// and sorts out by path.
func resolveMoves(out []Change, created, gone []*Entry) []Change {
	// Entries that disappeared, indexed by inode; hard links share one.
	byInode := map[inodeKey][]int{}
	for i, o := range gone {
		k := inodeKey{o.Dev, o.Inode, o.Type}
		byInode[k] = append(byInode[k], i)
	}
	for _, n := range created {
		if i := takeMoved(byInode, gone, n); i >= 0 {
			out = append(out, Change{Action: Moved, Old: gone[i], New: n})
			gone[i] = nil
			continue
		}
		out = append(out, Change{Action: Created, New: n})
	}
	for _, o := range gone {
		if o != nil {
			out = append(out, Change{Action: Deleted, Old: o})
		}
	}
	slices.SortFunc(out, func(a, b Change) int { return strings.Compare(a.Path(), b.Path()) })
	return out
}

// takeMoved returns the index in gone of an entry that n was moved from,
// removing it from byInode, or -1.
func takeMoved(byInode map[inodeKey][]int, gone []*Entry, n *Entry) int {
	if n.Inode == 0 {
		return -1
	}
	k := inodeKey{n.Dev, n.Inode, n.Type}
	idx := byInode[k]
	for j, i := range idx {
		if sameContent(gone[i], n) {
			byInode[k] = append(idx[:j:j], idx[j+1:]...)
			return i
		}
	}
	return -1
}

// sameContent reports whether a moved entry kept its content.
func sameContent(a, b *Entry) bool {
	if a.Type != b.Type || a.Target != b.Target {
		return false
	}
	if a.Type != TypeFile {
		return true
	}
	if a.Hashed() && b.Hashed() {
		return a.Hash == b.Hash
	}
	return a.Size == b.Size
}

// compare returns the action for an entry present in both baselines, or ""
// when nothing worth reporting changed. Content (type, hash, size, link
// target) makes an update; mode, owner, mtime or inode alone make an
// attribute change; a ctime-only change is not reported (link counts and
// the like move it). For directories size and mtime follow the children,
// which are reported themselves, so only mode and owner count.
func compare(old, cur *Entry) string {
	if old.Type != cur.Type || old.Target != cur.Target {
		return Updated
	}
	if cur.Type == TypeFile {
		if old.Size != cur.Size {
			return Updated
		}
		if old.Hashed() && cur.Hashed() && old.Hash != cur.Hash {
			return Updated
		}
		// A file too large to hash changed content when its mtime moved.
		if cur.Flags&FlagTooLarge != 0 && old.Mtime != cur.Mtime {
			return Updated
		}
	}
	if old.Mode != cur.Mode || old.UID != cur.UID || old.GID != cur.GID {
		return AttributesModified
	}
	if cur.Type != TypeDir && (old.Mtime != cur.Mtime || old.Inode != cur.Inode || old.Dev != cur.Dev) {
		return AttributesModified
	}
	return ""
}
