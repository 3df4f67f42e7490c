package audit

import (
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
)

// mapSyscall maps an event that has a SYSCALL record by what the syscall did.
func (m *Mapper) mapSyscall(ae *Event, sys *Record) (event.Event, bool) {
	name := SyscallName(sys.Value("arch"), sys.Value("syscall"))
	if name == "" {
		name = sys.Value("SYSCALL")
	}
	if name == "execve" || name == "execveat" || ae.First(TypeExecve) != nil {
		return m.mapExec(ae, sys)
	}
	switch name {
	case "init_module", "finit_module":
		return m.mapModule(ae, sys, event.ActionModuleLoaded, event.TypeStart), true
	case "delete_module":
		return m.mapModule(ae, sys, event.ActionModuleUnloaded, event.TypeEnd), true
	case "settimeofday", "clock_settime", "adjtimex", "clock_adjtime":
		return m.mapGeneric(ae, sys, event.CategoryConfiguration, event.TypeChange, ActionTimeChanged), true
	case "mount", "move_mount", "fsmount", "mount_setattr":
		return m.mapGeneric(ae, sys, event.CategoryConfiguration, event.TypeChange, ActionMounted), true
	case "umount2", "umount":
		return m.mapGeneric(ae, sys, event.CategoryConfiguration, event.TypeChange, ActionUnmounted), true
	case "connect":
		if ev, ok := m.mapConnect(ae, sys); ok {
			return ev, true
		}
	}
	if _, ok := fileOps[name]; ok && ae.First(TypePath) != nil {
		return m.mapFile(ae, sys, name), true
	}
	if ae.First(TypeTimeInjOffset) != nil || ae.First(TypeTimeAdjNTPVal) != nil {
		return m.mapGeneric(ae, sys, event.CategoryConfiguration, event.TypeChange, ActionTimeChanged), true
	}
	if key := sys.Value("key"); key != "" && key != "(null)" {
		// A syscall of a user-defined rule: keep it, named by the syscall.
		action := name
		if action == "" {
			action = "syscall"
		}
		return m.mapGeneric(ae, sys, event.CategoryProcess, event.TypeInfo, action), true
	}
	return event.Event{}, false
}

// mapGeneric maps a syscall event with its actor and all records' fields.
func (m *Mapper) mapGeneric(ae *Event, sys *Record, category, typ, action string) event.Event {
	ev := m.newEvent(ae, sys, category, typ, action)
	syscallData(ev.Auditd.Data, sys)
	for _, r := range ae.Records {
		if r != sys && r.Type != TypeEOE {
			addData(ev.Auditd.Data, r, false)
		}
	}
	m.actor(&ev, sys)
	if pt := ae.First(TypeProctitle); pt != nil && ev.Process != nil {
		ev.Process.Title = strings.ReplaceAll(pt.Value("proctitle"), "\x00", " ")
	}
	return ev
}

// mapModule maps init_module, finit_module and delete_module; the module's
// name comes from the KERN_MODULE record.
func (m *Mapper) mapModule(ae *Event, sys *Record, action, typ string) event.Event {
	ev := m.mapGeneric(ae, sys, event.CategoryDriver, typ, action)
	if km := ae.First(TypeKernModule); km != nil {
		if n := km.Value("name"); n != "" {
			ev.Vigil = &event.Vigil{Module: &event.Module{Name: n}}
		}
	}
	return ev
}

// mapConnect maps connect() to an IPv4 or IPv6 destination; other families
// (unix, netlink) are not mapped. A non-blocking connect in progress
// (EINPROGRESS) counts as success.
func (m *Mapper) mapConnect(ae *Event, sys *Record) (event.Event, bool) {
	sr := ae.First(TypeSockaddr)
	if sr == nil {
		return event.Event{}, false
	}
	sa, ok := ParseSockaddr(sr.Value("saddr"))
	if !ok || (sa.Family != "ipv4" && sa.Family != "ipv6") {
		return event.Event{}, false
	}
	ev := m.mapGeneric(ae, sys, event.CategoryNetwork, event.TypeConnection, event.ActionConnectionOpened)
	ev.Destination = &event.Endpoint{IP: sa.Addr.String(), Port: new(int64(sa.Port))}
	ev.Network = &event.Network{Type: sa.Family, Direction: event.DirectionEgress}
	addRelatedIP(&ev, ev.Destination.IP)
	if sys.Value("exit") == "-115" {
		ev.Event.Outcome = event.OutcomeSuccess
	}
	d := ev.Auditd.Data
	d["family"], d["addr"], d["port"] = sa.Family, ev.Destination.IP, strconv.Itoa(sa.Port)
	return ev, true
}

// fileOps maps file syscalls to file actions. Opens are decided by their
// flags (fileOpenAction).
var fileOps = map[string]string{
	"unlink": event.ActionDeleted, "unlinkat": event.ActionDeleted, "rmdir": event.ActionDeleted,
	"rename": event.ActionMoved, "renameat": event.ActionMoved, "renameat2": event.ActionMoved,
	"chmod": event.ActionAttributesModified, "fchmod": event.ActionAttributesModified,
	"fchmodat": event.ActionAttributesModified, "fchmodat2": event.ActionAttributesModified,
	"chown": event.ActionAttributesModified, "fchown": event.ActionAttributesModified,
	"lchown": event.ActionAttributesModified, "fchownat": event.ActionAttributesModified,
	"setxattr": event.ActionAttributesModified, "lsetxattr": event.ActionAttributesModified,
	"fsetxattr": event.ActionAttributesModified, "removexattr": event.ActionAttributesModified,
	"lremovexattr": event.ActionAttributesModified, "fremovexattr": event.ActionAttributesModified,
	"utimensat": event.ActionAttributesModified,
	"truncate":  event.ActionUpdated, "ftruncate": event.ActionUpdated, "write": event.ActionUpdated,
	"creat": event.ActionCreated, "link": event.ActionCreated, "linkat": event.ActionCreated,
	"symlink": event.ActionCreated, "symlinkat": event.ActionCreated, "mkdir": event.ActionCreated,
	"mkdirat": event.ActionCreated, "mknod": event.ActionCreated, "mknodat": event.ActionCreated,
	"open": "", "openat": "", "openat2": "",
}

var fileActionType = map[string]string{
	event.ActionCreated: event.TypeCreation, event.ActionDeleted: event.TypeDeletion,
	event.ActionUpdated: event.TypeChange, event.ActionAttributesModified: event.TypeChange,
	event.ActionMoved: event.TypeChange, ActionFileAccessed: event.TypeAccess,
}
