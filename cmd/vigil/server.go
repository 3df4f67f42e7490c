package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/cli"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/httpapi"
	"github.com/vigil-sec/vigil/internal/pki"
	"github.com/vigil-sec/vigil/internal/server"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/postgres"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
	"github.com/vigil-sec/vigil/internal/transport"
)

// sqliteFile is the SQLite store's file inside the data dir.
const sqliteFile = "events.db"

// storeFlags select and open the store.
type storeFlags struct {
	kind, dsn *string
}

func (f storeFlags) opener(log *slog.Logger) (func(ctx context.Context, dir string) (store.Store, error), error) {
	if err := cli.OneOf("store", *f.kind, "sqlite", "postgres"); err != nil {
		return nil, err
	}
	if *f.kind == "postgres" {
		if *f.dsn == "" {
			return nil, cli.UsageError("--store postgres needs --postgres DSN")
		}
		dsn := *f.dsn
		return func(ctx context.Context, _ string) (store.Store, error) {
			return postgres.Open(ctx, dsn, postgres.Options{})
		}, nil
	}
	return func(ctx context.Context, dir string) (store.Store, error) {
		return sqlite.Open(ctx, filepath.Join(dir, sqliteFile), sqlite.Options{Logger: log})
	}, nil
}

func runServer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "token" {
		return runServerToken(ctx, args[1:], stdout, stderr)
	}
	fs := cli.NewFlagSet("server", stderr)
	data := fs.String("data", "", "data `DIR`: CA, certificates, admin token, store (created on first start)")
	listen := fs.String("listen", server.DefaultListen, "listen `ADDR` (host:port); TLS always")
	sf := storeFlags{
		kind: fs.String("store", "sqlite", "store `KIND`: sqlite (in the data dir) or postgres"),
		dsn:  fs.String("postgres", "", "PostgreSQL `DSN` for --store postgres"),
	}
	heartbeat := fs.Duration("heartbeat", server.DefaultHeartbeatInterval, "agents' heartbeat `INTERVAL`; a host missing three is offline")
	retentionDays := fs.Int("retention-days", server.DefaultRetentionDays, "keep events `N` days (categories without --retention)")
	var retention cli.StringList
	fs.Var(&retention, "retention", "keep events of a category `CATEGORY=DAYS` (repeatable), e.g. process=30")
	logLevel := fs.String("log-level", "info", "log `LEVEL` on stderr: debug, info, warn, error")
	df := addDetectFlags(fs)
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return cli.UsageError("server takes no arguments (or: server token create), got %q", pos)
	}
	if *data == "" {
		return cli.UsageError("server needs --data DIR")
	}
	perCat, err := parseRetention(retention.Values)
	if err != nil {
		return err
	}
	log := newLogger(stderr, *logLevel)
	open, err := sf.opener(log)
	if err != nil {
		return err
	}
	cfg := server.Config{
		DataDir: *data, Listen: *listen, OpenStore: open, HeartbeatInterval: *heartbeat,
		Retention: perCat, RetentionDays: *retentionDays, Logger: log,
	}
	if err := df.apply(&cfg, log); err != nil {
		return err
	}
	if err := checkListen(*listen); err != nil {
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
	fmt.Fprintf(stdout, "vigil server on %s\nadmin token: %s\nCA: %s\n", s.URL(),
		filepath.Join(*data, httpapi.AdminTokenFile), filepath.Join(*data, pki.CACertFile))
	return s.Run(ctx)
}

// checkListen rejects an address the server could not bind to before the
// data dir is touched.
func checkListen(addr string) error {
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		return cli.UsageError("--listen %q: want HOST:PORT", addr)
	}
	return nil
}

func parseRetention(vals []string) (map[string]int, error) {
	out := map[string]int{}
	for _, v := range vals {
		cat, days, ok := strings.Cut(v, "=")
		n, err := strconv.Atoi(days)
		if !ok || cat == "" || err != nil || n < 1 {
			return nil, cli.UsageError("--retention %q: want CATEGORY=DAYS with DAYS >= 1", v)
		}
		out[cat] = n
	}
	return out, nil
}

