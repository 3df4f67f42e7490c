// Package audit is the agent's audit collector ("audit"): every exec, file
// watch hit, module load, time change, mount and PAM/user-management message
// from the Linux audit subsystem, read with vigil's own netlink client
// (internal/audit/netlink), reassembled and mapped by internal/audit.
//
// Modes (config mode: auto|owner|observer|proc). auto is observer when a live
// process (auditd) is registered as the audit daemon, owner otherwise. In owner
// mode the agent registers itself, enables audit and sets backlog_limit and
// backlog_wait_time; the previous settings are restored at stop. In observer
// mode it joins the read-only multicast group and changes no setting. proc
// leaves audit alone and reports execs from the proc connector only (as the
// fallback below does), for hosts where another tool must keep audit to
// itself, and for testing the fallback. In owner and observer
// modes it installs its own rules (install_rules), every one tagged with a key
// "vigil-<purpose>", and at stop deletes exactly those plus any other rule
// keyed "vigil" or "vigil-*" (left by an agent killed with -9); auditd's rules
// are never touched. A rule already installed (EEXIST) counts as installed; a
// watch whose path and parent do not exist is skipped and counted. When
// another process removes vigil's rules while the collector runs (a second
// agent on the host stopping, an administrator's auditctl -D), the
// CONFIG_CHANGE record is seen in the stream and the rules are added again
// at once; the health turns degraded and counts rules_reinstalled, since
// what they would have recorded in between cannot be counted.
//
// Actors of file changes: every successful file event the collector maps
// (a watch hit, or a file syscall of any other rule) is recorded with its
// user and process in the agent's actors cache (collector.Deps.Actors), from
// which the fim collector joins who made each change it reports. With
// watch_fim_paths (default on) and the fim collector running, the fim
// collector's paths are watched too ("-w PATH -p wa", key vigil-fim, after
// the other rules so that a file under another watch keeps that key; a
// symlinked path at its target; "/" never). Records of these watches only
// feed the join: successful ones are counted in "fim_watch_records" and not
// emitted, since the fim event says the same with hash and actor; failed
// ones (a denied write) are emitted as usual. The cost is one more watch
// rule per fim path, evaluated on write-class syscalls (open for writing,
// rename, unlink, chmod, ...), and one record per such syscall under those
// paths (a package upgrade writing /usr/bin produces several per file).
// Measured here (owner mode, default fim paths, 2 cores): 20,000
// create+unlink in a directory under a fim path took 3.9 s with the watch
// and 1.1-1.3 s without; in an unwatched directory no difference showed
// beyond run-to-run noise.
//
// Loss is never silent: the kernel lost counter is polled (lost_poll_interval)
// and every increase, every ENOBUFS from the socket (observer mode drops
// silently otherwise), every record dropped because the collector's queue was
// full, and every sequence gap found by the reassembler becomes an
// audit_events_lost event with vigil.loss.{count, reason, from, to, stage}.
//
// When audit cannot be used (not root, audit locked with enabled=2, a kernel
// without audit, another owner when owner mode was forced) the collector says
// so in its health and, with fallback: proc, reports execs from the proc
// connector (NETLINK_CONNECTOR, CN_IDX_PROC) with argv, executable and cwd read
// from /proc/<pid>. A process that exits before /proc is read loses those
// fields: it is still reported with its pid and counted in
// "exec_proc_raced".
//
// Design choices:
//   - The netlink reading goroutine only copies records into a bounded queue
//     (queue, default 16384 records); parsing, reassembly, mapping and /proc
//     enrichment run on Run's goroutine. In owner mode a reader that waits
//     on its consumer stalls every exec on the host (measured: ~100 execs/s).
//   - Exec events are enriched with container.id from /proc/<pid>/cgroup (or
//     the parent's when the process already exited) and the parent's
//     executable from /proc/<ppid>/exe; parent lookups are cached for a few
//     seconds per ppid, since a shell loop forks thousands of children.
package audit

import (
	"fmt"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
)

