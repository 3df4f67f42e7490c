package rules

import (
	"fmt"
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rules/sigma"
)

// Virtual fields computed from an event rather than read from one ECS path.
const (
	// fieldInitiated is "true" for an outgoing connection (network.direction
	// egress or outbound), "false" for an incoming one.
	fieldInitiated = "vigil:initiated"
	// fieldAuditType lists the audit record types the event was built from.
	fieldAuditType = "vigil:audit.type"
	// fieldAuditArg prefixes "vigil:audit.arg.N": argument N of an exec.
	fieldAuditArg = "vigil:audit.arg."
	// fieldMessage is the text keyword searches read.
	fieldMessage = "message"
)

// Taxonomy maps for the Sigma Linux log sources. docs/sigma.md shows the same
// tables; keep them in step.
var (
	processFields = map[string][]string{
		"Image":             {"process.executable"},
		"CommandLine":       {"process.command_line"},
		"ParentImage":       {"process.parent.executable"},
		"ParentCommandLine": {"process.parent.command_line"},
		"User":              {"user.name"},
		"LogonId":           {"user.audit.id"},
		"CurrentDirectory":  {"process.working_directory"},
		"ProcessId":         {"process.pid"},
		"ParentProcessId":   {"process.parent.pid", "process.ppid"},
		"ProcessGuid":       {"process.entity_id"},
		"ParentProcessGuid": {"process.parent.entity_id"},
		"OriginalFileName":  {"process.name"},
		"ParentUser":        {"user.audit.name"},
		"TerminalSessionId": {"auditd.session"},
	}
	fileFields = map[string][]string{
		"TargetFilename": {"file.path"},
		"Image":          {"process.executable"},
		"User":           {"user.name"},
		"ProcessId":      {"process.pid"},
		"CommandLine":    {"process.command_line"},
		"SourceFilename": {"vigil.file.previous.path"},
	}
	networkFields = map[string][]string{
		"DestinationIp":       {"destination.ip"},
		"DestinationPort":     {"destination.port"},
		"DestinationHostname": {"destination.domain"},
		"SourceIp":            {"source.ip"},
		"SourcePort":          {"source.port"},
		"SourceHostname":      {"source.domain"},
		"Initiated":           {fieldInitiated},
		"Protocol":            {"network.transport"},
		"Image":               {"process.executable"},
		"CommandLine":         {"process.command_line"},
		"User":                {"user.name"},
		"ProcessId":           {"process.pid"},
	}
	// auditFields are the raw audit names that have an ECS home too: the raw
	// field is read first, the ECS one when the collector did not keep it.
	auditFields = map[string][]string{
		"type":    {fieldAuditType},
		"exe":     {"auditd.data.exe", "process.executable"},
		"comm":    {"auditd.data.comm", "process.name"},
		"name":    {"auditd.data.name", "file.path"},
		"cwd":     {"auditd.data.cwd", "process.working_directory"},
		"pid":     {"auditd.data.pid", "process.pid"},
		"ppid":    {"auditd.data.ppid", "process.parent.pid"},
		"uid":     {"auditd.data.uid", "user.id"},
		"euid":    {"auditd.data.euid", "user.effective.id"},
		"auid":    {"auditd.data.auid", "user.audit.id"},
		"gid":     {"auditd.data.gid", "user.group.id"},
		"egid":    {"auditd.data.egid", "user.effective.group.id"},
		"ses":     {"auditd.data.ses", "auditd.session"},
		"SYSCALL": {"auditd.data.syscall"},
		"syscall": {"auditd.data.syscall"},
		"key":     {"auditd.data.key"},
		"argc":    {"auditd.data.argc", "process.args_count"},
		"success": {"auditd.data.success"},
		"res":     {"auditd.data.res", "auditd.result"},
	}
	// serviceFields are the fields of builtin services whose log lines the
	// login collector splits into ECS fields.
	serviceFields = map[string]map[string][]string{
		"sudo": {
			"USER":    {"user.effective.name"},
			"COMMAND": {"process.command_line"},
			"PWD":     {"process.working_directory"},
			"TTY":     {"user.terminal"},
		},
	}
	// builtinPrograms are the program names (process.name of a log line) a
	// builtin service selects; a service not listed selects its own name.
	builtinPrograms = map[string][]string{
		"sshd":      {"sshd", "sshd-session"},
		"sudo":      {"sudo"},
		"su":        {"su"},
		"cron":      {"cron", "crond", "anacron"},
		"vsftpd":    {"vsftpd"},
		"clamav":    {"clamd", "freshclam", "clamav", "clamscan"},
		"guacamole": {"guacd", "guacamole"},
		"auditd":    {"auditd"},
		"systemd":   {"systemd"},
	}
)

// route is a bit set of the log sources an event belongs to.
type route uint64

const (
	routeProcess route = 1 << iota
	routeFileEvent
	routeFileChange
	routeFileDelete
	routeFileRename
	routeNetwork
	routeAuditd
	routeAny      // product linux without category or service
	routeAuth     // service auth: every authentication log line
	routeSyslog   // service syslog: every event with a log line
	routeServices // first bit of the builtin services, assigned at compile time
)

