package agent

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/spool"
	"github.com/vigil-sec/vigil/internal/transport"
)

// shipperOutput sends events to the server through the disk spool. Close
// flushes the spool and stops the sender; events not yet acknowledged stay
// in the spool and are sent at the next start.
type shipperOutput struct {
	*transport.Shipper
	spool  *spool.Spool
	cancel context.CancelFunc
	done   chan struct{} // closed when the sender and the reporter stopped
	once   sync.Once
}

// startShipper enrolls (once) and starts sending. The enrolled agent id
// replaces the local one in agent.
func startShipper(ctx context.Context, cfg *Config, opts Options, host event.Host, agent *event.Agent) (*shipperOutput, error) {
	dir := filepath.Join(cfg.StateDir, "transport")
	id, err := transport.LoadIdentity(dir)
	if err != nil {
		if opts.EnrollToken == "" {
			return nil, fmt.Errorf("not enrolled with %s: run vigil agent --server URL --enroll TOKEN once (%v)", cfg.Server, err)
		}
		osName := ""
		if host.OS != nil {
			osName = host.OS.Full
		}
		id, err = transport.Enroll(ctx, cfg.Server, opts.EnrollToken, dir, transport.HostFacts{
			Name: host.Name, Hostname: host.Hostname, OS: osName, AgentVersion: opts.Version,
		})
		if err != nil {
			return nil, fmt.Errorf("enroll: %w", err)
		}
		opts.Logger.Info("enrolled", "server", cfg.Server, "agent_id", id.AgentID)
	}
	agent.ID = id.AgentID
	tlsCfg, err := id.TLSConfig()
	if err != nil {
		return nil, err
	}
	sp, err := spool.Open(filepath.Join(cfg.StateDir, "spool"), spool.Options{
		MaxBytes: cfg.Spool.MaxBytes, MaxAge: cfg.Spool.MaxAge, Encode: transport.EncodeBatch,
		Host: &host, Agent: agent, Now: opts.Now, Logger: opts.Logger.With("component", "spool"),
	})
	if err != nil {
		return nil, err
	}
	osName := ""
	if host.OS != nil {
		osName = host.OS.Full
	}
	rep := newReporter(cfg, opts)
	sh, err := transport.NewShipper(transport.ShipperOptions{
		ServerURL: cfg.Server, TLS: tlsCfg, Spool: sp,
		AgentVersion: opts.Version, Hostname: host.Name, OS: osName,
		HeartbeatInterval: cfg.HeartbeatInterval, Now: opts.Now,
		OnPolicy: rep.OnPolicy, OnTask: rep.OnTask,
		Logger: opts.Logger.With("component", "shipper"),
	})
	if err != nil {
		sp.Close()
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	o := &shipperOutput{Shipper: sh, spool: sp, cancel: cancel, done: make(chan struct{})}
	rep.send = sh.SendDocument
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := sh.Run(runCtx); err != nil {
			opts.Logger.Error("shipper stopped", "err", err)
		}
	})
	wg.Go(func() { rep.Run(runCtx) })
	go func() {
		wg.Wait()
		close(o.done)
	}()
	return o, nil
}

// Close syncs the spool to disk, stops the sender and closes the spool;
// what the server has not acknowledged is sent after the next start.
func (o *shipperOutput) Close() error {
	var err error
	o.once.Do(func() {
		err = o.Flush()
		o.cancel()
		select {
		case <-o.done:
		case <-time.After(StopTimeout / 2):
			err = errors.Join(err, errors.New("shipper did not stop in time"))
		}
		err = errors.Join(err, o.spool.Close())
	})
	return err
}
