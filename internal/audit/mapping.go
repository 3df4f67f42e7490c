package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
)

// unsetID is the value of auid and ses when no login user or session is set
// ((uid_t)-1).
const unsetID = "4294967295"

// maxDataArgs bounds the aN keys an exec puts in auditd.data, so that the
// bag stays within event.MaxListLen; process.args keeps them all.
const maxDataArgs = 256

// Mapper turns reassembled audit events into vigil events. The zero value
// works; set the fields to resolve names and link events to the host.
type Mapper struct {
	// HostID is mixed into event IDs and process entity IDs so that equal
	// serials of different hosts or boots differ; the collector sets it to
	// the host ID and boot ID.
	HostID string
	// Dataset is event.dataset, "vigil.audit" when empty.
	Dataset string
	// UserName and GroupName resolve numeric IDs ("1000") to names; nil or
	// a false result leaves the name empty unless the record's ENRICHED
	// fields (UID="root") carry it.
	UserName  func(uid string) (string, bool)
	GroupName func(gid string) (string, bool)
	// Enrich, when set, is called with every mapped event and the acting
	// process's PID (0 when unknown), to add what the records lack, such as
	// container.id from /proc/<pid>/cgroup. It runs on the collector's
	// goroutine and must be quick.
	Enrich func(ev *event.Event, pid int64)
	// KeepMessages copies each record's text to auditd.messages.
	KeepMessages bool
}

// Map returns the vigil event for an audit event, and false for events
// vigil does not map (syscalls outside its rules, EOE-only remnants,
// records of types it does not know).
func (m *Mapper) Map(ae *Event) (event.Event, bool) {
	if ae == nil || len(ae.Records) == 0 {
		return event.Event{}, false
	}
	var ev event.Event
	var ok bool
	if sys := ae.First(TypeSyscall); sys != nil {
		ev, ok = m.mapSyscall(ae, sys)
	} else if ae.First(TypeExecve) != nil {
		ev, ok = m.mapExec(ae, nil) // SYSCALL lost: still an exec
	} else {
		ev, ok = m.mapStandalone(ae)
	}
	if !ok {
		return event.Event{}, false
	}
	if ae.Incomplete {
		ev.Tags = append(ev.Tags, "incomplete")
	}
	if m.Enrich != nil {
		var pid int64
		if ev.Process != nil && ev.Process.PID != nil {
			pid = *ev.Process.PID
		}
		m.Enrich(&ev, pid)
	}
	return ev, true
}

// newEvent fills what every audit event has: time, ID, categorisation,
// message, auditd.{sequence, data, messages}.
func (m *Mapper) newEvent(ae *Event, primary *Record, category, typ, action string) event.Event {
	ds := m.Dataset
	if ds == "" {
		ds = "vigil.audit"
	}
	ev := event.Event{
		Timestamp: ae.Time,
		Event: event.Meta{
			ID:       event.DeterministicID(ae.Time, m.HostID, strconv.FormatUint(ae.Serial, 10)),
			Kind:     event.KindEvent,
			Category: []string{category},
			Type:     []string{typ},
			Action:   action,
			Dataset:  ds,
			Module:   "auditd",
		},
		Auditd: &event.Auditd{Sequence: int64(ae.Serial & (1<<63 - 1)), Data: make(map[string]string, 40)},
	}
	ev.Message = recordText(ae.Records)
	if m.KeepMessages {
		for _, r := range ae.Records {
			if len(ev.Auditd.Messages) >= event.MaxListLen {
				break
			}
			ev.Auditd.Messages = append(ev.Auditd.Messages, r.Text)
		}
	}
	if primary != nil {
		ev.Auditd.Data["type"] = primary.Type.String()
	}
	return ev
}

// recordText joins the records' texts, bounded by event.MaxFieldBytes.
func recordText(recs []*Record) string {
	n := 0
	for _, r := range recs {
		n += len(r.Text) + 1
	}
	var sb strings.Builder
	sb.Grow(min(n, event.MaxFieldBytes))
	for i, r := range recs {
		if sb.Len()+len(r.Text)+1 > event.MaxFieldBytes {
			break
		}
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(r.Text)
	}
	return sb.String()
}

