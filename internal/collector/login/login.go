// Package login is the agent's login collector: it follows the auth log
// (sshd, sudo, su, PAM, shadow-utils, logind lines, parsed by
// internal/authlog) or, on hosts without one, the systemd journal, and the
// wtmp/btmp login records (internal/utmp), and emits authentication,
// session and iam events.
//
// Design choices:
//   - Files are polled (default every second) rather than watched with
//     inotify: an auth log grows by a few lines a second at most, polling
//     handles rotation and files that appear later in one code path, and it
//     costs one stat per file per second.
//   - Every configured auth log is followed (default /var/log/auth.log and
//     /var/log/secure; missing ones are skipped until they appear).
//   - Positions (inode, offset, first-bytes hash) are saved in the state
//     directory only after the events of the lines read were accepted by
//     the agent's output (the spool; Health.WaitWritten), so a kill -9 of
//     the agent never skips lines. Event IDs are derived from the file,
//     the offset and the line, so a crash between emit and save repeats
//     events with the same IDs, which the server stores once.
//   - Reading files needs no drop: when the agent's queue is full (emit
//     returns false) the collector stops at that line, keeps its position
//     and retries it at the next poll, with the same ID. It is a
//     collector.Retrier, so the runner counts the refusal as
//     events_refused and reports no loss.
//   - On a first start (no saved position) files and the journal are read
//     from their end; deps.FromStart or from_start reads them from the
//     beginning.
//   - utmp (current sessions) is not read: every login and logout in it is
//     also written to wtmp, which is append-only and so can be followed.
//   - The systemd journal is read through journalctl (internal/journal), as
//     log shippers without libsystemd do: `journalctl --output=json
//     --follow` with matches for the entries an auth log would hold
//     (facilities auth and authpriv, and the programs authlog parses). Its
//     entries go through the auth log's message parsers
//     (authlog.ParseRecord); an event's message is the entry written as
//     rsyslog would write it in an auth log. journal: auto (the default)
//     reads the journal instead of the auth logs when none of them exists,
//     journalctl is installed and the host has a journal; the choice is
//     made at start. The journal and the auth logs are never both read:
//     where rsyslog writes auth.log from the journal, both hold the same
//     lines.
//   - The journal position is the cursor of the last entry whose events
//     were emitted, saved with the file positions and handed back with
//     --after-cursor; event IDs derive from the cursor, so a replay after a
//     crash repeats IDs. A first start reads from the end: the cursor of
//     the last entry then is saved as the start point. When the queue is
//     full the collector waits and emits the refused event again, and
//     journalctl waits on its pipe meanwhile.
//   - A journalctl that fails or exits is started again after a wait that
//     doubles from 1 s to 1 min; the collector is degraded (with
//     journalctl's message) until it runs again, and the first failure is
//     logged as a warning. At stop journalctl's process group is killed.
package login

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/authlog"
	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/journal"
	"github.com/vigil-sec/vigil/internal/tail"
	"github.com/vigil-sec/vigil/internal/utmp"
)

// Name is the collector's registry name.
const Name = "login"

