package login

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-sec/vigil/internal/authlog"
	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/journal"
)

// Values of Config.Journal.
const (
	JournalAuto = "auto"
	JournalOn   = "on"
	JournalOff  = "off"
)

// authPrograms are the programs whose journal entries are read whatever
// their syslog facility: the ones internal/authlog parses.
var authPrograms = []string{
	"sshd", "sshd-session", "sshd-auth", "sudo", "su", "login", "systemd-logind",
	"useradd", "usermod", "userdel", "groupadd", "groupmod", "groupdel",
	"passwd", "chage", "chpasswd", "gpasswd", "chfn", "chsh", "newusers",
}

// rootOnly are the programs, and PAM services, that log only while their
// effective user ID is 0: daemons running as root, setuid-root tools, and
// what only root may run. An entry naming one of them, by its tag or as
// the service of a PAM message, that came from another user is forged.
var rootOnly = func() map[string]bool {
	m := map[string]bool{"cron": true, "systemd-user": true, "su-l": true, "sudo-i": true, "runuser": true, "runuser-l": true}
	for _, p := range authPrograms {
		m[p] = true
	}
	return m
}()

// forged reports whether the record h of entry e claims to come from a
// root-only program or PAM service (authlog.Claims) but was sent by another
// user: any user can run logger -t sshd "Accepted password for root from
// ...", which an auth log cannot tell from sshd's own line. _UID is the
// sender's effective user ID as the kernel gave it to journald. An entry
// without it (imported from another machine's export) cannot be checked.
func forged(e journal.Entry, h authlog.Header) bool {
	if e.UID <= 0 {
		return false
	}
	for _, p := range authlog.Claims(h) {
		if rootOnly[p] {
			return true
		}
	}
	return false
}

// authMatch selects the entries an auth log would hold (syslog facilities
// auth and authpriv, as rsyslog's auth,authpriv.* rule) and those of the
// programs above, which may log natively without a facility. machineID,
// when set, restricts every group to this host's entries (see journal.Args
// on --merge).
func authMatch(machineID string) []journal.Group {
	groups := []journal.Group{
		{{Field: "SYSLOG_FACILITY", Values: []string{"4", "10"}}},
		{{Field: "_COMM", Values: authPrograms}},
		{{Field: "SYSLOG_IDENTIFIER", Values: authPrograms}},
	}
	if machineID != "" {
		for i := range groups {
			groups[i] = append(groups[i], journal.Term{Field: "_MACHINE_ID", Values: []string{machineID}})
		}
	}
	return groups
}

// Restart backoff of journalctl: the wait doubles from minRestart up to
// maxRestart, and is back at minRestart once journalctl has printed an
// entry or stayed up for healthyAfter.
const (
	minRestart   = time.Second
	maxRestart   = time.Minute
	healthyAfter = 10 * time.Second
)

// journalReason starts the health reason the journal source sets, so that
// it clears only its own.
const journalReason = "journal: "

// journalSource follows the systemd journal through journalctl.
type journalSource struct {
	// key names the journal in saved positions and event IDs.
	key string
	// opts say what to read; the cursor and the start point are set at each
	// start of journalctl.
	opts      journal.Options
	fromStart bool
	// retry is the wait before an event the agent's queue refused is
	// emitted again.
	retry time.Duration
	log   *slog.Logger

	mu     sync.Mutex
	cursor string // the last entry whose events were all emitted
	// placed is set once the start point of a first start is known, so that
	// a restart of journalctl does not move it to the end again.
	placed bool
}

// newJournalSource returns the source the configuration asks for, reading
// a fixture tree's journal when root is not the live host.
func newJournalSource(cfg *Config, root hostfs.Root, fromStart bool, log *slog.Logger) (*journalSource, error) {
	j := &journalSource{key: "journal", fromStart: fromStart, retry: cfg.PollInterval, log: log}
	switch {
	case cfg.JournalDir != "":
		j.key += ":" + cfg.JournalDir
		dir, err := root.Resolve(cfg.JournalDir)
		if err != nil {
			return nil, fmt.Errorf("journal_dir: %w", err)
		}
		j.opts.Directory = dir
		j.opts.Match = authMatch("")
	case len(cfg.JournalFiles) > 0:
		j.key += ":" + strings.Join(cfg.JournalFiles, ",")
		for _, f := range cfg.JournalFiles {
			j.opts.Files = append(j.opts.Files, root.Path(f))
		}
		j.opts.Match = authMatch("")
	default:
		if !root.IsLive() {
			j.opts.Root = root.Dir()
		}
		j.opts.Match = authMatch(machineID(root))
	}
	return j, nil
}

// resume starts after a saved cursor ("" for none). A malformed one (the
// state file was edited) is dropped: journalctl would refuse it forever.
func (j *journalSource) resume(cursor string) {
	switch {
	case journal.ValidCursor(cursor):
		j.setCursor(cursor)
	case cursor != "":
		j.log.Warn("saved journal cursor is malformed, starting afresh", "cursor", cursor)
	}
}

