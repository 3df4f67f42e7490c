package event

// The accessor sets of the sub-objects, nested into the table by
// buildFieldTable. Each entry mirrors one JSON leaf of the struct it reads.

func processRefFields() fieldSet[ProcessRef] {
	return fieldSet[ProcessRef]{
		"pid":          func(p *ProcessRef) (any, bool) { return numPtr(p.PID) },
		"entity_id":    func(p *ProcessRef) (any, bool) { return str(p.EntityID) },
		"executable":   func(p *ProcessRef) (any, bool) { return str(p.Executable) },
		"name":         func(p *ProcessRef) (any, bool) { return str(p.Name) },
		"args":         func(p *ProcessRef) (any, bool) { return strs(p.Args) },
		"command_line": func(p *ProcessRef) (any, bool) { return str(p.CommandLine) },
	}
}

func processFields() fieldSet[Process] {
	t := fieldSet[Process]{
		"pid":                   func(p *Process) (any, bool) { return numPtr(p.PID) },
		"ppid":                  func(p *Process) (any, bool) { return numPtr(p.PPID) },
		"entity_id":             func(p *Process) (any, bool) { return str(p.EntityID) },
		"executable":            func(p *Process) (any, bool) { return str(p.Executable) },
		"name":                  func(p *Process) (any, bool) { return str(p.Name) },
		"args":                  func(p *Process) (any, bool) { return strs(p.Args) },
		"args_count":            func(p *Process) (any, bool) { return numPtr(p.ArgsCount) },
		"command_line":          func(p *Process) (any, bool) { return str(p.CommandLine) },
		"working_directory":     func(p *Process) (any, bool) { return str(p.WorkingDirectory) },
		"title":                 func(p *Process) (any, bool) { return str(p.Title) },
		"exit_code":             func(p *Process) (any, bool) { return numPtr(p.ExitCode) },
		"start":                 func(p *Process) (any, bool) { return tm(p.Start) },
		"end":                   func(p *Process) (any, bool) { return tm(p.End) },
		"tty.char_device.major": func(p *Process) (any, bool) { return ttyNum(p.TTY, true) },
		"tty.char_device.minor": func(p *Process) (any, bool) { return ttyNum(p.TTY, false) },
	}
	nest(t, "parent.", func(p *Process) *ProcessRef { return p.Parent }, processRefFields())
	nest(t, "session_leader.", func(p *Process) *ProcessRef { return p.SessionLeader }, processRefFields())
	return t
}

func ttyNum(t *TTY, major bool) (any, bool) {
	switch {
	case t == nil:
		return nil, false
	case major:
		return always(t.CharDevice.Major)
	default:
		return always(t.CharDevice.Minor)
	}
}

func groupFields() fieldSet[Group] {
	return fieldSet[Group]{
		"id":   func(g *Group) (any, bool) { return str(g.ID) },
		"name": func(g *Group) (any, bool) { return str(g.Name) },
	}
}

func userRefFields() fieldSet[UserRef] {
	t := fieldSet[UserRef]{
		"id":   func(u *UserRef) (any, bool) { return str(u.ID) },
		"name": func(u *UserRef) (any, bool) { return str(u.Name) },
	}
	nest(t, "group.", func(u *UserRef) *Group { return u.Group }, groupFields())
	return t
}

func userFields() fieldSet[User] {
	t := fieldSet[User]{
		"id":       func(u *User) (any, bool) { return str(u.ID) },
		"name":     func(u *User) (any, bool) { return str(u.Name) },
		"terminal": func(u *User) (any, bool) { return str(u.Terminal) },
	}
	nest(t, "group.", func(u *User) *Group { return u.Group }, groupFields())
	nest(t, "effective.", func(u *User) *UserRef { return u.Effective }, userRefFields())
	nest(t, "audit.", func(u *User) *UserRef { return u.Audit }, userRefFields())
	nest(t, "target.", func(u *User) *UserRef { return u.Target }, userRefFields())
	return t
}

