package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/actors"
	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory/system"
)

// StopTimeout bounds a clean stop: collectors remove what they installed and
// the output is flushed within it, or the agent gives up waiting.
const StopTimeout = 5 * time.Second

// Options are the parts of a run that are not configuration.
type Options struct {
	Version string
	Root    hostfs.Root
	Logger  *slog.Logger
	Stdout  io.Writer
	Now     func() time.Time
	// EnrollToken enrolls the agent with cfg.Server when it has no identity
	// yet (vigil agent --enroll TOKEN). It is a secret: never in the config
	// file, never logged.
	EnrollToken string
	// Output, when set, receives the events instead of cfg.Output or the
	// server (for embedding the agent).
	Output collector.Output
}

// output is where the runner's events go, with what it takes to stop it.
type output interface {
	collector.Output
	Close() error
}

// Run runs the agent until ctx ends.
func Run(ctx context.Context, cfg *Config, opts Options) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := opts.Logger
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	agentID, err := loadOrCreateID(filepath.Join(cfg.StateDir, "agent.id"), opts.Now)
	if err != nil {
		return err
	}
	host := hostIdentity(ctx, opts.Root, cfg.Name)
	agentInfo := event.Agent{ID: agentID, Name: host.Name, Version: opts.Version, Type: "vigil"}

	var out output
	dest := cfg.Output
	switch {
	case opts.Output != nil:
		out, dest = keepOpen{opts.Output}, "embedded"
	case cfg.Server != "":
		sh, err := startShipper(ctx, cfg, opts, host, &agentInfo)
		if err != nil {
			return err
		}
		out, dest = sh, cfg.Server
	case cfg.Output == "-" || cfg.Output == "":
		out = NewNDJSON(opts.Stdout)
	default:
		f, err := OpenNDJSON(cfg.Output)
		if err != nil {
			return err
		}
		out = f
	}

	base := collector.Deps{
		Root: opts.Root, Logger: log, Now: opts.Now, FromStart: cfg.FromStart,
		Host: host, Agent: agentInfo, Actors: actors.New(actors.Options{}),
	}
	instances, err := build(cfg, base)
	if err != nil {
		out.Close()
		return err
	}
	if len(instances) == 0 {
		out.Close()
		return errors.New("no collector can run on this host (see the warnings above)")
	}
	names := make([]string, len(instances))
	for i, in := range instances {
		names[i] = in.Name
	}
	log.Info("agent started", "agent_id", agentInfo.ID, "host", host.Name, "collectors", strings.Join(names, ","), "output", dest)

	runner := collector.NewRunner(collector.RunnerOptions{
		QueueSize: cfg.QueueSize, HealthInterval: cfg.HealthInterval, StateInterval: cfg.StateInterval,
		Logger: log, Now: opts.Now, Host: host, Agent: agentInfo,
	})
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx, instances, out) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		select {
		case err = <-done:
		case <-time.After(StopTimeout):
			err = fmt.Errorf("collectors did not stop within %s", StopTimeout)
		}
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	log.Info("agent stopped")
	return err
}

// keepOpen is an embedder's output: the agent flushes it but does not close
// it.
type keepOpen struct{ collector.Output }

func (k keepOpen) Close() error { return k.Flush() }

// build creates the enabled collectors. With an explicit list every named
// collector must start; without one, collectors that cannot run here are
// skipped with a warning.
func build(cfg *Config, base collector.Deps) ([]collector.Instance, error) {
	names := cfg.Enabled
	explicit := len(names) > 0
	if !explicit {
		names = collector.Names()
	}
	var out []collector.Instance
	for _, name := range names {
		r, _ := collector.Lookup(name)
		deps := base
		deps.Logger = base.Logger.With("collector", name)
		deps.StateDir = filepath.Join(cfg.StateDir, name)
		if !explicit && r.Available != nil {
			if ok, why := r.Available(deps); !ok {
				deps.Logger.Warn("collector cannot run here; skipped", "reason", why)
				continue
			}
		}
		if err := os.MkdirAll(deps.StateDir, 0o700); err != nil {
			return nil, fmt.Errorf("collector %s: state dir: %w", name, err)
		}
		c, err := r.New(cfg.Collectors[name], deps)
		if err != nil {
			if !explicit && errors.Is(err, collector.ErrUnavailable) {
				deps.Logger.Warn("collector cannot run here; skipped", "reason", err)
				continue
			}
			return nil, fmt.Errorf("collector %s: %w", name, err)
		}
		out = append(out, collector.Instance{Name: name, Collector: c, Deps: deps})
	}
	return out, nil
}

// hostIdentity describes the host for every event.
func hostIdentity(ctx context.Context, root hostfs.Root, name string) event.Host {
	h, _, _ := system.Collect(ctx, root)
	host := event.Host{
		Name: h.Hostname, Hostname: h.Hostname, ID: h.MachineID, Architecture: h.Arch,
		OS: &event.OS{
			Name: h.OS.Name, Version: h.OS.VersionID, Family: h.OS.ID, Platform: h.OS.ID,
			Kernel: h.Kernel.Release, Type: "linux", Full: h.OS.PrettyName,
		},
	}
	if name != "" {
		host.Name = name
	}
	if ifs, _, err := system.Interfaces(ctx, root); err == nil {
		for _, i := range ifs {
			if i.Loopback {
				continue
			}
			if i.MAC != "" && !slices.Contains(host.MAC, i.MAC) {
				host.MAC = append(host.MAC, i.MAC)
			}
			for _, a := range i.Addresses {
				ip, _, _ := strings.Cut(a, "/")
				host.IP = append(host.IP, ip)
			}
		}
	}
	return host
}

// loadOrCreateID returns the agent's identity, kept in path (mode 0600) so it
// survives restarts; a new agent gets a fresh time-ordered UUID.
func loadOrCreateID(path string, now func() time.Time) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		id := strings.TrimSpace(string(b))
		if id != "" && len(id) <= event.MaxIDLen {
			return id, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("agent id: %w", err)
	}
	id := event.NewID(now())
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("agent id: %w", err)
	}
	return id, nil
}
