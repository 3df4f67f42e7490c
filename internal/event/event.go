package event

import "time"

// Event is one vigil event: something that happened on a host (kind "event"),
// a periodic inventory item ("state"), a detection ("alert") or a counter
// ("metric"). Only Timestamp and Event are always present; every other
// sub-object is nil when the event has nothing to say about it.
type Event struct {
	// Timestamp is when the thing happened (for state events: when it was
	// observed). Serialised as "@timestamp" in RFC 3339 with nanoseconds.
	Timestamp time.Time `json:"@timestamp,omitzero"`
	// Event holds the categorisation fields (event.*).
	Event Meta `json:"event"`
	// Message is the raw log line or audit record when one exists; Sigma
	// keyword rules search it.
	Message string `json:"message,omitempty"`
	// Tags are free labels, Sigma's "attack.t1059.004" form on alerts and
	// "first_seen" on a connection to a new destination.
	Tags []string `json:"tags,omitempty"`
	// Labels are key/value pairs set by configuration (environment, project).
	Labels map[string]string `json:"labels,omitempty"`

	Host        *Host      `json:"host,omitempty"`
	Agent       *Agent     `json:"agent,omitempty"`
	Process     *Process   `json:"process,omitempty"`
	User        *User      `json:"user,omitempty"`
	Group       *Group     `json:"group,omitempty"`
	File        *File      `json:"file,omitempty"`
	Source      *Endpoint  `json:"source,omitempty"`
	Destination *Endpoint  `json:"destination,omitempty"`
	Network     *Network   `json:"network,omitempty"`
	Package     *Package   `json:"package,omitempty"`
	Rule        *Rule      `json:"rule,omitempty"`
	Threat      *Threat    `json:"threat,omitempty"`
	Auditd      *Auditd    `json:"auditd,omitempty"`
	Related     *Related   `json:"related,omitempty"`
	Observer    *Observer  `json:"observer,omitempty"`
	Container   *Container `json:"container,omitempty"`
	Auth        *Auth      `json:"auth,omitempty"`
	Vigil       *Vigil     `json:"vigil,omitempty"`
}

// Meta is the ECS event fieldset: what kind of event this is and where it
// comes from.
type Meta struct {
	// ID is unique per event and stable across retries (see NewID and
	// DeterministicID); the server deduplicates on it.
	ID string `json:"id,omitempty"`
	// Kind is one of KindEvent, KindState, KindAlert, KindMetric.
	Kind string `json:"kind,omitempty"`
	// Category and Type are ECS categorisation values (Category*, Type*).
	Category []string `json:"category,omitempty"`
	Type     []string `json:"type,omitempty"`
	// Action is the catalogue action (Action* constants, existing_* for
	// state events, rule-specific for alerts).
	Action string `json:"action,omitempty"`
	// Outcome is OutcomeSuccess, OutcomeFailure or OutcomeUnknown where it
	// applies.
	Outcome string `json:"outcome,omitempty"`
	// Dataset is "vigil.<collector>", e.g. "vigil.audit".
	Dataset string `json:"dataset,omitempty"`
	// Module is the source module when it is not vigil itself (e.g. "auditd").
	Module string `json:"module,omitempty"`
	// Severity is the numeric severity (0 is valid); see LevelSeverity.
	Severity *int64 `json:"severity,omitempty"`
	// Created is when the agent first saw the event; Ingested when the
	// server stored it.
	Created  time.Time `json:"created,omitzero"`
	Ingested time.Time `json:"ingested,omitzero"`
	// Original is the raw input when it differs from Message.
	Original string `json:"original,omitempty"`
	// Sequence is the collector's own sequence number for gap detection.
	Sequence int64 `json:"sequence,omitempty"`
}

// Host describes the machine the event is about (host.*).
type Host struct {
	Name         string   `json:"name,omitempty"`
	ID           string   `json:"id,omitempty"`
	Hostname     string   `json:"hostname,omitempty"`
	IP           []string `json:"ip,omitempty"`
	MAC          []string `json:"mac,omitempty"`
	Architecture string   `json:"architecture,omitempty"`
	OS           *OS      `json:"os,omitempty"`
}

// OS describes the host's operating system (host.os.*).
type OS struct {
	Name     string `json:"name,omitempty"`
	Version  string `json:"version,omitempty"`
	Family   string `json:"family,omitempty"`
	Platform string `json:"platform,omitempty"`
	Kernel   string `json:"kernel,omitempty"`
	Type     string `json:"type,omitempty"`
	Full     string `json:"full,omitempty"`
}

// Agent identifies the vigil agent that produced the event (agent.*).
type Agent struct {
	ID      string `json:"id,omitempty"`
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
	Type    string `json:"type,omitempty"`
}