func fileFields() fieldSet[File] {
	t := fieldSet[File]{
		"path":        func(f *File) (any, bool) { return str(f.Path) },
		"target_path": func(f *File) (any, bool) { return str(f.TargetPath) },
		"name":        func(f *File) (any, bool) { return str(f.Name) },
		"directory":   func(f *File) (any, bool) { return str(f.Directory) },
		"extension":   func(f *File) (any, bool) { return str(f.Extension) },
		"type":        func(f *File) (any, bool) { return str(f.Type) },
		"size":        func(f *File) (any, bool) { return numPtr(f.Size) },
		"mode":        func(f *File) (any, bool) { return str(f.Mode) },
		"uid":         func(f *File) (any, bool) { return str(f.UID) },
		"gid":         func(f *File) (any, bool) { return str(f.GID) },
		"owner":       func(f *File) (any, bool) { return str(f.Owner) },
		"group":       func(f *File) (any, bool) { return str(f.Group) },
		"mtime":       func(f *File) (any, bool) { return tm(f.Mtime) },
		"ctime":       func(f *File) (any, bool) { return tm(f.Ctime) },
		"inode":       func(f *File) (any, bool) { return str(f.Inode) },
		"device":      func(f *File) (any, bool) { return str(f.Device) },
	}
	nest(t, "hash.", func(f *File) *Hash { return f.Hash }, fieldSet[Hash]{
		"md5":    func(h *Hash) (any, bool) { return str(h.MD5) },
		"sha1":   func(h *Hash) (any, bool) { return str(h.SHA1) },
		"sha256": func(h *Hash) (any, bool) { return str(h.SHA256) },
	})
	return t
}

func endpointFields() fieldSet[Endpoint] {
	return fieldSet[Endpoint]{
		"ip":      func(p *Endpoint) (any, bool) { return str(p.IP) },
		"port":    func(p *Endpoint) (any, bool) { return numPtr(p.Port) },
		"address": func(p *Endpoint) (any, bool) { return str(p.Address) },
		"domain":  func(p *Endpoint) (any, bool) { return str(p.Domain) },
		"bytes":   func(p *Endpoint) (any, bool) { return numPtr(p.Bytes) },
		"packets": func(p *Endpoint) (any, bool) { return numPtr(p.Packets) },
	}
}

func networkFields() fieldSet[Network] {
	return fieldSet[Network]{
		"transport":    func(n *Network) (any, bool) { return str(n.Transport) },
		"direction":    func(n *Network) (any, bool) { return str(n.Direction) },
		"protocol":     func(n *Network) (any, bool) { return str(n.Protocol) },
		"type":         func(n *Network) (any, bool) { return str(n.Type) },
		"bytes":        func(n *Network) (any, bool) { return numPtr(n.Bytes) },
		"packets":      func(n *Network) (any, bool) { return numPtr(n.Packets) },
		"community_id": func(n *Network) (any, bool) { return str(n.CommunityID) },
	}
}

func packageFields() fieldSet[Package] {
	return fieldSet[Package]{
		"name":         func(p *Package) (any, bool) { return str(p.Name) },
		"version":      func(p *Package) (any, bool) { return str(p.Version) },
		"architecture": func(p *Package) (any, bool) { return str(p.Architecture) },
		"type":         func(p *Package) (any, bool) { return str(p.Type) },
		"installed":    func(p *Package) (any, bool) { return tm(p.Installed) },
	}
}

func ruleFields() fieldSet[Rule] {
	return fieldSet[Rule]{
		"id":          func(r *Rule) (any, bool) { return str(r.ID) },
		"name":        func(r *Rule) (any, bool) { return str(r.Name) },
		"level":       func(r *Rule) (any, bool) { return str(r.Level) },
		"description": func(r *Rule) (any, bool) { return str(r.Description) },
		"reference":   func(r *Rule) (any, bool) { return strs(r.Reference) },
		"author":      func(r *Rule) (any, bool) { return strs(r.Author) },
		"ruleset":     func(r *Rule) (any, bool) { return str(r.Ruleset) },
	}
}

func threatFields() fieldSet[Threat] {
	ref := fieldSet[ThreatRef]{
		"id":   func(r *ThreatRef) (any, bool) { return strs(r.ID) },
		"name": func(r *ThreatRef) (any, bool) { return strs(r.Name) },
	}
	technique := fieldSet[Technique]{
		"id":   func(r *Technique) (any, bool) { return strs(r.ID) },
		"name": func(r *Technique) (any, bool) { return strs(r.Name) },
	}
	nest(technique, "subtechnique.", func(r *Technique) *ThreatRef { return r.Subtechnique }, ref)
	t := fieldSet[Threat]{
		"framework": func(t *Threat) (any, bool) { return str(t.Framework) },
	}
	nest(t, "technique.", func(t *Threat) *Technique { return t.Technique }, technique)
	nest(t, "tactic.", func(t *Threat) *ThreatRef { return t.Tactic }, ref)
	return t
}

