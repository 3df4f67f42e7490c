package event

// Kinds (event.kind).
const (
	KindEvent  = "event"  // something happened
	KindState  = "state"  // a periodic inventory snapshot item
	KindAlert  = "alert"  // a detection
	KindMetric = "metric" // counters
)

// Categories (event.category), the ECS allowed values.
const (
	CategoryAPI                = "api"
	CategoryAuthentication     = "authentication"
	CategoryConfiguration      = "configuration"
	CategoryDatabase           = "database"
	CategoryDriver             = "driver"
	CategoryFile               = "file"
	CategoryHost               = "host"
	CategoryIAM                = "iam"
	CategoryIntrusionDetection = "intrusion_detection"
	CategoryLibrary            = "library"
	CategoryMalware            = "malware"
	CategoryNetwork            = "network"
	CategoryPackage            = "package"
	CategoryProcess            = "process"
	CategoryRegistry           = "registry"
	CategorySession            = "session"
	CategoryThreat             = "threat"
	CategoryVulnerability      = "vulnerability"
	CategoryWeb                = "web"
)

// Types (event.type), the ECS allowed values.
const (
	TypeAccess       = "access"
	TypeAdmin        = "admin"
	TypeAllowed      = "allowed"
	TypeChange       = "change"
	TypeConnection   = "connection"
	TypeCreation     = "creation"
	TypeDeletion     = "deletion"
	TypeDenied       = "denied"
	TypeDevice       = "device"
	TypeEnd          = "end"
	TypeError        = "error"
	TypeGroup        = "group"
	TypeIndicator    = "indicator"
	TypeInfo         = "info"
	TypeInstallation = "installation"
	TypeProtocol     = "protocol"
	TypeStart        = "start"
	TypeUser         = "user"
)

// Outcomes (event.outcome).
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeUnknown = "unknown"
)

// Actions (event.action) of the catalogue in EVENTS.md.
const (
	ActionExec = "exec" // a program was executed
	ActionExit = "exit" // a process exited

	ActionSSHLogin   = "ssh_login"   // SSH login attempt
	ActionUserLogin  = "user_login"  // console, su, wtmp, PAM login
	ActionUserLogout = "user_logout" // logout / session end
	ActionSudo       = "sudo"        // sudo command run
	ActionSudoAuth   = "sudo_auth"   // sudo wrong password

	ActionUserAdded       = "user_added"
	ActionUserRemoved     = "user_removed"
	ActionUserChanged     = "user_changed"
	ActionGroupAdded      = "group_added"
	ActionGroupRemoved    = "group_removed"
	ActionGroupChanged    = "group_changed"
	ActionPasswordChanged = "password_changed"

	ActionCreated            = "created" // file integrity
	ActionUpdated            = "updated"
	ActionDeleted            = "deleted"
	ActionAttributesModified = "attributes_modified"
	ActionMoved              = "moved"

	ActionListenOpened     = "listen_opened"
	ActionListenClosed     = "listen_closed"
	ActionConnectionOpened = "connection_opened"
	ActionTraffic          = "traffic"

	ActionPackageInstalled = "package_installed"
	ActionPackageRemoved   = "package_removed"
	ActionPackageUpdated   = "package_updated"

	ActionModuleLoaded   = "module_loaded"
	ActionModuleUnloaded = "module_unloaded"

	ActionServiceEnabled  = "service_enabled"
	ActionServiceDisabled = "service_disabled"
	ActionCronChanged     = "cron_changed"
	ActionSSHKeyAdded     = "ssh_key_added"
	ActionSSHKeyRemoved   = "ssh_key_removed"

	ActionAuditEventsLost = "audit_events_lost"
	ActionEventsDropped   = "events_dropped"
	ActionCollectorHealth = "collector_health"
	ActionHostOffline     = "host_offline"
	ActionHostOnline      = "host_online"
)

// ExistingPrefix starts the action of every inventory snapshot item (kind
// state); the rest names the item.
const ExistingPrefix = "existing_"

// Inventory snapshot actions (event.kind state, event.type info).
const (
	ActionExistingPackage = "existing_package"
	ActionExistingUser    = "existing_user"
	ActionExistingGroup   = "existing_group"
	ActionExistingProcess = "existing_process"
	ActionExistingSocket  = "existing_socket"
	ActionExistingModule  = "existing_module"
	ActionExistingService = "existing_service"
	ActionExistingCron    = "existing_cron"
	ActionExistingSSHKey  = "existing_ssh_key"
)

// Network directions (network.direction), from ECS.
const (
	DirectionIngress  = "ingress"
	DirectionEgress   = "egress"
	DirectionInbound  = "inbound"
	DirectionOutbound = "outbound"
	DirectionInternal = "internal"
	DirectionExternal = "external"
	DirectionUnknown  = "unknown"
)

// Tags with a fixed meaning.
const (
	// TagFirstSeen marks a connection to a destination the executable never
	// connected to before.
	TagFirstSeen = "first_seen"
)

// Loss stages (vigil.loss.stage): where events were lost.
const (
	StageKernel    = "kernel"    // the kernel's audit backlog or rate limit
	StageCollector = "collector" // a collector's queue
	StageSpool     = "spool"     // the agent's disk spool
	StageTransport = "transport" // between agent and server
	StageStore     = "store"     // the server's ingest
)

// Collector states (vigil.collector.state).
const (
	CollectorStateRunning  = "running"
	CollectorStateDegraded = "degraded"
	CollectorStateFailed   = "failed"
	CollectorStateStopped  = "stopped"
)

// Sigma rule levels (rule.level).
const (
	LevelInformational = "informational"
	LevelLow           = "low"
	LevelMedium        = "medium"
	LevelHigh          = "high"
	LevelCritical      = "critical"
)

// Alert statuses (vigil.alert.status).
const (
	AlertStatusOpen         = "open"
	AlertStatusAcknowledged = "acknowledged"
	AlertStatusClosed       = "closed"
)

// DatasetPrefix starts every event.dataset: "vigil.<collector>".
const DatasetPrefix = "vigil."

// LevelSeverity maps a Sigma level to event.severity on the 0-100 scale
// Elastic's detection engine uses (21, 47, 73, 99; informational 0). It
// returns false for an unknown level.
func LevelSeverity(level string) (int64, bool) {
	switch level {
	case LevelInformational:
		return 0, true
	case LevelLow:
		return 21, true
	case LevelMedium:
		return 47, true
	case LevelHigh:
		return 73, true
	case LevelCritical:
		return 99, true
	}
	return 0, false
}
