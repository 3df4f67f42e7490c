// Package agent runs vigil's sentinel daemon: it reads the agent
// configuration (file, then flags), builds the enabled collectors from the
// collector registry, and runs them into an output (NDJSON to stdout or a
// file; later the spool that ships to the server).
package agent

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/vigil-sec/vigil/internal/collector"
)

// Config is the agent's whole configuration. Every key can be set in the
// config file or with a flag (`--set key=value` for collector options).
type Config struct {
	Output         string        `yaml:"output" doc:"where events go: - for stdout, or a file path (appended, one JSON object per line)"`
	StateDir       string        `yaml:"state_dir" doc:"directory for the agent's identity, log positions and baselines (created with mode 0700)"`
	Name           string        `yaml:"name" doc:"host name reported in events; empty uses the system host name"`
	Enabled        []string      `yaml:"enabled" doc:"collectors to run; empty runs every collector that can run on this host"`
	FromStart      bool          `yaml:"from_start" doc:"on a first start, read existing log files from the beginning instead of only new lines"`
	QueueSize      int           `yaml:"queue_size" doc:"events buffered between collectors and the output; beyond it events are dropped, counted and reported"`
	HealthInterval time.Duration `yaml:"health_interval" doc:"how often each collector reports its health and counters"`
	StateInterval  time.Duration `yaml:"state_interval" doc:"how often snapshot collectors re-emit their full state (existing_* events)"`
	LogLevel       string        `yaml:"log_level" doc:"agent log level on stderr: debug, info, warn or error"`

	Server string `yaml:"server" doc:"vigil server URL (https://HOST:PORT); when set, events go to the server through the disk spool instead of to output"`
	Spool  Spool  `yaml:"spool" doc:"the disk spool that holds events until the server acknowledges them"`
	// HeartbeatInterval is how often the agent reports to the server.
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval" doc:"how often the agent reports its health and policy version to the server"`
	// ScanInterval, SendInventory and SendScan drive the periodic report
	// to the server (inventory and baseline scan as documents).
	ScanInterval  time.Duration `yaml:"scan_interval" doc:"how often the agent collects its inventory and runs the built-in baseline scan for the server (also at start and on the server's run_scan and refresh_inventory tasks); a server policy may override it"`
	SendInventory bool          `yaml:"send_inventory" doc:"send the host inventory (packages, users, services, ...) to the server; the server matches the packages against its advisory database"`
	SendScan      bool          `yaml:"send_scan" doc:"send the baseline scan report (the checks of vigil scan) to the server"`

	// Collectors holds each collector's own section, keyed by name; the
	// values are the registrations' config structs after decoding.
	Collectors map[string]any `yaml:"collectors" doc:"per-collector settings"`
}

// Spool bounds the agent's disk spool. When it is full the oldest events are
// dropped and an events_dropped event says how many, from when to when.
type Spool struct {
	MaxBytes int64         `yaml:"max_bytes" doc:"largest total size of the spool in bytes"`
	MaxAge   time.Duration `yaml:"max_age" doc:"events older than this are dropped (and reported) rather than sent"`
}

// DefaultStateDir is where a root agent keeps its state.
const DefaultStateDir = "/var/lib/vigil/agent"

// Default returns the configuration with every default filled in, including
// each registered collector's section.
func Default() *Config {
	c := &Config{
		Output:         "-",
		StateDir:       DefaultStateDir,
		QueueSize:      1 << 16,
		HealthInterval: time.Minute,
		StateInterval:  12 * time.Hour,
		LogLevel:       "info",
		Collectors:     map[string]any{},
		Spool:          Spool{MaxBytes: 256 << 20, MaxAge: 7 * 24 * time.Hour},

		HeartbeatInterval: 30 * time.Second,
		ScanInterval:      12 * time.Hour,
		SendInventory:     true,
		SendScan:          true,
	}
	if os.Geteuid() != 0 {
		if home, err := os.UserHomeDir(); err == nil {
			c.StateDir = home + "/.local/state/vigil/agent"
		}
	}
	for _, name := range collector.Names() {
		r, _ := collector.Lookup(name)
		c.Collectors[name] = r.DefaultConfig()
	}
	return c
}

// Load applies a YAML config file to c. Unknown keys, at the top level and in
// collector sections, are errors with file:line, and nothing of the file is
// applied when any key is wrong.
func (c *Config) Load(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return c.apply(path, data)
}