func auditdFields() fieldSet[Auditd] {
	t := fieldSet[Auditd]{
		"sequence": func(a *Auditd) (any, bool) { return num(a.Sequence) },
		"session":  func(a *Auditd) (any, bool) { return str(a.Session) },
		"result":   func(a *Auditd) (any, bool) { return str(a.Result) },
		"messages": func(a *Auditd) (any, bool) { return strs(a.Messages) },
	}
	summary := fieldSet[AuditSummary]{
		"how": func(s *AuditSummary) (any, bool) { return str(s.How) },
	}
	nest(summary, "actor.", func(s *AuditSummary) *AuditActor { return s.Actor }, fieldSet[AuditActor]{
		"primary":   func(a *AuditActor) (any, bool) { return str(a.Primary) },
		"secondary": func(a *AuditActor) (any, bool) { return str(a.Secondary) },
	})
	nest(summary, "object.", func(s *AuditSummary) *AuditObject { return s.Object }, fieldSet[AuditObject]{
		"type":      func(o *AuditObject) (any, bool) { return str(o.Type) },
		"primary":   func(o *AuditObject) (any, bool) { return str(o.Primary) },
		"secondary": func(o *AuditObject) (any, bool) { return str(o.Secondary) },
	})
	nest(t, "summary.", func(a *Auditd) *AuditSummary { return a.Summary }, summary)
	return t
}

func relatedFields() fieldSet[Related] {
	return fieldSet[Related]{
		"user":  func(r *Related) (any, bool) { return strs(r.User) },
		"ip":    func(r *Related) (any, bool) { return strs(r.IP) },
		"hash":  func(r *Related) (any, bool) { return strs(r.Hash) },
		"hosts": func(r *Related) (any, bool) { return strs(r.Hosts) },
	}
}

func observerFields() fieldSet[Observer] {
	side := fieldSet[ObserverSide]{}
	nest(side, "interface.", func(s *ObserverSide) *Interface { return s.Interface }, fieldSet[Interface]{
		"name": func(i *Interface) (any, bool) { return str(i.Name) },
	})
	t := fieldSet[Observer]{}
	nest(t, "ingress.", func(o *Observer) *ObserverSide { return o.Ingress }, side)
	nest(t, "egress.", func(o *Observer) *ObserverSide { return o.Egress }, side)
	return t
}

func containerFields() fieldSet[Container] {
	return fieldSet[Container]{
		"id":      func(c *Container) (any, bool) { return str(c.ID) },
		"name":    func(c *Container) (any, bool) { return str(c.Name) },
		"runtime": func(c *Container) (any, bool) { return str(c.Runtime) },
	}
}

func authFields() fieldSet[Auth] {
	return fieldSet[Auth]{
		"method":   func(a *Auth) (any, bool) { return str(a.Method) },
		"attempts": func(a *Auth) (any, bool) { return num(a.Attempts) },
	}
}

func vigilFields() fieldSet[Vigil] {
	t := fieldSet[Vigil]{}
	nest(t, "loss.", func(v *Vigil) *Loss { return v.Loss }, fieldSet[Loss]{
		"count":  func(l *Loss) (any, bool) { return always(l.Count) },
		"reason": func(l *Loss) (any, bool) { return str(l.Reason) },
		"from":   func(l *Loss) (any, bool) { return tm(l.From) },
		"to":     func(l *Loss) (any, bool) { return tm(l.To) },
		"stage":  func(l *Loss) (any, bool) { return str(l.Stage) },
	})
	nest(t, "collector.", func(v *Vigil) *Collector { return v.Collector }, fieldSet[Collector]{
		"name":   func(c *Collector) (any, bool) { return str(c.Name) },
		"state":  func(c *Collector) (any, bool) { return str(c.State) },
		"reason": func(c *Collector) (any, bool) { return str(c.Reason) },
	})
	previous := fieldSet[VigilFile]{}
	nest(previous, "previous.", func(f *VigilFile) *File { return f.Previous }, fileFields())
	nest(t, "file.", func(v *Vigil) *VigilFile { return v.File }, previous)
	nest(t, "module.", func(v *Vigil) *Module { return v.Module }, fieldSet[Module]{
		"name": func(m *Module) (any, bool) { return str(m.Name) },
	})
	nest(t, "package.", func(v *Vigil) *VigilPackage { return v.Package }, fieldSet[VigilPackage]{
		"previous_version": func(p *VigilPackage) (any, bool) { return str(p.PreviousVersion) },
	})
	nest(t, "alert.", func(v *Vigil) *Alert { return v.Alert }, fieldSet[Alert]{
		"event_ids":  func(a *Alert) (any, bool) { return strs(a.EventIDs) },
		"count":      func(a *Alert) (any, bool) { return num(a.Count) },
		"first_seen": func(a *Alert) (any, bool) { return tm(a.FirstSeen) },
		"last_seen":  func(a *Alert) (any, bool) { return tm(a.LastSeen) },
		"status":     func(a *Alert) (any, bool) { return str(a.Status) },
	})
	return t
}
