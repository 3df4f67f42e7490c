package main

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
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/agent"
	"github.com/vigil-sec/vigil/internal/cli"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/httpapi"
	"github.com/vigil-sec/vigil/internal/server"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/transport"
)

// runUp runs a server and a local agent enrolled with it, until Ctrl-C.
func runUp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("up", stderr)
	data := fs.String("data", defaultDataDir, "data `DIR` of the server (the local agent keeps its state in DIR/agent)")
	listen := fs.String("listen", server.DefaultListen, "listen `ADDR` of the server")
	name := fs.String("name", "", "host `NAME` of the local agent (default the hostname)")
	collectors := cli.StringList{Split: true}
	fs.Var(&collectors, "collectors", "comma `LIST` of collectors for the local agent (default: all that can run here)")
	logLevel := fs.String("log-level", "warn", "log `LEVEL` on stderr: debug, info, warn, error")
	var sets cli.StringList
	fs.Var(&sets, "set", "set a local agent configuration `KEY=VALUE` as vigil agent --set does (dotted key, YAML value; repeatable), e.g. collectors.login.auth_logs=[/var/log/auth.log]")
	df := addDetectFlags(fs)
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return cli.UsageError("up takes no arguments, got %q", pos)
	}
	if err := checkListen(*listen); err != nil {
		return err
	}
	log := newLogger(stderr, *logLevel)
	acfg := agent.Default()
	acfg.StateDir = filepath.Join(*data, "agent")
	acfg.Name = *name
	acfg.Enabled = collectors.Values
	var setErrs []error
	for _, s := range sets.Values {
		setErrs = append(setErrs, acfg.Set(s))
	}
	if err := errors.Join(setErrs...); err != nil {
		return cli.UsageError("%v", err)
	}

	cfg := server.Config{
		DataDir: *data, Listen: *listen, Logger: log, HeartbeatInterval: acfg.HeartbeatInterval,
		OpenStore: storeFlags{kind: new("sqlite"), dsn: new("")}.mustOpener(log),
	}
	if err := df.apply(&cfg, log); err != nil {
		return err
	}
	server.TuneGC()
	s, err := server.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := s.Listen(); err != nil {
		return err
	}
	acfg.Server = s.URL()
	token, err := localEnrollToken(ctx, s, acfg.StateDir)
	if err != nil {
		return err
	}
	printUpBanner(stdout, s.URL(), *data)

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	var srvErr, agentErr error
	wg.Go(func() {
		srvErr = s.Run(runCtx)
		stop()
	})
	wg.Go(func() {
		report := &collectorReport{w: stdout, data: *data}
		agentErr = agent.Run(runCtx, acfg, agent.Options{
			Version: version, Root: hostfs.Live(), Stdout: io.Discard, EnrollToken: token,
			Logger: slog.New(&reportHandler{Handler: log.Handler(), r: report}),
		})
		if agentErr != nil && runCtx.Err() == nil {
			fmt.Fprintf(stderr, "vigil: local agent stopped: %v (the server keeps running)\n", agentErr)
			agentErr = nil
		}
	})
	wg.Wait()
	fmt.Fprintln(stdout, "vigil up: stopped")
	return errors.Join(srvErr, agentErr)
}

// mustOpener is opener for the fixed kinds vigil up uses.
func (f storeFlags) mustOpener(log *slog.Logger) func(ctx context.Context, dir string) (store.Store, error) {
	open, err := f.opener(log)
	if err != nil {
		panic(err) // the kind is a constant of this file
	}
	return open
}

// localEnrollToken returns a one-use token for the local agent, or "" when
// it is enrolled already.
func localEnrollToken(ctx context.Context, s *server.Server, stateDir string) (string, error) {
	if _, err := transport.LoadIdentity(filepath.Join(stateDir, "transport")); err == nil {
		return "", nil
	}
	tok, _, err := s.IssueToken(ctx, 10*time.Minute, 1)
	if err != nil {
		return "", fmt.Errorf("local agent token: %w", err)
	}
	return tok, nil
}

func printUpBanner(w io.Writer, url, data string) {
	fmt.Fprintf(w, "vigil is up: server %s\n", url)
	fmt.Fprintf(w, "  admin token: %s (CA: %s)\n", filepath.Join(data, httpapi.AdminTokenFile), filepath.Join(data, httpapi.CAFile))
	fmt.Fprintf(w, "  try:         vigil hosts --data %s\n", data)
	fmt.Fprintf(w, "               vigil search --data %s 'event.action:exec' --since 15m\n", data)
	fmt.Fprintf(w, "               vigil alerts --data %s --status open\n", data)
	fmt.Fprintf(w, "  enroll more: vigil server token create --data %s, then vigil agent --server %s --enroll TOKEN\n", data, url)
	fmt.Fprintln(w, "  Ctrl-C stops everything.")
}

// collectorReport prints which collectors the local agent runs and which it
// skipped, with how to get them.
type collectorReport struct {
	w    io.Writer
	data string
	mu   sync.Mutex
	skip []string
}

func (r *collectorReport) skipped(name, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skip = append(r.skip, fmt.Sprintf("%s (%s)", name, reason))
}

func (r *collectorReport) started(collectors string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, "  local agent collectors: %s\n", strings.ReplaceAll(collectors, ",", ", "))
	if len(r.skip) == 0 {
		return
	}
	slices.Sort(r.skip)
	fmt.Fprintf(r.w, "  not running: %s\n", strings.Join(r.skip, "; "))
	if os.Geteuid() != 0 {
		fmt.Fprintf(r.w, "  to record commands, logins and file changes too, run as root: sudo vigil up --data %s\n", r.data)
	}
}

// reportHandler passes records on and tells the report about the agent's
// start and skipped collectors.
type reportHandler struct {
	slog.Handler
	r     *collectorReport
	attrs []slog.Attr
}

func (h *reportHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *reportHandler) Handle(ctx context.Context, rec slog.Record) error {
	attr := func(key string) string {
		for _, a := range h.attrs {
			if a.Key == key {
				return a.Value.String()
			}
		}
		v := ""
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == key {
				v = a.Value.String()
				return false
			}
			return true
		})
		return v
	}
	switch {
	case rec.Message == "agent started":
		h.r.started(attr("collectors"))
	case strings.HasPrefix(rec.Message, "collector cannot run here"):
		h.r.skipped(attr("collector"), attr("reason"))
	}
	if !h.Handler.Enabled(ctx, rec.Level) {
		return nil
	}
	return h.Handler.Handle(ctx, rec)
}

func (h *reportHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &reportHandler{Handler: h.Handler.WithAttrs(as), r: h.r, attrs: append(slices.Clip(h.attrs), as...)}
}

func (h *reportHandler) WithGroup(name string) slog.Handler {
	return &reportHandler{Handler: h.Handler.WithGroup(name), r: h.r, attrs: h.attrs}
}