func (c *Config) apply(name string, data []byte) error {
	var top map[string]yaml.RawMessage
	if err := yaml.Unmarshal(data, &top); err != nil {
		return fmt.Errorf("%s: %s", name, yaml.FormatError(err, false, true))
	}
	sections := map[string]yaml.RawMessage{}
	if raw, ok := top["collectors"]; ok {
		if err := yaml.Unmarshal(raw, &sections); err != nil {
			return fmt.Errorf("%s: collectors: %s", name, yaml.FormatError(err, false, true))
		}
		delete(top, "collectors")
	}
	rest, err := yaml.Marshal(top)
	if err != nil {
		return err
	}
	next := *c
	next.Collectors = make(map[string]any, len(c.Collectors))
	for k, v := range c.Collectors {
		next.Collectors[k] = v
	}
	if err := yaml.UnmarshalWithOptions(rest, &next, yaml.Strict()); err != nil {
		return fmt.Errorf("%s: %s", name, yaml.FormatError(err, false, true))
	}
	next.Collectors = c.Collectors
	var errs []error
	decoded := map[string]any{}
	for sec, raw := range sections {
		r, ok := collector.Lookup(sec)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: collectors: unknown collector %q (known: %s)", name, sec, strings.Join(collector.Names(), ", ")))
			continue
		}
		cur := c.Collectors[sec]
		if cur == nil {
			cur = r.DefaultConfig()
		}
		// Decode into a copy so that a bad section changes nothing.
		cp, err := copyConfig(cur, r.DefaultConfig())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := yaml.UnmarshalWithOptions(raw, cp, yaml.Strict()); err != nil {
			errs = append(errs, fmt.Errorf("%s: collectors.%s: %s", name, sec, yaml.FormatError(err, false, true)))
			continue
		}
		decoded[sec] = cp
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	*c = next
	c.Collectors = make(map[string]any, len(next.Collectors))
	for k, v := range next.Collectors {
		c.Collectors[k] = v
	}
	for k, v := range decoded {
		c.Collectors[k] = v
	}
	return nil
}

// copyConfig deep-copies a config struct through YAML into fresh (a new
// default of the same type).
func copyConfig(cur, fresh any) (any, error) {
	b, err := yaml.Marshal(cur)
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(b, fresh); err != nil {
		return nil, err
	}
	return fresh, nil
}

// Set applies one `key=value` assignment, where key is a dotted path such as
// `queue_size` or `collectors.audit.mode`; value is YAML (so lists are
// `[a, b]`).
func (c *Config) Set(assign string) error {
	key, value, ok := strings.Cut(assign, "=")
	if !ok || key == "" {
		return fmt.Errorf("--set %q: want key=value", assign)
	}
	parts := strings.Split(key, ".")
	var doc bytes.Buffer
	for i, p := range parts {
		fmt.Fprintf(&doc, "%s%s:", strings.Repeat("  ", i), p)
		if i < len(parts)-1 {
			doc.WriteString("\n")
		}
	}
	fmt.Fprintf(&doc, " %s\n", value)
	return c.apply("--set "+key, doc.Bytes())
}

// Validate checks values that YAML types cannot.
func (c *Config) Validate() error {
	var errs []error
	if c.QueueSize <= 0 {
		errs = append(errs, errors.New("queue_size must be positive"))
	}
	if c.HealthInterval < time.Second {
		errs = append(errs, errors.New("health_interval must be at least 1s"))
	}
	if c.StateInterval < time.Minute {
		errs = append(errs, errors.New("state_interval must be at least 1m"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level must be debug, info, warn or error, not %q", c.LogLevel))
	}
	if c.Server != "" && !strings.HasPrefix(c.Server, "https://") {
		errs = append(errs, fmt.Errorf("server must be an https:// URL, not %q", c.Server))
	}
	if c.Spool.MaxBytes < 1<<20 {
		errs = append(errs, errors.New("spool.max_bytes must be at least 1 MiB"))
	}
	if c.Spool.MaxAge < time.Minute {
		errs = append(errs, errors.New("spool.max_age must be at least 1m"))
	}
	if c.HeartbeatInterval < time.Second {
		errs = append(errs, errors.New("heartbeat_interval must be at least 1s"))
	}
	if c.ScanInterval < time.Minute {
		errs = append(errs, errors.New("scan_interval must be at least 1m"))
	}
	if c.StateDir == "" {
		errs = append(errs, errors.New("state_dir must be set"))
	}
	for _, n := range c.Enabled {
		if _, ok := collector.Lookup(n); !ok {
			errs = append(errs, fmt.Errorf("unknown collector %q (known: %s)", n, strings.Join(collector.Names(), ", ")))
		}
	}
	return errors.Join(errs...)
}
