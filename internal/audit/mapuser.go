package audit

import (
	"net/netip"
	"path"
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
)

// Actions vigil adds for audit records the catalogue has no entry for.
const (
	ActionSessionOpened        = "session_opened"
	ActionAccountChecked       = "account_checked"
	ActionCredentialsAcquired  = "credentials_acquired"
	ActionCredentialsRefreshed = "credentials_refreshed"
	ActionCredentialsDisposed  = "credentials_disposed"
	ActionAuditConfigChanged   = "audit_config_changed"
	ActionTimeChanged          = "time_changed"
	ActionMounted              = "mounted"
	ActionUnmounted            = "unmounted"
	ActionFileAccessed         = "accessed"
)

// userMsg says how a user-space record type maps.
type userMsg struct {
	category, typ, action string
}

var userMsgs = map[RecordType]userMsg{
	TypeUserAcct:      {event.CategoryAuthentication, event.TypeInfo, ActionAccountChecked},
	TypeCredAcq:       {event.CategoryAuthentication, event.TypeInfo, ActionCredentialsAcquired},
	TypeCredRefr:      {event.CategoryAuthentication, event.TypeInfo, ActionCredentialsRefreshed},
	TypeCredDisp:      {event.CategoryAuthentication, event.TypeInfo, ActionCredentialsDisposed},
	TypeUserLogin:     {event.CategoryAuthentication, event.TypeStart, event.ActionUserLogin},
	TypeUserStart:     {event.CategorySession, event.TypeStart, ActionSessionOpened},
	TypeUserEnd:       {event.CategorySession, event.TypeEnd, event.ActionUserLogout},
	TypeUserLogout:    {event.CategorySession, event.TypeEnd, event.ActionUserLogout},
	TypeAddUser:       {event.CategoryIAM, event.TypeCreation, event.ActionUserAdded},
	TypeDelUser:       {event.CategoryIAM, event.TypeDeletion, event.ActionUserRemoved},
	TypeUserMgmt:      {event.CategoryIAM, event.TypeChange, event.ActionUserChanged},
	TypeUserChauthtok: {event.CategoryIAM, event.TypeChange, event.ActionPasswordChanged},
	TypeAddGroup:      {event.CategoryIAM, event.TypeCreation, event.ActionGroupAdded},
	TypeDelGroup:      {event.CategoryIAM, event.TypeDeletion, event.ActionGroupRemoved},
	TypeGrpMgmt:       {event.CategoryIAM, event.TypeChange, event.ActionGroupChanged},
	TypeGrpChauthtok:  {event.CategoryIAM, event.TypeChange, event.ActionGroupChanged},
	TypeConfigChange:  {event.CategoryConfiguration, event.TypeChange, ActionAuditConfigChanged},
}

// mapStandalone maps an event without SYSCALL record: user-space messages
// and standalone kernel records.
func (m *Mapper) mapStandalone(ae *Event) (event.Event, bool) {
	r := ae.Records[0]
	switch r.Type {
	case TypeUserAuth:
		return m.mapUserAuth(ae, r), true
	case TypeUserCmd:
		return m.mapUserCmd(ae, r), true
	}
	um, ok := userMsgs[r.Type]
	if !ok {
		return event.Event{}, false
	}
	ev := m.newEvent(ae, r, um.category, um.typ, um.action)
	addData(ev.Auditd.Data, r, true)
	m.actor(&ev, r)
	if um.category == event.CategoryIAM {
		m.iamTarget(&ev, r)
		if strings.Contains(um.action, "group") {
			ev.Event.Type = append(ev.Event.Type, event.TypeGroup)
		} else {
			ev.Event.Type = append(ev.Event.Type, event.TypeUser)
		}
	} else {
		m.pamFields(&ev, r)
	}
	return ev, true
}