// addData copies a record's fields into auditd.data; existing keys win
// unless overwrite is set. Split-argument keys (aN_len, aN[i]) are left out:
// the assembled aN replaces them.
func addData(d map[string]string, r *Record, overwrite bool) {
	for _, f := range r.Fields {
		if len(d) >= event.MaxListLen {
			return
		}
		if r.Type == TypeExecve && len(f.Key) > 1 && f.Key[0] == 'a' && strings.ContainsAny(f.Key, "[_") {
			continue
		}
		if _, ok := d[f.Key]; ok && !overwrite {
			continue
		}
		d[f.Key] = f.Value
	}
}

// syscallData adds the SYSCALL record to data with the names auditd's
// ENRICHED format adds (SYSCALL=execve, ARCH=x86_64) when they are absent,
// so that Sigma rules on SYSCALL match records read from netlink.
func syscallData(d map[string]string, sys *Record) string {
	addData(d, sys, true)
	arch := sys.Value("arch")
	name := SyscallName(arch, sys.Value("syscall"))
	if _, ok := d["SYSCALL"]; !ok && name != "" {
		d["SYSCALL"] = name
	}
	if _, ok := d["ARCH"]; !ok && archNames[arch] != "" {
		d["ARCH"] = archNames[arch]
	}
	if name == "" {
		name = d["SYSCALL"]
	}
	return name
}

// result maps success=yes/no and res=success/failed/1/0 to an outcome and
// auditd.result.
func result(r *Record) (outcome, res string) {
	v, ok := r.Get("success")
	if !ok {
		v, ok = r.Get("res")
	}
	if !ok {
		return "", ""
	}
	switch v {
	case "yes", "success", "1":
		return event.OutcomeSuccess, "success"
	case "no", "failed", "fail", "0":
		return event.OutcomeFailure, "fail"
	}
	return event.OutcomeUnknown, v
}

func pidPtr(s string) *int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return nil
	}
	return &n
}

// userRef builds an identity from a numeric ID field (uid, euid, auid...) and
// its ENRICHED counterpart (UID="root").
func (m *Mapper) userRef(r *Record, key string) *event.UserRef {
	id, ok := r.Get(key)
	if !ok || id == "" || id == unsetID || id == "-1" {
		return nil
	}
	u := &event.UserRef{ID: id}
	if name, ok := r.Get(strings.ToUpper(key)); ok && name != "unset" {
		u.Name = name
	} else if m.UserName != nil {
		u.Name, _ = m.UserName(id)
	}
	return u
}

func (m *Mapper) groupRef(r *Record, key string) *event.Group {
	id, ok := r.Get(key)
	if !ok || id == "" || id == unsetID {
		return nil
	}
	g := &event.Group{ID: id}
	if name, ok := r.Get(strings.ToUpper(key)); ok {
		g.Name = name
	} else if m.GroupName != nil {
		g.Name, _ = m.GroupName(id)
	}
	return g
}

// actor fills user.* (uid, euid, auid, gid, terminal), process.{pid, ppid,
// executable, name, parent.pid, tty} and auditd.{session, result} from the
// record describing the acting process (SYSCALL or a user-space message).
func (m *Mapper) actor(ev *event.Event, r *Record) {
	u := &event.User{}
	if ref := m.userRef(r, "uid"); ref != nil {
		u.ID, u.Name = ref.ID, ref.Name
	}
	if ref := m.userRef(r, "euid"); ref != nil && (ref.ID != u.ID || u.ID == "") {
		u.Effective = ref
	} else if ref != nil {
		u.Effective = ref
	}
	u.Audit = m.userRef(r, "auid")
	u.Group = m.groupRef(r, "gid")
	tty := r.Value("tty")
	if tty == "" {
		tty = r.Value("terminal")
	}
	if tty != "" && tty != "(none)" && tty != "?" {
		u.Terminal = tty
	}
	if *u != (event.User{}) {
		ev.User = u
		if u.Name != "" {
			addRelated(ev, u.Name)
		}
		if u.Audit != nil && u.Audit.Name != "" {
			addRelated(ev, u.Audit.Name)
		}
	}
	p := &event.Process{PID: pidPtr(r.Value("pid")), PPID: pidPtr(r.Value("ppid"))}
	if exe := r.Value("exe"); exe != "" && exe != "(null)" {
		p.Executable, p.Name = exe, path.Base(exe)
	} else if comm := r.Value("comm"); comm != "" {
		p.Name = comm
	}
	if p.PPID != nil {
		p.Parent = &event.ProcessRef{PID: p.PPID}
	}
	if tty != "" {
		p.TTY = event.TTYFromName(strings.TrimPrefix(tty, "/dev/"))
	}
	if p.PID != nil || p.Executable != "" || p.Name != "" {
		ev.Process = p
	}
	if ses := r.Value("ses"); ses != "" && ses != unsetID {
		ev.Auditd.Session = ses
	}
	ev.Event.Outcome, ev.Auditd.Result = result(r)
}

