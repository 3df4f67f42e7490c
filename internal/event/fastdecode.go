package event

import (
	"time"
	"unsafe"
)

// DecodeFast returns exactly what Decode returns (the same event, or an
// error when Decode fails) but decodes the common shape of events — plain
// ASCII strings (simple escapes included), integers, and the fields that
// agents send most (event, host, agent, process, user, group, source,
// destination, file, auditd, related, container, labels, tags) — without
// reflection. Anything else (another field, null, a \u escape, a non-ASCII
// byte, a repeated key, a number that is not a small integer) makes it hand the input to Decode, so the two never
// differ; FuzzDecodeFast checks it. The server's batch decoding uses it.
func DecodeFast(data []byte) (Event, error) { return decodeFast(data, nil) }

func decodeFast(data []byte, strs map[string]string) (Event, error) {
	if len(data) <= MaxEventBytes {
		d := fastDec{b: data, interned: strs}
		var e Event
		if d.event(&e) {
			return e, nil
		}
	}
	return Decode(data)
}

// A Decoder decodes events as DecodeFast does, and the events it decodes
// share one copy of each short string value: host and user names, actions,
// categories and paths repeat across a batch, and each copy saved is an
// allocation less. The zero value is ready; a Decoder is not safe for
// concurrent use.
type Decoder struct {
	strs map[string]string
}

// Interning bounds: values longer than internMax are unique more often than
// not; after internCap distinct values the table stops growing.
const (
	internMax = 48
	internCap = 4096
)

// Decode decodes one event (see DecodeFast).
func (dec *Decoder) Decode(data []byte) (Event, error) {
	if dec.strs == nil {
		dec.strs = make(map[string]string, 256)
	}
	return decodeFast(data, dec.strs)
}

// fastDec is a strict JSON reader over b; every method returns false
// (give up) on anything outside the subset it handles.
type fastDec struct {
	b        []byte
	i        int
	interned map[string]string // interned values, nil for none
}

// intern returns b as a string, shared with earlier equal values when d
// interns.
func (d *fastDec) intern(b []byte) string {
	if d.interned == nil || len(b) > internMax {
		return string(b)
	}
	if s, ok := d.interned[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.interned) < internCap {
		d.interned[s] = s
	}
	return s
}

func (d *fastDec) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDec) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *fastDec) expect(c byte) bool {
	if d.peek() != c {
		return false
	}
	d.i++
	return true
}

// rawStr returns a string value with its quotes.
func (d *fastDec) rawStr() ([]byte, bool) {
	if d.peek() != '"' {
		return nil, false
	}
	start := d.i
	for d.i++; d.i < len(d.b); d.i++ {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return d.b[start:d.i], true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, false
		}
	}
	return nil, false
}

func (d *fastDec) str(dst *string) bool {
	if d.peek() != '"' {
		return false
	}
	start := d.i + 1
	var buf []byte // only when there are escapes
	for d.i++; d.i < len(d.b); d.i++ {
		c := d.b[d.i]
		switch {
		case c == '"':
			if buf == nil {
				*dst = d.intern(d.b[start:d.i])
			} else {
				*dst = string(append(buf, d.b[start:d.i]...))
			}
			d.i++
			return true
		case c == '\\':
			if d.i+1 >= len(d.b) {
				return false
			}
			var r byte
			switch d.b[d.i+1] {
			case '"', '\\', '/':
				r = d.b[d.i+1]
			case 'b':
				r = '\b'
			case 'f':
				r = '\f'
			case 'n':
				r = '\n'
			case 'r':
				r = '\r'
			case 't':
				r = '\t'
			default:
				return false // \u and invalid escapes
			}
			buf = append(append(buf, d.b[start:d.i]...), r)
			d.i++
			start = d.i + 1
		case c < 0x20 || c >= 0x80:
			return false
		}
	}
	return false
}

func (d *fastDec) time(dst *time.Time) bool {
	r, ok := d.rawStr()
	return ok && dst.UnmarshalJSON(r) == nil
}