// mapUserAuth maps a PAM authentication: an SSH login attempt when sshd
// sent it, a sudo password check (sudo_auth) when sudo did, a user_login
// otherwise (login, su, ...).
func (m *Mapper) mapUserAuth(ae *Event, r *Record) event.Event {
	action := event.ActionUserLogin
	switch path.Base(r.Value("exe")) {
	case "sshd", "sshd-session":
		action = event.ActionSSHLogin
	case "sudo":
		action = event.ActionSudoAuth
	}
	ev := m.newEvent(ae, r, event.CategoryAuthentication, event.TypeStart, action)
	addData(ev.Auditd.Data, r, true)
	m.actor(&ev, r)
	m.pamFields(&ev, r)
	return ev
}

// mapUserCmd maps sudo's USER_CMD record: the caller runs cmd in cwd.
func (m *Mapper) mapUserCmd(ae *Event, r *Record) event.Event {
	ev := m.newEvent(ae, r, event.CategoryProcess, event.TypeStart, event.ActionSudo)
	addData(ev.Auditd.Data, r, true)
	m.actor(&ev, r)
	if ev.Process == nil {
		ev.Process = &event.Process{}
	}
	ev.Process.CommandLine = r.Value("cmd")
	ev.Process.WorkingDirectory = r.Value("cwd")
	if ev.Process.Executable == "" {
		ev.Process.Executable, ev.Process.Name = "/usr/bin/sudo", "sudo"
		if exe := r.Value("exe"); exe != "" {
			ev.Process.Executable, ev.Process.Name = exe, path.Base(exe)
		}
	}
	return ev
}

// pamFields sets the account (acct=) as user.name, addr= as source.ip and
// the PAM terminal.
func (m *Mapper) pamFields(ev *event.Event, r *Record) {
	acct, ok := r.Get("acct")
	if ok && acct != "" && acct != "?" && acct != "(unknown)" {
		if ev.User == nil {
			ev.User = &event.User{}
		}
		if ev.User.Name != acct {
			// The uid is the PAM application's (sshd runs as root); the
			// account is who logs in.
			ev.User.Name, ev.User.ID = acct, ""
			if ev.User.Effective != nil && ev.User.Effective.ID == "0" && acct != "root" {
				ev.User.Effective = nil
			}
		}
		addRelated(ev, acct)
	}
	if addr := r.Value("addr"); addr != "" && addr != "?" {
		if ip, err := netip.ParseAddr(addr); err == nil {
			ev.Source = &event.Endpoint{IP: ip.Unmap().String(), Port: pidPtr(r.Value("rport"))}
			addRelatedIP(ev, ev.Source.IP)
		}
	}
	if h := r.Value("hostname"); h != "" && h != "?" && ev.Source != nil && h != ev.Source.IP {
		ev.Source.Domain = h
	}
	if op := r.Value("op"); strings.HasPrefix(op, "PAM:") {
		ev.Auditd.Summary = &event.AuditSummary{How: op}
	}
}

// iamTarget sets the account or group the record changed: acct= (or id=)
// as user.{name,id} or group.{name,id}. The actor stays in user.audit and
// user.effective.
func (m *Mapper) iamTarget(ev *event.Event, r *Record) {
	name := r.Value("acct")
	if name == "" || name == "?" {
		name = r.Value("grp")
	}
	id := r.Value("id")
	if id == unsetID || id == "?" {
		id = ""
	}
	if ev.Event.Action == event.ActionGroupAdded || ev.Event.Action == event.ActionGroupRemoved ||
		ev.Event.Action == event.ActionGroupChanged {
		if name != "" || id != "" {
			ev.Group = &event.Group{Name: name, ID: id}
		}
		return
	}
	if name == "" && id == "" {
		return
	}
	if ev.User == nil {
		ev.User = &event.User{}
	}
	actorID := ev.User.ID
	ev.User.Name, ev.User.ID = name, id
	if ev.User.Effective == nil && actorID != "" {
		ev.User.Effective = &event.UserRef{ID: actorID}
	}
	if name != "" {
		addRelated(ev, name)
	}
}