func addRelated(ev *event.Event, user string) {
	if ev.Related == nil {
		ev.Related = &event.Related{}
	}
	for _, u := range ev.Related.User {
		if u == user {
			return
		}
	}
	ev.Related.User = append(ev.Related.User, user)
}

func addRelatedIP(ev *event.Event, ip string) {
	if ev.Related == nil {
		ev.Related = &event.Related{}
	}
	ev.Related.IP = append(ev.Related.IP, ip)
}

// entityID identifies an exec: a hash of host, pid, ppid, executable and
// the event time. Audit records carry no process start time, so this is
// unique per exec, not per process lifetime (a later event of the same pid
// cannot recompute it without the collector's own pid table).
func (m *Mapper) entityID(ev *event.Event) string {
	h := sha256.New()
	p := ev.Process
	for _, s := range []string{m.HostID, ptrString(p.PID), ptrString(p.PPID), p.Executable,
		ev.Timestamp.Format("2006-01-02T15:04:05.000000000")} {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func ptrString(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

// mapExec maps an execve/execveat event (sys may be nil when the SYSCALL
// record was lost).
func (m *Mapper) mapExec(ae *Event, sys *Record) (event.Event, bool) {
	execve := make([]*Record, 0, 1)
	for _, r := range ae.Records {
		if r.Type == TypeExecve {
			execve = append(execve, r)
		}
	}
	ev := m.newEvent(ae, ae.First(TypeExecve), event.CategoryProcess, event.TypeStart, event.ActionExec)
	if ev.Auditd.Data["type"] == "" {
		ev.Auditd.Data["type"] = TypeSyscall.String()
	}
	d := ev.Auditd.Data
	if sys != nil {
		syscallData(d, sys)
		m.actor(&ev, sys)
	}
	if ev.Process == nil {
		ev.Process = &event.Process{}
	}
	p := ev.Process
	args, _ := ExecveArgs(execve)
	for _, r := range execve {
		addData(d, r, true)
	}
	for i, a := range args {
		if i >= maxDataArgs {
			break
		}
		d["a"+strconv.Itoa(i)] = a
	}
	for i := len(args); i < 4; i++ {
		if _, ok := d["a"+strconv.Itoa(i)]; ok && sys != nil {
			delete(d, "a"+strconv.Itoa(i)) // a SYSCALL register, not an argument
		}
	}
	if len(args) > 0 {
		p.Args = args
		p.CommandLine = strings.Join(args, " ")
	}
	if argc := pidPtr(d["argc"]); argc != nil {
		p.ArgsCount = argc
	} else if len(args) > 0 {
		p.ArgsCount = new(int64(len(args)))
	}
	if cwd := ae.First(TypeCWD); cwd != nil {
		p.WorkingDirectory = cwd.Value("cwd")
		d["cwd"] = p.WorkingDirectory
	}
	if pt := ae.First(TypeProctitle); pt != nil {
		p.Title = strings.ReplaceAll(pt.Value("proctitle"), "\x00", " ")
		d["proctitle"] = pt.Value("proctitle")
	}
	if item := pathItem(ae, "0"); item != nil {
		if p.Executable == "" {
			p.Executable = item.Value("name")
			p.Name = path.Base(p.Executable)
		}
		for _, k := range []string{"name", "inode", "dev", "mode", "ouid", "ogid", "nametype"} {
			if v, ok := item.Get(k); ok {
				if _, exists := d[k]; !exists {
					d[k] = v
				}
			}
		}
	}
	if p.Name == "" && len(args) > 0 {
		p.Name = path.Base(args[0])
	}
	if p.PID != nil || p.Executable != "" {
		p.EntityID = m.entityID(&ev)
	}
	return ev, true
}

// pathItem returns the PATH record with item=n.
func pathItem(ae *Event, n string) *Record {
	for _, r := range ae.Records {
		if r.Type == TypePath && r.Value("item") == n {
			return r
		}
	}
	return nil
}
