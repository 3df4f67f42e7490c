package audit

import (
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
	return event.Event{}, false
}

// mapStandalone maps an event without SYSCALL record: user-space messages
// and standalone kernel records.
func (m *Mapper) mapStandalone(ae *Event) (event.Event, bool) {
	return event.Event{}, false
}