func (d *fastDec) int(dst *int64) bool {
	d.ws()
	start, neg := d.i, false
	if d.i < len(d.b) && d.b[d.i] == '-' {
		neg = true
		d.i++
	}
	var v int64
	n := 0
	for ; d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9'; d.i++ {
		v = v*10 + int64(d.b[d.i]-'0')
		n++
	}
	if n == 0 || n > 18 || (n > 1 && d.b[start+boolInt(neg)] == '0') {
		return false
	}
	if d.i < len(d.b) {
		switch d.b[d.i] {
		case '.', 'e', 'E':
			return false
		}
	}
	if neg {
		v = -v
	}
	*dst = v
	return true
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (d *fastDec) intPtr(dst **int64) bool {
	v := new(int64)
	*dst = v
	return d.int(v)
}

func (d *fastDec) strs(dst *[]string) bool {
	if !d.expect('[') {
		return false
	}
	out := []string{}
	if d.peek() == ']' {
		d.i++
		*dst = out
		return true
	}
	for {
		var s string
		if !d.str(&s) {
			return false
		}
		out = append(out, s)
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			*dst = out
			return true
		default:
			return false
		}
	}
}

func (d *fastDec) strMap(dst *map[string]string) bool {
	m := map[string]string{}
	*dst = m
	return d.object(func(k string) bool {
		if _, dup := m[k]; dup {
			return false
		}
		var v string
		if !d.str(&v) {
			return false
		}
		m[d.keep(k)] = v
		return true
	})
}

// key reads an object key. Without escapes the string shares the input's
// memory (no copy: keys are compared and dropped), so it is valid only while
// the input is; keep copies one that is stored.
func (d *fastDec) key() (string, bool) {
	if d.peek() != '"' {
		return "", false
	}
	start := d.i + 1
	for j := start; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			d.i = j + 1
			if j == start {
				return "", true
			}
			return unsafe.String(&d.b[start], j-start), true
		case c == '\\' || c < 0x20 || c >= 0x80:
			var k string
			ok := d.str(&k) // escapes: a copy
			return k, ok
		}
	}
	return "", false
}

// keep returns a key from key as a string of its own.
func (d *fastDec) keep(k string) string {
	return d.intern(unsafe.Slice(unsafe.StringData(k), len(k)))
}

// object reads {"key": value, ...}, calling field for each value; keys
// repeated within the object give up. The key passed to field is valid
// only during the call (see key).
func (d *fastDec) object(field func(key string) bool) bool {
	if !d.expect('{') {
		return false
	}
	if d.peek() == '}' {
		d.i++
		return true
	}
	var room [32]string
	seen := room[:0]
	for {
		k, ok := d.key()
		if !ok || !d.expect(':') {
			return false
		}
		for _, s := range seen {
			if s == k {
				return false
			}
		}
		seen = append(seen, k)
		if !field(k) {
			return false
		}
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return true
		default:
			return false
		}
	}
}

func (d *fastDec) event(e *Event) bool {
	ok := d.object(func(k string) bool {
		switch k {
		case "@timestamp":
			return d.time(&e.Timestamp)
		case "event":
			return d.meta(&e.Event)
		case "message":
			return d.str(&e.Message)
		case "tags":
			return d.strs(&e.Tags)
		case "labels":
			return d.strMap(&e.Labels)
		case "host":
			e.Host = new(Host)
			return d.host(e.Host)
		case "agent":
			e.Agent = new(Agent)
			return d.agent(e.Agent)
		case "process":
			e.Process = new(Process)
			return d.process(e.Process)
		case "user":
			e.User = new(User)
			return d.user(e.User)
		case "source":
			e.Source = new(Endpoint)
			return d.endpoint(e.Source)
		case "destination":
			e.Destination = new(Endpoint)
			return d.endpoint(e.Destination)
		case "file":
			e.File = new(File)
			return d.file(e.File)
		case "auditd":
			e.Auditd = new(Auditd)
			return d.auditd(e.Auditd)
		case "group":
			e.Group = new(Group)
			return d.group(e.Group)
		case "related":
			e.Related = new(Related)
			return d.related(e.Related)
		case "container":
			e.Container = new(Container)
			return d.container(e.Container)
		}
		return false
	})
	d.ws()
	return ok && d.i == len(d.b)
}