// routeTable assigns bits to builtin services while a set is compiled.
type routeTable struct {
	services map[string]route // service -> bit
	programs map[string]route // program name -> bits of the services naming it
	next     route
}

func newRouteTable() *routeTable {
	return &routeTable{services: map[string]route{}, programs: map[string]route{}, next: routeServices}
}

// resolve returns the route bit and the field mapper of a logsource.
func (rt *routeTable) resolve(ls sigma.Logsource) (route, func(string) ([]string, error), error) {
	if ls.Product != "" && ls.Product != "linux" {
		return 0, nil, fmt.Errorf("logsource product %q is not linux", ls.Product)
	}
	table := func(m map[string][]string) func(string) ([]string, error) {
		return func(f string) ([]string, error) { return mapField(ls, m, f) }
	}
	switch ls.Category {
	case "process_creation":
		return routeProcess, table(processFields), nil
	case "file_event", "file_create":
		return routeFileEvent, table(fileFields), nil
	case "file_change":
		return routeFileChange, table(fileFields), nil
	case "file_delete":
		return routeFileDelete, table(fileFields), nil
	case "file_rename":
		return routeFileRename, table(fileFields), nil
	case "network_connection":
		return routeNetwork, table(networkFields), nil
	case "":
	default:
		return 0, nil, fmt.Errorf("logsource category %q is not supported", ls.Category)
	}
	switch ls.Service {
	case "":
		return routeAny, table(nil), nil
	case "auditd":
		return routeAuditd, func(f string) ([]string, error) { return mapAuditField(f) }, nil
	case "auth":
		return routeAuth, table(nil), nil
	case "syslog":
		return routeSyslog, table(nil), nil
	}
	fields := table(serviceFields[ls.Service])
	bit, ok := rt.services[ls.Service]
	if !ok {
		if rt.next == 0 {
			return 0, nil, fmt.Errorf("too many distinct logsource services")
		}
		bit = rt.next
		rt.next <<= 1
		rt.services[ls.Service] = bit
		progs, ok := builtinPrograms[ls.Service]
		if !ok {
			progs = []string{ls.Service}
		}
		for _, p := range progs {
			rt.programs[p] |= bit
		}
	}
	return bit, fields, nil
}

// mapField maps a field of a log source with table m. Keywords search the
// log line, or the command line of events that have none. Names of vigil's
// own schema (event.KnownField) are accepted as they are in every log source.
func mapField(ls sigma.Logsource, m map[string][]string, f string) ([]string, error) {
	if f == "" {
		return []string{fieldMessage, "process.command_line"}, nil
	}
	if names, ok := m[f]; ok {
		return names, nil
	}
	if event.KnownField(f) {
		return []string{f}, nil
	}
	src := ls.Category
	if src == "" {
		src = "service " + ls.Service
	}
	if src == "service " {
		src = "product linux"
	}
	return nil, fmt.Errorf("field %q has no mapping for %s", f, src)
}

// mapAuditField maps a field of service auditd: a0..aN are the arguments of
// an exec, other names are raw audit fields under auditd.data.
func mapAuditField(f string) ([]string, error) {
	if f == "" {
		return []string{fieldMessage, "process.command_line"}, nil
	}
	if names, ok := auditFields[f]; ok {
		return names, nil
	}
	if len(f) > 1 && f[0] == 'a' && isDigits(f[1:]) {
		return []string{fieldAuditArg + f[1:]}, nil
	}
	if strings.Contains(f, ".") && event.KnownField(f) {
		return []string{f}, nil
	}
	for _, c := range f {
		if !(c == '_' || c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return nil, fmt.Errorf("field %q is not an audit field name", f)
		}
	}
	return []string{event.AuditDataPrefix + f}, nil
}

func isDigits(s string) bool {
	if s == "" || len(s) > 4 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// eventRoutes returns the log sources an event belongs to.
func (rt *routeTable) eventRoutes(e *event.Event) route {
	r := routeAny
	switch e.Event.Action {
	case event.ActionExec:
		r |= routeProcess
	case event.ActionCreated:
		r |= routeFileEvent
	case event.ActionUpdated, event.ActionAttributesModified:
		r |= routeFileEvent | routeFileChange
	case event.ActionMoved:
		r |= routeFileEvent | routeFileRename
	case event.ActionDeleted:
		r |= routeFileDelete
	case event.ActionConnectionOpened:
		r |= routeNetwork
	}
	if e.Auditd != nil || e.Event.Module == "auditd" {
		r |= routeAuditd
	}
	if e.Message != "" {
		r |= routeSyslog
		for _, c := range e.Event.Category {
			if c == event.CategoryAuthentication || c == event.CategoryIAM {
				r |= routeAuth
			}
		}
		if e.Event.Dataset == event.DatasetPrefix+"login" {
			r |= routeAuth
		}
	}
	if e.Process != nil && e.Process.Name != "" && len(rt.programs) > 0 {
		name := e.Process.Name
		if bits, ok := rt.programs[name]; ok {
			r |= bits
		} else if bits, ok := rt.programs[strings.ToLower(name)]; ok {
			r |= bits
		}
	}
	return r
}