// machineID returns the host's /etc/machine-id, or "" when it has none
// (the journal is then read without restricting it to this host).
func machineID(root hostfs.Root) string {
	data, err := root.ReadFile("/etc/machine-id", 64)
	if err != nil {
		return ""
	}
	id := strings.TrimSpace(string(data))
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		return ""
	}
	return id
}

// Cursor returns the cursor of the last entry whose events were all
// emitted ("" before the first).
func (j *journalSource) Cursor() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.cursor
}

func (j *journalSource) setCursor(c string) {
	j.mu.Lock()
	j.cursor, j.placed = c, true
	j.mu.Unlock()
}

// run follows the journal until ctx ends, restarting journalctl with a
// capped backoff when it fails: the collector's health says degraded (with
// journalctl's message) until it runs again, and only the first failure of
// a run of failures is logged as a warning.
func (j *journalSource) run(ctx context.Context, emit collector.Emit, health *collector.Health) {
	wait := minRestart
	warned := false
	for {
		var up atomic.Bool
		err := j.once(ctx, emit, health, func() {
			if up.CompareAndSwap(false, true) {
				j.recovered(health)
			}
		})
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("journalctl ended")
		}
		if up.Load() {
			wait, warned = minRestart, false
		}
		health.Add("journal_restarts", 1)
		health.Set(event.CollectorStateDegraded, journalReason+err.Error())
		if !warned {
			j.log.Warn("journal reader stopped; restarting it", "err", err, "retry_in", wait)
			warned = true
		} else {
			j.log.Debug("journal reader stopped again", "err", err, "retry_in", wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, maxRestart)
	}
}

// recovered clears a degraded state the journal source set.
func (j *journalSource) recovered(health *collector.Health) {
	if state, reason := health.State(); state == event.CollectorStateDegraded && strings.HasPrefix(reason, journalReason) {
		health.Set(event.CollectorStateRunning, "")
		j.log.Info("journal reader running again")
	}
}

// once runs journalctl once, from the last cursor, until it ends. up is
// called when journalctl proves to work: at its first entry, or when it
// stayed up for healthyAfter.
func (j *journalSource) once(ctx context.Context, emit collector.Emit, health *collector.Health, up func()) error {
	prog, err := journal.Find()
	if err != nil {
		return err
	}
	j.mu.Lock()
	opts, placed := j.opts, j.placed
	opts.AfterCursor = j.cursor
	j.mu.Unlock()
	if !placed && !j.fromStart {
		// A first start reads only what comes next. Its start point is the
		// last entry there is now, saved like any cursor: entries written
		// before the first new one would otherwise be lost to a restart.
		last, err := j.last(ctx, prog)
		if err != nil {
			return err
		}
		j.setCursor(last)
		opts.AfterCursor = last
	}
	opts.Follow = true
	args, err := journal.Args(opts)
	if err != nil {
		return err
	}
	timer := time.AfterFunc(healthyAfter, up)
	defer timer.Stop()
	return journal.Run(ctx, prog, args, func(e journal.Entry, err error) error {
		up()
		return j.entry(ctx, e, err, emit, health)
	})
}

// last returns the cursor of the last entry selected now ("" when there is
// none: everything that comes is then new).
func (j *journalSource) last(ctx context.Context, prog string) (string, error) {
	opts := j.opts
	opts.Last = 1
	args, err := journal.Args(opts)
	if err != nil {
		return "", err
	}
	var cursor string
	err = journal.Run(ctx, prog, args, func(e journal.Entry, err error) error {
		if err == nil {
			cursor = e.Cursor
		}
		return nil
	})
	if exit := (*journal.ExitError)(nil); errors.As(err, &exit) && exit.Err == nil {
		return cursor, nil
	}
	return "", err
}

// entry emits the events of one entry. An event the queue refuses is
// emitted again after j.retry (journalctl meanwhile waits on its full
// pipe; nothing is lost); the cursor moves past the entry once all its
// events are in.
func (j *journalSource) entry(ctx context.Context, e journal.Entry, err error, emit collector.Emit, health *collector.Health) error {
	if err != nil {
		health.Add("journal_lines_bad", 1)
		j.log.Debug("journalctl printed a line that is no entry", "err", err)
		return nil
	}
	health.Add("journal_entries", 1)
	h := authlog.Header{Time: e.Time, Host: e.Host, Program: e.Program(), PID: e.PID, Msg: e.Message}
	if forged(e, h) {
		// Counted in the collector's health and not read.
		health.Add("journal_entries_forged", 1)
		j.log.Debug("journal entry claims a root-only program but came from another user; not read",
			"program", e.Program(), "uid", e.UID, "pid", e.PID)
		j.setCursor(e.Cursor)
		return nil
	}
	evs := authlog.ParseRecord(h, authlog.RecordID{Source: j.key, Key: e.Cursor})
	for i := 0; i < len(evs); {
		if emit(evs[i]) {
			i++
			continue
		}
		health.Add("retries_queue_full", 1)
		t := time.NewTimer(j.retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	j.setCursor(e.Cursor)
	return nil
}