func (d *fastDec) meta(m *Meta) bool {
	return d.object(func(k string) bool {
		switch k {
		case "id":
			return d.str(&m.ID)
		case "kind":
			return d.str(&m.Kind)
		case "category":
			return d.strs(&m.Category)
		case "type":
			return d.strs(&m.Type)
		case "action":
			return d.str(&m.Action)
		case "outcome":
			return d.str(&m.Outcome)
		case "dataset":
			return d.str(&m.Dataset)
		case "module":
			return d.str(&m.Module)
		case "severity":
			return d.intPtr(&m.Severity)
		case "created":
			return d.time(&m.Created)
		case "ingested":
			return d.time(&m.Ingested)
		case "original":
			return d.str(&m.Original)
		case "sequence":
			return d.int(&m.Sequence)
		}
		return false
	})
}

func (d *fastDec) host(h *Host) bool {
	return d.object(func(k string) bool {
		switch k {
		case "name":
			return d.str(&h.Name)
		case "id":
			return d.str(&h.ID)
		case "hostname":
			return d.str(&h.Hostname)
		case "ip":
			return d.strs(&h.IP)
		case "mac":
			return d.strs(&h.MAC)
		case "architecture":
			return d.str(&h.Architecture)
		case "os":
			h.OS = new(OS)
			return d.os(h.OS)
		}
		return false
	})
}

func (d *fastDec) os(o *OS) bool {
	return d.object(func(k string) bool {
		switch k {
		case "name":
			return d.str(&o.Name)
		case "version":
			return d.str(&o.Version)
		case "family":
			return d.str(&o.Family)
		case "platform":
			return d.str(&o.Platform)
		case "kernel":
			return d.str(&o.Kernel)
		case "type":
			return d.str(&o.Type)
		case "full":
			return d.str(&o.Full)
		}
		return false
	})
}

func (d *fastDec) agent(a *Agent) bool {
	return d.object(func(k string) bool {
		switch k {
		case "id":
			return d.str(&a.ID)
		case "name":
			return d.str(&a.Name)
		case "version":
			return d.str(&a.Version)
		case "type":
			return d.str(&a.Type)
		}
		return false
	})
}

func (d *fastDec) process(p *Process) bool {
	return d.object(func(k string) bool {
		switch k {
		case "pid":
			return d.intPtr(&p.PID)
		case "ppid":
			return d.intPtr(&p.PPID)
		case "entity_id":
			return d.str(&p.EntityID)
		case "executable":
			return d.str(&p.Executable)
		case "name":
			return d.str(&p.Name)
		case "args":
			return d.strs(&p.Args)
		case "args_count":
			return d.intPtr(&p.ArgsCount)
		case "command_line":
			return d.str(&p.CommandLine)
		case "working_directory":
			return d.str(&p.WorkingDirectory)
		case "title":
			return d.str(&p.Title)
		case "exit_code":
			return d.intPtr(&p.ExitCode)
		case "tty":
			p.TTY = new(TTY)
			return d.tty(p.TTY)
		case "start":
			return d.time(&p.Start)
		case "end":
			return d.time(&p.End)
		case "parent":
			p.Parent = new(ProcessRef)
			return d.processRef(p.Parent)
		case "session_leader":
			p.SessionLeader = new(ProcessRef)
			return d.processRef(p.SessionLeader)
		}
		return false
	})
}

func (d *fastDec) processRef(p *ProcessRef) bool {
	return d.object(func(k string) bool {
		switch k {
		case "pid":
			return d.intPtr(&p.PID)
		case "entity_id":
			return d.str(&p.EntityID)
		case "executable":
			return d.str(&p.Executable)
		case "name":
			return d.str(&p.Name)
		case "args":
			return d.strs(&p.Args)
		case "command_line":
			return d.str(&p.CommandLine)
		}
		return false
	})
}

func (d *fastDec) user(u *User) bool {
	return d.object(func(k string) bool {
		switch k {
		case "id":
			return d.str(&u.ID)
		case "name":
			return d.str(&u.Name)
		case "terminal":
			return d.str(&u.Terminal)
		case "group":
			u.Group = new(Group)
			return d.group(u.Group)
		case "effective":
			u.Effective = new(UserRef)
			return d.userRef(u.Effective)
		case "audit":
			u.Audit = new(UserRef)
			return d.userRef(u.Audit)
		case "target":
			u.Target = new(UserRef)
			return d.userRef(u.Target)
		}
		return false
	})
}

