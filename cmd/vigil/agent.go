package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"strings"

	"github.com/vigil-sec/vigil/internal/agent"
	"github.com/vigil-sec/vigil/internal/cli"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("agent", stderr)
	configPath := fs.String("config", "", "read the configuration from `FILE` (YAML; see --print-config)")
	output := fs.String("output", "", "where events go: - for stdout, or a file `PATH`")
	collectors := cli.StringList{Split: true}
	fs.Var(&collectors, "collectors", "comma `LIST` of collectors to run (default: all that can run here)")
	var fimPaths, authLogs, sets cli.StringList
	fs.Var(&fimPaths, "fim-path", "watch `DIR` for file changes instead of the default paths (repeatable)")
	fs.Var(&authLogs, "auth-log", "read this auth log `FILE` instead of the default ones (repeatable)")
	journalDir := fs.String("journal-dir", "", "read the systemd journal files of `DIR` instead of the auth logs")
	fs.Var(&sets, "set", "set any configuration `KEY=VALUE` (dotted key, YAML value; repeatable), e.g. collectors.audit.mode=observer")
	fromStart := fs.Bool("from-start", false, "on a first start, read existing log files from the beginning")
	stateDir := fs.String("state", "", "state `DIR` (identity, positions, baselines)")
	name := fs.String("name", "", "host `NAME` reported in events")
	server := fs.String("server", "", "send events to the vigil server at `URL` (https://HOST:PORT)")
	enroll := fs.String("enroll", "", "enroll with the server using `TOKEN` (once; the identity is kept in the state dir)")
	logLevel := fs.String("log-level", "", "log `LEVEL` on stderr: debug, info, warn, error")
	queueSize := fs.Int("queue-size", 0, "events buffered before the output (`N`)")
	printConfig := fs.Bool("print-config", false, "print the effective configuration, documented, and exit")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return cli.UsageError("agent takes no arguments, got %q", pos)
	}

	cfg := agent.Default()
	if *configPath != "" {
		if err := cfg.Load(*configPath); err != nil {
			return cli.UsageError("%v", err)
		}
	}
	var errs []string
	set := func(assign string) {
		if err := cfg.Set(assign); err != nil {
			errs = append(errs, err.Error())
		}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "output":
			cfg.Output = *output
		case "collectors":
			cfg.Enabled = collectors.Values
		case "fim-path":
			set("collectors.fim.paths=" + yamlList(fimPaths.Values))
		case "auth-log":
			set("collectors.login.auth_logs=" + yamlList(authLogs.Values))
		case "journal-dir":
			set("collectors.login.journal_dir=" + yamlString(*journalDir))
			set("collectors.login.journal=on")
		case "from-start":
			cfg.FromStart = *fromStart
		case "state":
			cfg.StateDir = *stateDir
		case "name":
			cfg.Name = *name
		case "server":
			cfg.Server = *server
		case "log-level":
			cfg.LogLevel = *logLevel
		case "queue-size":
			cfg.QueueSize = *queueSize
		}
	})
	for _, s := range sets.Values {
		set(s)
	}
	if len(errs) > 0 {
		return cli.UsageError("%s", strings.Join(errs, "; "))
	}
	if err := cfg.Validate(); err != nil {
		return cli.UsageError("%v", err)
	}
	if *enroll != "" && cfg.Server == "" {
		return cli.UsageError("--enroll needs --server (or server: in the config file)")
	}
	if *printConfig {
		return cfg.WriteDocumented(stdout)
	}
	return agent.Run(ctx, cfg, agent.Options{
		Version: version,
		Root:    hostfs.Live(),
		Logger:  newLogger(stderr, cfg.LogLevel),
		Stdout:  stdout,

		EnrollToken: *enroll,
	})
}

// yamlList renders strings as a YAML flow list (JSON is valid YAML).
func yamlList(v []string) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// yamlString renders a string as a YAML scalar (a JSON string is valid YAML).
func yamlString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