// runServerToken creates an enrollment token. It asks the running server
// (found through DIR/server.json) and, when no server answers there, writes
// the token into the store directly (SQLite in the data dir, or --postgres).
func runServerToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return cli.UsageError("usage: vigil server token create --data DIR [--ttl 1h] [--uses N]")
	}
	fs := cli.NewFlagSet("server token create", stderr)
	data := fs.String("data", "", "the server's data `DIR`")
	ttl := fs.String("ttl", "1h", "token lifetime `DURATION` (1h, 7d)")
	uses := fs.Int("uses", 1, "enrollments the token allows (`N`)")
	sf := storeFlags{
		kind: fs.String("store", "sqlite", "store `KIND` when the server is down: sqlite or postgres"),
		dsn:  fs.String("postgres", "", "PostgreSQL `DSN` when the server is down and uses --store postgres"),
	}
	pos, err := cli.Parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 || *data == "" {
		return cli.UsageError("usage: vigil server token create --data DIR [--ttl 1h] [--uses N]")
	}
	d, err := httpapi.ParseDuration(*ttl)
	if err != nil || d <= 0 {
		return cli.UsageError("--ttl %q: want a positive duration (1h, 7d)", *ttl)
	}
	if *uses < 1 {
		return cli.UsageError("--uses must be at least 1")
	}
	tok, via, err := tokenFromServer(ctx, *data, *ttl, *uses)
	if err != nil && errors.Is(err, errServerDown) {
		tok, err = tokenFromStore(ctx, *data, sf, d, *uses)
		via = "written to the store (no server running)"
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "enrollment token for %d enrollment(s), valid %s, %s:\n", *uses, d, via)
	fmt.Fprintln(stdout, tok)
	return nil
}

var errServerDown = errors.New("server not running")

func tokenFromServer(ctx context.Context, dir, ttl string, uses int) (string, string, error) {
	ep, err := httpapi.Locate{DataDir: dir}.Resolve()
	if err != nil {
		return "", "", fmt.Errorf("%w: %v", errServerDown, err)
	}
	c, err := httpapi.NewClient(ep)
	if err != nil {
		return "", "", err
	}
	hctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := c.Healthy(hctx); err != nil {
		return "", "", fmt.Errorf("%w: %v", errServerDown, err)
	}
	t, err := c.CreateToken(ctx, httpapi.TokenRequest{TTL: ttl, Uses: uses})
	if err != nil {
		return "", "", err
	}
	return t.Token, "from the server at " + ep.URL, nil
}

func tokenFromStore(ctx context.Context, dir string, sf storeFlags, ttl time.Duration, uses int) (string, error) {
	ca, err := server.LoadCA(dir)
	if err != nil {
		return "", fmt.Errorf("%s is not a server data dir (run vigil server --data %s once): %w", dir, dir, err)
	}
	open, err := sf.opener(slog.New(slog.DiscardHandler))
	if err != nil {
		return "", err
	}
	st, err := open(ctx, dir)
	if err != nil {
		return "", fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	tok, _, err := server.IssueToken(ctx, st, ca, transport.NewToken, time.Now(), ttl, uses)
	return tok, err
}

// detectFlags are the detection and notification flags of server and up.
type detectFlags struct {
	rules       cli.StringList
	noPack      *bool
	notify      *string
	suppression *time.Duration
	agentPaths  cli.StringList
}

func addDetectFlags(fs *flag.FlagSet) *detectFlags {
	f := &detectFlags{}
	fs.Var(&f.rules, "rules", "Sigma rules `DIR` or file, loaded beside the built-in pack and reloaded on change (repeatable)")
	f.noPack = fs.Bool("no-pack", false, "leave vigil's built-in rule pack out")
	f.notify = fs.String("notify", "", "notifications `FILE` (YAML routes to webhook, email, syslog; see docs/alerts.md)")
	f.suppression = fs.Duration("suppression", detect.DefaultSuppression, "repeats of an open alert within `WINDOW` fold into it")
	fs.Var(&f.agentPaths, "agent-path", "another `PATH` of the vigil binary on agents, never alerted on (repeatable)")
	return f
}

// apply sets the detection fields of cfg.
func (f *detectFlags) apply(cfg *server.Config, log *slog.Logger) error {
	cfg.Detection = detect.Options{RuleDirs: f.rules.Values, NoPack: *f.noPack, Suppression: *f.suppression,
		SelfExecutables: f.agentPaths.Values}
	if *f.suppression <= 0 {
		return cli.UsageError("--suppression must be positive")
	}
	if *f.notify != "" {
		r, err := server.LoadNotify(*f.notify, log.With("component", "notify"))
		if err != nil {
			return err
		}
		cfg.Notify = r
	}
	return nil
}
