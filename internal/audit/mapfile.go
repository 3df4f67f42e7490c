package audit

import (
	"path"
	"strconv"

	"github.com/vigil-sec/vigil/internal/event"
)

// Open flags (asm-generic, x86_64 and aarch64 alike).
const (
	oAccMode = 0x3
	oCreat   = 0x40
	oTrunc   = 0x200
)

// mapFile maps a file syscall (usually from a watch rule, key= set) to a
// file event on the path its PATH records name.
func (m *Mapper) mapFile(ae *Event, sys *Record, name string) event.Event {
	action := fileOps[name]
	target, old := filePaths(ae)
	if action == "" {
		action = openAction(sys, name, target)
	}
	ev := m.mapGeneric(ae, sys, event.CategoryFile, fileActionType[action], action)
	cwd := ""
	if c := ae.First(TypeCWD); c != nil {
		cwd = c.Value("cwd")
	}
	if target != nil {
		ev.File = m.fileFrom(target, cwd)
		for _, k := range []string{"name", "inode", "mode", "ouid", "ogid", "nametype"} {
			if v, ok := target.Get(k); ok {
				ev.Auditd.Data[k] = v
			}
		}
	}
	if action == event.ActionMoved && old != nil {
		ev.Vigil = &event.Vigil{File: &event.VigilFile{Previous: m.fileFrom(old, cwd)}}
	}
	return ev
}

// filePaths picks the PATH record the syscall acted on (the CREATE or
// DELETE entry, else the first that is not a PARENT directory) and, for a
// rename, the old name (its DELETE entry).
func filePaths(ae *Event) (target, old *Record) {
	var created, deleted, normal *Record
	for _, r := range ae.Records {
		if r.Type != TypePath {
			continue
		}
		switch r.Value("nametype") {
		case "CREATE":
			if created == nil {
				created = r
			}
		case "DELETE":
			if deleted == nil {
				deleted = r
			}
		case "PARENT":
		default:
			if normal == nil {
				normal = r
			}
		}
	}
	switch {
	case created != nil:
		return created, deleted
	case deleted != nil:
		return deleted, nil
	}
	return normal, nil
}

// openAction decides what an open did from its flags: a write with O_CREAT
// of a new name is created, any other write is updated, a read is accessed.
func openAction(sys *Record, name string, target *Record) string {
	if target != nil && target.Value("nametype") == "CREATE" {
		return event.ActionCreated
	}
	arg := "a1"
	switch name {
	case "openat":
		arg = "a2"
	case "openat2":
		return event.ActionUpdated // flags are behind a pointer; watches fire on writes
	}
	flags, err := strconv.ParseUint(sys.Value(arg), 16, 64)
	if err != nil {
		return event.ActionUpdated
	}
	if flags&oAccMode == 0 && flags&(oCreat|oTrunc) == 0 {
		return ActionFileAccessed
	}
	return event.ActionUpdated
}

// fileFrom builds file.* from a PATH record; a relative name is joined to
// the working directory.
func (m *Mapper) fileFrom(r *Record, cwd string) *event.File {
	f := &event.File{Inode: r.Value("inode"), UID: r.Value("ouid"), GID: r.Value("ogid"), Device: r.Value("dev")}
	if n := r.Value("name"); n != "" && n != "(null)" {
		if !path.IsAbs(n) && cwd != "" {
			n = path.Join(cwd, n)
		}
		f.Path, f.Name, f.Directory = n, path.Base(n), path.Dir(n)
		if ext := path.Ext(f.Name); len(ext) > 1 && ext != f.Name {
			f.Extension = ext[1:]
		}
	}
	if mode, err := strconv.ParseUint(r.Value("mode"), 8, 32); err == nil {
		f.Mode = "0" + strconv.FormatUint(mode&0o7777, 8)
		if mode&0o7000 != 0 {
			f.Mode = strconv.FormatUint(mode&0o7777, 8)
		}
		f.Type = fileType(mode)
	}
	if f.UID != "" && m.UserName != nil {
		f.Owner, _ = m.UserName(f.UID)
	}
	if f.GID != "" && m.GroupName != nil {
		f.Group, _ = m.GroupName(f.GID)
	}
	return f
}

func fileType(mode uint64) string {
	switch mode & 0o170000 {
	case 0o100000:
		return "file"
	case 0o040000:
		return "dir"
	case 0o120000:
		return "symlink"
	case 0o010000:
		return "fifo"
	case 0o140000:
		return "socket"
	case 0o020000:
		return "char_device"
	case 0o060000:
		return "block_device"
	}
	return ""
}