func (d *fastDec) userRef(u *UserRef) bool {
	return d.object(func(k string) bool {
		switch k {
		case "id":
			return d.str(&u.ID)
		case "name":
			return d.str(&u.Name)
		case "group":
			u.Group = new(Group)
			return d.group(u.Group)
		}
		return false
	})
}

func (d *fastDec) group(g *Group) bool {
	return d.object(func(k string) bool {
		switch k {
		case "id":
			return d.str(&g.ID)
		case "name":
			return d.str(&g.Name)
		}
		return false
	})
}

func (d *fastDec) related(r *Related) bool {
	return d.object(func(k string) bool {
		switch k {
		case "user":
			return d.strs(&r.User)
		case "ip":
			return d.strs(&r.IP)
		case "hash":
			return d.strs(&r.Hash)
		case "hosts":
			return d.strs(&r.Hosts)
		}
		return false
	})
}

func (d *fastDec) container(c *Container) bool {
	return d.object(func(k string) bool {
		switch k {
		case "id":
			return d.str(&c.ID)
		case "name":
			return d.str(&c.Name)
		case "runtime":
			return d.str(&c.Runtime)
		}
		return false
	})
}

func (d *fastDec) tty(t *TTY) bool {
	return d.object(func(k string) bool {
		if k != "char_device" {
			return false
		}
		return d.object(func(k string) bool {
			switch k {
			case "major":
				return d.int(&t.CharDevice.Major)
			case "minor":
				return d.int(&t.CharDevice.Minor)
			}
			return false
		})
	})
}

func (d *fastDec) summary(s *AuditSummary) bool {
	return d.object(func(k string) bool {
		switch k {
		case "actor":
			s.Actor = new(AuditActor)
			return d.object(func(k string) bool {
				switch k {
				case "primary":
					return d.str(&s.Actor.Primary)
				case "secondary":
					return d.str(&s.Actor.Secondary)
				}
				return false
			})
		case "object":
			s.Object = new(AuditObject)
			return d.object(func(k string) bool {
				switch k {
				case "type":
					return d.str(&s.Object.Type)
				case "primary":
					return d.str(&s.Object.Primary)
				case "secondary":
					return d.str(&s.Object.Secondary)
				}
				return false
			})
		case "how":
			return d.str(&s.How)
		}
		return false
	})
}

func (d *fastDec) endpoint(p *Endpoint) bool {
	return d.object(func(k string) bool {
		switch k {
		case "ip":
			return d.str(&p.IP)
		case "port":
			return d.intPtr(&p.Port)
		case "address":
			return d.str(&p.Address)
		case "domain":
			return d.str(&p.Domain)
		case "bytes":
			return d.intPtr(&p.Bytes)
		case "packets":
			return d.intPtr(&p.Packets)
		}
		return false
	})
}

func (d *fastDec) file(f *File) bool {
	return d.object(func(k string) bool {
		switch k {
		case "path":
			return d.str(&f.Path)
		case "target_path":
			return d.str(&f.TargetPath)
		case "name":
			return d.str(&f.Name)
		case "directory":
			return d.str(&f.Directory)
		case "extension":
			return d.str(&f.Extension)
		case "type":
			return d.str(&f.Type)
		case "size":
			return d.intPtr(&f.Size)
		case "mode":
			return d.str(&f.Mode)
		case "uid":
			return d.str(&f.UID)
		case "gid":
			return d.str(&f.GID)
		case "owner":
			return d.str(&f.Owner)
		case "group":
			return d.str(&f.Group)
		case "mtime":
			return d.time(&f.Mtime)
		case "ctime":
			return d.time(&f.Ctime)
		case "inode":
			return d.str(&f.Inode)
		case "device":
			return d.str(&f.Device)
		}
		return false
	})
}

func (d *fastDec) auditd(a *Auditd) bool {
	return d.object(func(k string) bool {
		switch k {
		case "sequence":
			return d.int(&a.Sequence)
		case "session":
			return d.str(&a.Session)
		case "result":
			return d.str(&a.Result)
		case "data":
			return d.strMap(&a.Data)
		case "summary":
			a.Summary = new(AuditSummary)
			return d.summary(a.Summary)
		case "messages":
			return d.strs(&a.Messages)
		}
		return false
	})
}
