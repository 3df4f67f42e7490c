package fim

import (
	"context"
	"encoding/hex"
	"fmt"
	"path"
	"strconv"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory/accounts"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// Dataset is the event.dataset of file integrity events.
const Dataset = event.DatasetPrefix + "fim"

// Actor is who made a change, when known.
type Actor struct {
	User    *event.User
	Process *event.Process
}

// ActorResolver joins the user and process that changed a file, typically
// from audit file-watch records. Actor must not block (it answers from what
// it has already seen) and returns false when it does not know; the event is
// then emitted without an actor.
type ActorResolver interface {
	Actor(path string, at time.Time) (Actor, bool)
}

// Names maps numeric owners to names.
type Names struct {
	Users  map[uint32]string
	Groups map[uint32]string
}

// maxAccountsFile bounds /etc/passwd and /etc/group.
const maxAccountsFile = 16 << 20

// LoadNames reads the host's /etc/passwd and /etc/group through root. A
// missing file gives empty names, not an error.
func LoadNames(_ context.Context, root hostfs.Root) Names {
	n := Names{Users: map[uint32]string{}, Groups: map[uint32]string{}}
	var sk skipped.List
	if data, err := root.ReadFile("/etc/passwd", maxAccountsFile); err == nil {
		users, _ := accounts.ParsePasswd("/etc/passwd", data, &sk)
		for _, u := range users {
			if _, dup := n.Users[u.UID]; !dup {
				n.Users[u.UID] = u.Name
			}
		}
	}
	if data, err := root.ReadFile("/etc/group", maxAccountsFile); err == nil {
		groups, _ := accounts.ParseGroup("/etc/group", data, &sk)
		for _, g := range groups {
			if _, dup := n.Groups[g.GID]; !dup {
				n.Groups[g.GID] = g.Name
			}
		}
	}
	return n
}

// FileOf returns the ECS file object of an entry.
func FileOf(e *Entry, names Names) *event.File {
	f := &event.File{
		Path:       e.Path,
		Name:       path.Base(e.Path),
		Directory:  path.Dir(e.Path),
		Type:       e.Type.String(),
		Mode:       e.ModeString(),
		UID:        strconv.FormatUint(uint64(e.UID), 10),
		GID:        strconv.FormatUint(uint64(e.GID), 10),
		Owner:      names.Users[e.UID],
		Group:      names.Groups[e.GID],
		Mtime:      time.Unix(0, e.Mtime).UTC(),
		Inode:      strconv.FormatUint(e.Inode, 10),
		Device:     strconv.FormatUint(e.Dev, 10),
		TargetPath: e.Target,
	}
	if e.Ctime != 0 {
		f.Ctime = time.Unix(0, e.Ctime).UTC()
	}
	if e.Type == TypeFile {
		if ext := path.Ext(f.Name); ext != "" && ext != f.Name {
			f.Extension = ext[1:]
		}
		f.Size = new(e.Size)
	}
	if e.Hashed() {
		f.Hash = &event.Hash{SHA256: hex.EncodeToString(e.Hash[:])}
	}
	return f
}

// Event turns a change into a file event observed at now. maxFileSize is
// quoted in the note of a file too large to hash.
func (c Change) Event(now time.Time, names Names, maxFileSize int64) event.Event {
	typ := event.TypeChange
	switch c.Action {
	case Created:
		typ = event.TypeCreation
	case Deleted:
		typ = event.TypeDeletion
	}
	ev := event.Event{
		Timestamp: now,
		Event: event.Meta{
			ID:   event.NewID(now),
			Kind: event.KindEvent, Category: []string{event.CategoryFile}, Type: []string{typ},
			Action: c.Action, Outcome: event.OutcomeSuccess, Dataset: Dataset,
		},
	}
	cur := c.New
	if cur == nil {
		cur = c.Old
	}
	ev.File = FileOf(cur, names)
	if c.New != nil && c.Old != nil {
		ev.Vigil = &event.Vigil{File: &event.VigilFile{Previous: FileOf(c.Old, names)}}
	}
	switch {
	case c.New != nil && c.New.Flags&FlagTooLarge != 0:
		ev.Message = fmt.Sprintf("file %s %s; not hashed: larger than max_file_size (%d > %d bytes)",
			cur.Path, c.Action, cur.Size, maxFileSize)
	case c.New != nil && c.New.Flags&FlagHashError != 0:
		ev.Message = fmt.Sprintf("file %s %s; not hashed: could not be read", cur.Path, c.Action)
	case c.Action == Moved:
		ev.Message = fmt.Sprintf("file %s moved to %s", c.Old.Path, c.New.Path)
	default:
		ev.Message = fmt.Sprintf("file %s %s", cur.Path, c.Action)
	}
	return ev
}