// Process describes the process the event is about, or the actor (process.*).
type Process struct {
	PID              *int64      `json:"pid,omitempty"`
	PPID             *int64      `json:"ppid,omitempty"`
	EntityID         string      `json:"entity_id,omitempty"`
	Executable       string      `json:"executable,omitempty"`
	Name             string      `json:"name,omitempty"`
	Args             []string    `json:"args,omitempty"`
	ArgsCount        *int64      `json:"args_count,omitempty"`
	CommandLine      string      `json:"command_line,omitempty"`
	WorkingDirectory string      `json:"working_directory,omitempty"`
	Title            string      `json:"title,omitempty"`
	TTY              *TTY        `json:"tty,omitempty"`
	ExitCode         *int64      `json:"exit_code,omitempty"`
	Start            time.Time   `json:"start,omitzero"`
	End              time.Time   `json:"end,omitzero"`
	Parent           *ProcessRef `json:"parent,omitempty"`
	SessionLeader    *ProcessRef `json:"session_leader,omitempty"`
}

// ProcessRef is a related process: the parent or the session leader.
type ProcessRef struct {
	PID         *int64   `json:"pid,omitempty"`
	EntityID    string   `json:"entity_id,omitempty"`
	Executable  string   `json:"executable,omitempty"`
	Name        string   `json:"name,omitempty"`
	Args        []string `json:"args,omitempty"`
	CommandLine string   `json:"command_line,omitempty"`
}

// TTY is the controlling terminal as ECS describes it (process.tty), by
// character device numbers. The terminal's name ("pts/0") goes in
// User.Terminal; TTYFromName derives the numbers from the name.
type TTY struct {
	CharDevice CharDevice `json:"char_device"`
}

// CharDevice holds a character device's major and minor numbers.
type CharDevice struct {
	Major int64 `json:"major"`
	Minor int64 `json:"minor"`
}

// User is the user the event is about (user.*). ID holds the numeric UID as a
// string, as ECS's keyword type does.
type User struct {
	ID        string   `json:"id,omitempty"`
	Name      string   `json:"name,omitempty"`
	Group     *Group   `json:"group,omitempty"`
	Effective *UserRef `json:"effective,omitempty"`
	Audit     *UserRef `json:"audit,omitempty"`
	Target    *UserRef `json:"target,omitempty"`
	// Terminal is the terminal name: "pts/0", "tty1", or the audit form
	// "pts0" (Auditbeat's user.terminal).
	Terminal string `json:"terminal,omitempty"`
}

// UserRef is a related identity: the effective, audit (login) or target user.
type UserRef struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Group *Group `json:"group,omitempty"`
}

// Group is a group (group.*, user.group.*).
type Group struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// File describes a file (file.*, and vigil.file.previous.* for the values
// before a change).
type File struct {
	Path       string `json:"path,omitempty"`
	TargetPath string `json:"target_path,omitempty"`
	Name       string `json:"name,omitempty"`
	Directory  string `json:"directory,omitempty"`
	Extension  string `json:"extension,omitempty"`
	// Type is "file", "dir", "symlink", "fifo", "socket", "char_device" or
	// "block_device".
	Type string `json:"type,omitempty"`
	Size *int64 `json:"size,omitempty"`
	// Mode is the permission bits in octal, e.g. "0644" or "4755".
	Mode   string    `json:"mode,omitempty"`
	UID    string    `json:"uid,omitempty"`
	GID    string    `json:"gid,omitempty"`
	Owner  string    `json:"owner,omitempty"`
	Group  string    `json:"group,omitempty"`
	Mtime  time.Time `json:"mtime,omitzero"`
	Ctime  time.Time `json:"ctime,omitzero"`
	Inode  string    `json:"inode,omitempty"`
	Device string    `json:"device,omitempty"`
	Hash   *Hash     `json:"hash,omitempty"`
}