// Config is the collector's configuration section (collectors.audit).
type Config struct {
	Mode                string        `yaml:"mode" doc:"auto|owner|observer|proc: owner registers the agent as the audit daemon, observer reads the multicast group while auditd owns audit; auto picks observer when auditd runs; proc does not use audit and reports execs from the proc connector"`
	InstallRules        bool          `yaml:"install_rules" doc:"install the rules below (tagged with keys vigil-*), in observer mode too; they are removed at stop"`
	Rules               []string      `yaml:"rules" doc:"audit rules in auditctl syntax; pid!=self stands for the agent's pid; empty means the built-in defaults"`
	ExtraRules          []string      `yaml:"extra_rules" doc:"rules added to the defaults (or to rules)"`
	WatchAuthorizedKeys bool          `yaml:"watch_authorized_keys" doc:"watch the ~/.ssh directory of every account with a home, for authorized_keys changes"`
	WatchFIMPaths       bool          `yaml:"watch_fim_paths" doc:"when the fim collector runs too, watch its paths (-w PATH -p wa, key vigil-fim) so that its events carry the acting user and process; successful records of these watches only feed that join and are not emitted"`
	Connect             bool          `yaml:"connect" doc:"also record connect() calls (outbound connections per process)"`
	BacklogLimit        uint32        `yaml:"backlog_limit" doc:"kernel audit backlog in records (owner mode)"`
	BacklogWaitTime     uint32        `yaml:"backlog_wait_time" doc:"how long a process waits when the backlog is full, in jiffies (owner mode); 0 drops records instead"`
	RateLimit           uint32        `yaml:"rate_limit" doc:"kernel rate limit in records per second (owner mode), 0 unlimited"`
	ReassemblyTimeout   time.Duration `yaml:"reassembly_timeout" doc:"how long an event without its end record waits for more records"`
	ReceiveBuffer       int           `yaml:"receive_buffer" doc:"netlink socket receive buffer in bytes"`
	Queue               int           `yaml:"queue" doc:"records waiting between the socket reader and the parser; beyond it records are dropped and reported"`
	LostPollInterval    time.Duration `yaml:"lost_poll_interval" doc:"how often the kernel lost counter is read"`
	Fallback            string        `yaml:"fallback" doc:"proc|none: what reports execs when audit cannot be used (proc: the proc connector with argv from /proc)"`
	KeepMessages        bool          `yaml:"keep_messages" doc:"copy raw audit records to auditd.messages"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() *Config {
	return &Config{
		Mode:                "auto",
		InstallRules:        true,
		WatchAuthorizedKeys: true,
		WatchFIMPaths:       true,
		BacklogLimit:        8192,
		BacklogWaitTime:     60000,
		ReassemblyTimeout:   2 * time.Second,
		ReceiveBuffer:       16 << 20,
		Queue:               16384,
		LostPollInterval:    time.Second,
		Fallback:            "proc",
	}
}

func (c *Config) check() error {
	switch c.Mode {
	case "auto", "owner", "observer", "proc":
	default:
		return fmt.Errorf("audit: mode %q: want auto, owner, observer or proc", c.Mode)
	}
	switch c.Fallback {
	case "proc", "none":
	default:
		return fmt.Errorf("audit: fallback %q: want proc or none", c.Fallback)
	}
	if c.ReassemblyTimeout <= 0 || c.LostPollInterval <= 0 {
		return fmt.Errorf("audit: reassembly_timeout and lost_poll_interval must be positive")
	}
	return nil
}

func init() {
	collector.Register(collector.Registration{
		Name:          "audit",
		Doc:           "execs with argv, file watch hits, module loads, time changes, mounts and PAM/user-management messages from Linux audit (proc connector fallback)",
		DefaultConfig: func() any { return DefaultConfig() },
		Available:     available,
		New: func(cfg any, deps collector.Deps) (any, error) {
			c, ok := cfg.(*Config)
			if !ok {
				return nil, fmt.Errorf("audit: config is %T, want *audit.Config", cfg)
			}
			return New(*c, deps)
		},
	})
}

// Collector is the audit Streamer.
type Collector struct {
	cfg  Config
	deps collector.Deps
}

// New checks cfg and returns the collector.
func New(cfg Config, deps collector.Deps) (*Collector, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Collector{cfg: cfg, deps: deps}, nil
}