// Config is the login collector's configuration section.
type Config struct {
	AuthLogs     []string      `yaml:"auth_logs" doc:"auth logs to follow (all that exist; --auth-log replaces the list)"`
	Wtmp         string        `yaml:"wtmp" doc:"login/logout/boot records; empty to skip"`
	Btmp         string        `yaml:"btmp" doc:"failed login records; empty to skip"`
	PollInterval time.Duration `yaml:"poll_interval" doc:"how often the files are checked for new lines and records"`
	FromStart    bool          `yaml:"from_start" doc:"on a first start read existing files (or the journal) from the beginning instead of their end"`
	Journal      string        `yaml:"journal" doc:"read the systemd journal through journalctl instead of auth_logs: auto (when none of auth_logs exists, journalctl is installed and the host has a journal; decided at start), on or off"`
	JournalDir   string        `yaml:"journal_dir" doc:"read the journal files of this directory instead of the host's journal (--journal-dir sets it and journal: on)"`
	JournalFiles []string      `yaml:"journal_files" doc:"read these journal files (paths or globs) instead of the host's journal"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() *Config {
	return &Config{
		AuthLogs:     []string{"/var/log/auth.log", "/var/log/secure"},
		Wtmp:         "/var/log/wtmp",
		Btmp:         "/var/log/btmp",
		PollInterval: time.Second,
		Journal:      JournalAuto,
	}
}

func init() {
	collector.Register(collector.Registration{
		Name:          Name,
		Doc:           "logins, failed logins, sudo, su and account changes from the auth log (or the systemd journal), wtmp and btmp",
		DefaultConfig: func() any { return DefaultConfig() },
		Available:     func(collector.Deps) (bool, string) { return true, "" },
		New:           New,
	})
}

// Collector follows the auth logs and login record files.
type Collector struct {
	cfg  Config
	deps collector.Deps
	log  *slog.Logger
}

// New builds the collector from its configuration.
func New(cfg any, deps collector.Deps) (any, error) {
	c, ok := cfg.(*Config)
	if !ok || c == nil {
		return nil, fmt.Errorf("login: config is %T, want *login.Config", cfg)
	}
	var errs []error
	if c.PollInterval <= 0 {
		errs = append(errs, fmt.Errorf("poll_interval must be positive, got %v", c.PollInterval))
	}
	switch c.Journal {
	case JournalAuto, JournalOn, JournalOff:
	default:
		errs = append(errs, fmt.Errorf("journal must be %s, %s or %s, got %q", JournalAuto, JournalOn, JournalOff, c.Journal))
	}
	if c.JournalDir != "" && len(c.JournalFiles) > 0 {
		errs = append(errs, errors.New("set journal_dir or journal_files, not both"))
	}
	for _, p := range append([]string{c.JournalDir}, c.JournalFiles...) {
		if p != "" && !filepath.IsAbs(p) {
			errs = append(errs, fmt.Errorf("journal path %q is not absolute", p))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	return &Collector{cfg: *c, deps: deps, log: deps.Logger}, nil
}

// RetriesRefused tells the runner that an event its queue refuses is read
// and emitted again at the next poll, so a refusal is no loss.
func (c *Collector) RetriesRefused() bool { return true }

// state is what the collector keeps in its state directory.
type state struct {
	Logs    map[string]tail.Position `json:"logs"`
	Records map[string]tail.Position `json:"records"`
	// Journals holds the cursor of the last entry read, by journal (its
	// key: "journal", or "journal:" and the configured directory or files).
	Journals map[string]string `json:"journals,omitempty"`
}

const stateFile = "positions.json"

func (c *Collector) loadState() state {
	st := state{Logs: map[string]tail.Position{}, Records: map[string]tail.Position{}, Journals: map[string]string{}}
	if c.deps.StateDir == "" {
		return st
	}
	data, err := os.ReadFile(filepath.Join(c.deps.StateDir, stateFile))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.log.Warn("cannot read positions, starting afresh", "err", err)
		}
		return st
	}
	if err := json.Unmarshal(data, &st); err != nil {
		c.log.Warn("bad positions file, starting afresh", "err", err)
	}
	if st.Logs == nil {
		st.Logs = map[string]tail.Position{}
	}
	if st.Records == nil {
		st.Records = map[string]tail.Position{}
	}
	if st.Journals == nil {
		st.Journals = map[string]string{}
	}
	return st
}

func (c *Collector) saveState(st state) error {
	if c.deps.StateDir == "" {
		return nil
	}
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode positions: %w", err)
	}
	if err := collector.WriteStateFile(c.deps.StateDir, stateFile, data); err != nil {
		return fmt.Errorf("save positions: %w", err)
	}
	return nil
}

// Run follows the files, or the journal, until ctx ends.
func (c *Collector) Run(ctx context.Context, emit collector.Emit, health *collector.Health) error {
	st := c.loadState()
	fromStart := c.cfg.FromStart || c.deps.FromStart
	logs, jr, err := c.openLogs(st, fromStart)
	if err != nil {
		return err
	}
	defer func() {
		for _, l := range logs {
			l.Close()
		}
	}()
	var recs []*recordFile
	for _, r := range []struct {
		path string
		src  utmp.Source
	}{{c.cfg.Wtmp, utmp.Wtmp}, {c.cfg.Btmp, utmp.Btmp}} {
		if r.path != "" {
			pos, has := st.Records[r.path]
			recs = append(recs, &recordFile{path: r.path, src: r.src, pos: pos, has: has, fromStart: fromStart})
		}
	}
	var wg sync.WaitGroup
	if jr != nil {
		wg.Go(func() { jr.run(ctx, emit, health) })
	}
	defer wg.Wait()
	tick := time.NewTicker(c.cfg.PollInterval)
	defer tick.Stop()
	for {
		stopping := ctx.Err() != nil
		if stopping {
			// The journal reader's last cursor is saved below.
			wg.Wait()
		} else {
			c.pollOnce(ctx, logs, recs, emit, health)
		}
		// The cursor is taken before waiting for the output: the reader
		// goes on meanwhile, and only what was emitted before the wait is
		// known to be written after it.
		var cursor string
		if jr != nil {
			cursor = jr.Cursor()
		}
		if written(ctx, health) {
			for _, l := range logs {
				st.Logs[l.Path()] = l.Position()
			}
			for _, r := range recs {
				if r.has {
					st.Records[r.path] = r.pos
				}
			}
			if cursor != "" {
				st.Journals[jr.key] = cursor
			}
			if err := c.saveState(st); err != nil {
				health.Set("degraded", err.Error())
				health.Add("errors", 1)
			}
		}
		if stopping {
			return nil
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
}

// openLogs returns the followers of the auth logs, or the journal source
// that replaces them.
func (c *Collector) openLogs(st state, fromStart bool) ([]*tail.Follower, *journalSource, error) {
	if use, why := c.useJournal(); use {
		jr, err := newJournalSource(&c.cfg, c.deps.Root, fromStart, c.log)
		if err != nil {
			return nil, nil, err
		}
		jr.resume(st.Journals[jr.key])
		c.log.Info("reading the systemd journal instead of the auth logs", "why", why, "journal", jr.key)
		return nil, jr, nil
	}
	var logs []*tail.Follower
	for _, p := range c.cfg.AuthLogs {
		logs = append(logs, tail.New(c.deps.Root, p, st.Logs[p], tail.Options{FromStart: fromStart, Now: c.deps.Now}))
	}
	return logs, nil, nil
}

// useJournal decides at start whether the journal replaces the auth logs,
// and why.
func (c *Collector) useJournal() (bool, string) {
	switch c.cfg.Journal {
	case JournalOff:
		return false, ""
	case JournalOn:
		return true, "journal: on"
	}
	for _, p := range c.cfg.AuthLogs {
		if _, err := c.deps.Root.Stat(p); err == nil {
			return false, ""
		}
	}
	if _, err := journal.Find(); err != nil {
		return false, ""
	}
	if c.cfg.JournalDir == "" && len(c.cfg.JournalFiles) == 0 && !c.exists("/run/log/journal") && !c.exists("/var/log/journal") {
		return false, ""
	}
	return true, "no auth log, journal: auto"
}

func (c *Collector) exists(path string) bool {
	_, err := c.deps.Root.Stat(path)
	return err == nil
}

// written waits until the events emitted so far are in the agent's output,
// so that saved positions never run ahead of them (a kill of the agent
// would skip the lines in between). At stop it waits at most stopWait;
// positions not saved then only make the next start read some lines again,
// with the same event IDs.
func written(ctx context.Context, health *collector.Health) bool {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), stopWait)
		defer cancel()
	}
	return health.WaitWritten(ctx) == nil
}

// stopWait bounds the wait for the output at stop.
const stopWait = 2 * time.Second

// errQueueFull stops reading a file when the agent's queue refuses an event.
var errQueueFull = errors.New("agent queue full")

func (c *Collector) pollOnce(ctx context.Context, logs []*tail.Follower, recs []*recordFile, emit collector.Emit, health *collector.Health) {
	now := c.deps.Now()
	for _, l := range logs {
		opts := authlog.Options{Ref: now, Source: l.Path()}
		err := l.Poll(ctx, func(line tail.Line) error {
			health.Add("lines", 1)
			if line.Truncated {
				health.Add("lines_truncated", 1)
			}
			evs, err := authlog.ParseLine(line.Data, line.Offset, opts)
			if err != nil {
				health.Add("lines_unparsed", 1)
			}
			for _, e := range evs {
				if !emit(e) {
					return errQueueFull
				}
			}
			return nil
		})
		c.noteErr(l.Path(), err, health)
	}
	for _, r := range recs {
		c.noteErr(r.path, r.poll(ctx, c.deps, emit, health), health)
	}
}

func (c *Collector) noteErr(path string, err error, health *collector.Health) {
	switch {
	case err == nil || errors.Is(err, context.Canceled):
	case errors.Is(err, errQueueFull):
		health.Add("retries_queue_full", 1)
	default:
		health.Add("errors", 1)
		health.Set("degraded", fmt.Sprintf("%s: %v", path, err))
		c.log.Warn("read failed", "path", path, "err", err)
	}
}