// Hash holds lowercase hex digests.
type Hash struct {
	MD5    string `json:"md5,omitempty"`
	SHA1   string `json:"sha1,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// Endpoint is one side of a connection (source.*, destination.*). For a
// listening socket the source is the local address.
type Endpoint struct {
	IP      string `json:"ip,omitempty"`
	Port    *int64 `json:"port,omitempty"`
	Address string `json:"address,omitempty"`
	Domain  string `json:"domain,omitempty"`
	Bytes   *int64 `json:"bytes,omitempty"`
	Packets *int64 `json:"packets,omitempty"`
}

// Network describes the connection or traffic (network.*).
type Network struct {
	// Transport is "tcp", "udp", "icmp", ...
	Transport string `json:"transport,omitempty"`
	// Direction is one of the Direction* constants.
	Direction string `json:"direction,omitempty"`
	Protocol  string `json:"protocol,omitempty"`
	// Type is "ipv4" or "ipv6".
	Type        string `json:"type,omitempty"`
	Bytes       *int64 `json:"bytes,omitempty"`
	Packets     *int64 `json:"packets,omitempty"`
	CommunityID string `json:"community_id,omitempty"`
}

// Package describes an installed software package (package.*). The previous
// version of an update is in vigil.package.previous_version.
type Package struct {
	Name         string `json:"name,omitempty"`
	Version      string `json:"version,omitempty"`
	Architecture string `json:"architecture,omitempty"`
	// Type is "deb", "rpm" or "apk".
	Type      string    `json:"type,omitempty"`
	Installed time.Time `json:"installed,omitzero"`
}

// Rule is the detection rule behind an alert (rule.*). Level is Sigma's level
// (Level* constants); ECS has no such field but EVENTS.md fixes the name.
type Rule struct {
	ID          string   `json:"id,omitempty"`
	Name        string   `json:"name,omitempty"`
	Level       string   `json:"level,omitempty"`
	Description string   `json:"description,omitempty"`
	Reference   []string `json:"reference,omitempty"`
	Author      []string `json:"author,omitempty"`
	Ruleset     string   `json:"ruleset,omitempty"`
}

// Threat holds MITRE ATT&CK classification (threat.*).
type Threat struct {
	Framework string     `json:"framework,omitempty"`
	Technique *Technique `json:"technique,omitempty"`
	Tactic    *ThreatRef `json:"tactic,omitempty"`
}

// Technique lists ATT&CK technique IDs ("T1059") and names; Subtechnique
// holds sub-technique IDs ("T1059.004").
type Technique struct {
	ID           []string   `json:"id,omitempty"`
	Name         []string   `json:"name,omitempty"`
	Subtechnique *ThreatRef `json:"subtechnique,omitempty"`
}

// ThreatRef lists ATT&CK IDs and names of tactics or sub-techniques.
type ThreatRef struct {
	ID   []string `json:"id,omitempty"`
	Name []string `json:"name,omitempty"`
}

// Auditd holds Linux audit specifics (auditd.*). Data is the one free-form
// bag of the schema: raw audit fields keyed as the kernel names them ("a0",
// "syscall", "exe", "key", ...), so that Sigma auditd rules match unmodified.
type Auditd struct {
	Sequence int64             `json:"sequence,omitempty"`
	Session  string            `json:"session,omitempty"`
	Result   string            `json:"result,omitempty"`
	Summary  *AuditSummary     `json:"summary,omitempty"`
	Data     map[string]string `json:"data,omitempty"`
	// Messages are the raw records the event was assembled from, when kept.
	Messages []string `json:"messages,omitempty"`
}

// AuditSummary is the "who did what to what, how" reading of an audit event.
type AuditSummary struct {
	Actor  *AuditActor  `json:"actor,omitempty"`
	Object *AuditObject `json:"object,omitempty"`
	How    string       `json:"how,omitempty"`
}

// AuditActor is the subject of an audit event: primary is the login (audit)
// user, secondary the effective user.
type AuditActor struct {
	Primary   string `json:"primary,omitempty"`
	Secondary string `json:"secondary,omitempty"`
}

// AuditObject is what an audit event acted on.
type AuditObject struct {
	Type      string `json:"type,omitempty"`
	Primary   string `json:"primary,omitempty"`
	Secondary string `json:"secondary,omitempty"`
}

// Related collects values of the event for pivoting (related.*).
type Related struct {
	User  []string `json:"user,omitempty"`
	IP    []string `json:"ip,omitempty"`
	Hash  []string `json:"hash,omitempty"`
	Hosts []string `json:"hosts,omitempty"`
}

// Observer is the device that saw traffic (observer.*).
type Observer struct {
	Ingress *ObserverSide `json:"ingress,omitempty"`
	Egress  *ObserverSide `json:"egress,omitempty"`
}

// ObserverSide names the interface on one side of an observer.
type ObserverSide struct {
	Interface *Interface `json:"interface,omitempty"`
}

// Interface is a network interface.
type Interface struct {
	Name string `json:"name,omitempty"`
}

// Container identifies the container a process runs in (container.*).
type Container struct {
	ID      string `json:"id,omitempty"`
	Name    string `json:"name,omitempty"`
	Runtime string `json:"runtime,omitempty"`
}

// Auth holds authentication details ECS lacks (auth.*; EVENTS.md names
// auth.method). Method is the SSH/PAM method ("publickey", "password",
// "keyboard-interactive"); Attempts counts failed tries (sudo_auth).
type Auth struct {
	Method   string `json:"method,omitempty"`
	Attempts int64  `json:"attempts,omitempty"`
}
