//go:build linux

package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigil-sec/vigil/internal/audit"
	"github.com/vigil-sec/vigil/internal/audit/netlink"
	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
)

// available says whether audit or, failing that, the proc connector can run.
func available(deps collector.Deps) (bool, string) {
	if os.Geteuid() != 0 {
		return false, "needs root for audit netlink and the proc connector"
	}
	return true, ""
}

// Run reads audit until ctx ends, or the proc connector when audit cannot
// be used and fallback is proc.
func (c *Collector) Run(ctx context.Context, emit collector.Emit, h *collector.Health) error {
	log := c.logger()
	if c.cfg.Mode == "proc" {
		return c.runProc(ctx, emit, h, event.CollectorStateRunning, "mode proc: execs from the proc connector")
	}
	conn, mode, why := c.openAudit(ctx)
	if conn == nil {
		h.Set(event.CollectorStateDegraded, "audit unavailable: "+why)
		h.Add("audit_unavailable", 1)
		if c.cfg.Fallback != "proc" {
			h.Set(event.CollectorStateFailed, "audit unavailable: "+why)
			return fmt.Errorf("%w: audit: %s", collector.ErrUnavailable, why)
		}
		log.Warn("audit unavailable, falling back to the proc connector", "reason", why)
		return c.runProc(ctx, emit, h, event.CollectorStateDegraded, "audit unavailable ("+why+"): execs from the proc connector")
	}
	defer conn.Close()
	return c.runAudit(ctx, conn, mode, emit, h)
}

func (c *Collector) logger() *slog.Logger {
	if c.deps.Logger != nil {
		return c.deps.Logger // already scoped to the collector by the agent
	}
	return slog.New(slog.DiscardHandler)
}

// openAudit dials audit and picks the mode; on failure it returns nil and
// why.
func (c *Collector) openAudit(ctx context.Context) (*netlink.Conn, netlink.Mode, string) {
	if os.Geteuid() != 0 {
		return nil, "", "not root"
	}
	conn, err := netlink.Dial()
	if err != nil {
		return nil, "", "kernel without audit: " + err.Error()
	}
	st, err := conn.Status(ctx)
	if err != nil {
		conn.Close()
		return nil, "", "kernel without audit: " + err.Error()
	}
	if st.Enabled == 2 {
		conn.Close()
		return nil, "", "audit is locked (enabled=2)"
	}
	alive := func(pid int) bool { err := unix.Kill(pid, 0); return err == nil || errors.Is(err, unix.EPERM) }
	auto := netlink.DetectMode(st, os.Getpid(), alive)
	mode := netlink.Mode(c.cfg.Mode)
	switch {
	case mode == netlink.ModeAuto:
		mode = auto
	case mode == netlink.ModeOwner && auto == netlink.ModeObserver:
		conn.Close()
		return nil, "", fmt.Sprintf("owner mode asked but pid %d owns audit", st.PID)
	}
	return conn, mode, ""
}

// runAudit installs the rules, reads the stream and cleans up.
func (c *Collector) runAudit(ctx context.Context, conn *netlink.Conn, mode netlink.Mode, emit collector.Emit, h *collector.Health) error {
	log := c.logger().With("mode", string(mode))
	var installed []*netlink.Rule
	if c.cfg.InstallRules {
		var err error
		installed, err = c.installRules(ctx, conn, h, log)
		if err != nil {
			return err
		}
	}
	defer c.removeRules(conn, installed, h, log)
	opts := netlink.StreamOptions{Mode: mode, RcvBuf: c.cfg.ReceiveBuffer, Queue: c.cfg.Queue,
		BacklogLimit: c.cfg.BacklogLimit, BacklogWaitTime: c.cfg.BacklogWaitTime}
	if mode == netlink.ModeOwner {
		rl := c.cfg.RateLimit
		opts.RateLimit = &rl
	}
	stream, err := netlink.Listen(ctx, conn, opts)
	if err != nil {
		h.Set(event.CollectorStateFailed, "audit stream: "+err.Error())
		return fmt.Errorf("audit: %w", err)
	}
	defer func() {
		if err := stream.Close(); err != nil {
			log.Warn("restoring audit settings", "err", err)
		}
	}()
	h.Set(event.CollectorStateRunning, "audit "+string(mode)+" mode")
	if st, err := conn.Status(ctx); err == nil && st.Enabled == 0 {
		h.Set(event.CollectorStateDegraded, "audit observer mode but audit is disabled (enabled=0): no records until it is enabled")
	}
	log.Info("audit collector running", "rules", len(installed))
	c.consume(ctx, conn, stream, installed, emit, h)
	return nil
}

// installRules deletes stale vigil rules that are not configured any more and
// installs the configured ones.
func (c *Collector) installRules(ctx context.Context, conn *netlink.Conn, h *collector.Health, log *slog.Logger) ([]*netlink.Rule, error) {
	var fimPaths []string
	if c.deps.Actors != nil {
		fimPaths = c.deps.Actors.Watched()
	}
	rules, skipped, err := buildRules(ctx, c.cfg, c.deps.Root, os.Getpid(), fimPaths)
	if err != nil {
		h.Set(event.CollectorStateFailed, err.Error())
		return nil, err
	}
	for _, p := range skipped {
		log.Info("watch skipped, path and parent absent", "path", p)
	}
	h.Add("rules_skipped", int64(len(skipped)))
	if listed, err := conn.ListRules(ctx); err == nil {
		// Rules of another running agent on this host (its exec rule
		// excludes its live pid) are not stale: leave all vigil rules alone.
		if others := otherAgents(listed, os.Getpid(), c.procAlive); len(others) > 0 {
			log.Info("another vigil agent's audit rules are installed; keeping them", "pids", others)
			listed = nil
		}
		for _, l := range listed {
			if l.HasKeyPrefix(keyPrefix) && !containsRule(rules, l) {
				if err := conn.DeleteRule(ctx, l); err == nil {
					h.Add("rules_stale_removed", 1)
				}
			}
		}
	}
	var installed []*netlink.Rule
	for _, r := range rules {
		err := conn.AddRule(ctx, r)
		switch {
		case err == nil:
		case errors.Is(err, unix.EEXIST):
			h.Add("rules_stale", 1)
		default:
			log.Warn("audit rule not installed", "rule", r.String(), "err", err)
			h.Add("rules_failed", 1)
			continue
		}
		installed = append(installed, r)
	}
	h.Add("rules_installed", int64(len(installed)))
	return installed, nil
}

// otherAgents returns the pids of other running agents, found through the
// "pid!=PID" field every agent puts in its vigil-keyed exec rules.
func otherAgents(listed []*netlink.Rule, self int, alive func(int) bool) []int {
	var pids []int
	for _, l := range listed {
		if !l.HasKeyPrefix(keyPrefix) {
			continue
		}
		for _, f := range l.Fields {
			if f.Type == netlink.FieldPID && f.Op == netlink.OpNotEqual && int(f.Value) != self && alive(int(f.Value)) && !slices.Contains(pids, int(f.Value)) {
				pids = append(pids, int(f.Value))
			}
		}
	}
	return pids
}

// namesPID reports whether a rule has a "pid!=pid" field: such a rule is one
// agent's own.
func namesPID(r *netlink.Rule, pid uint32) bool {
	for _, f := range r.Fields {
		if f.Type == netlink.FieldPID && f.Op == netlink.OpNotEqual && f.Value == pid {
			return true
		}
	}
	return false
}

// procAlive reports whether pid is a running agent: a live process running
// the same program as this one (agents on one host run the same binary; a
// dead agent's pid reused by another program does not count).
func (c *Collector) procAlive(pid int) bool {
	exe, err := c.deps.Root.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return false
	}
	self, err := os.Executable()
	return err == nil && path.Base(strings.TrimSuffix(exe, " (deleted)")) == path.Base(self)
}

func containsRule(rules []*netlink.Rule, r *netlink.Rule) bool {
	for _, x := range rules {
		if x.Equal(r) {
			return true
		}
	}
	return false
}

// removeRules deletes the rules we installed and any other vigil-keyed rule,
// unless another agent on this host still runs: then only the rules that
// are ours alone (those naming our pid) are removed, and the shared ones stay
// for it.
func (c *Collector) removeRules(conn *netlink.Conn, installed []*netlink.Rule, h *collector.Health, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if listed, err := conn.ListRules(ctx); err == nil {
		if others := otherAgents(listed, os.Getpid(), c.procAlive); len(others) > 0 {
			for _, r := range installed {
				if namesPID(r, uint32(os.Getpid())) {
					if err := conn.DeleteRule(ctx, r); err != nil && !errors.Is(err, unix.ENOENT) {
						log.Warn("audit rule not removed", "rule", r.String(), "err", err)
					}
				}
			}
			log.Info("another vigil agent runs; its shared audit rules are kept", "pids", others)
			return
		}
	}
	for _, r := range installed {
		if err := conn.DeleteRule(ctx, r); err != nil && !errors.Is(err, unix.ENOENT) {
			log.Warn("audit rule not removed", "rule", r.String(), "err", err)
		}
	}
	if n, err := conn.RemoveKeyed(ctx, keyPrefix); err != nil {
		log.Warn("removing stale vigil rules", "err", err)
	} else if n > 0 {
		h.Add("rules_stale_removed", int64(n))
	}
}

// consume parses, reassembles and maps records until ctx ends. When a
// CONFIG_CHANGE record says that one of vigil's rules was removed while the
// stream runs (the agent itself removes rules only before and after), the
// installed rules are added again.
func (c *Collector) consume(ctx context.Context, conn *netlink.Conn, stream *netlink.Stream, installed []*netlink.Rule, emit collector.Emit, h *collector.Health) {
	now := c.deps.Now
	start := now()
	loss := newLossTracker(start)
	enr := newEnricher(c.deps.Root, now)
	mapper := &audit.Mapper{HostID: c.deps.Host.ID, Enrich: enr.enrich, KeepMessages: c.cfg.KeepMessages,
		UserName: userNames(c.deps.Root).lookup, GroupName: groupNames(c.deps.Root).lookup}
	events, records, parseErrs := h.Counter("events"), h.Counter("records"), h.Counter("parse_errors")
	fimRecords := h.Counter("fim_watch_records")
	lastGap := start
	var removedBy *event.Event // a removal of one of our rules, to repair
	reasm := audit.NewReassembler(audit.Config{Timeout: c.cfg.ReassemblyTimeout},
		func(ae *audit.Event) {
			if ev, ok := mapper.Map(ae); ok {
				if recordActor(c.deps.Actors, &ev) {
					fimRecords.Add(1)
					return
				}
				events.Add(1)
				if removedBy == nil && ourRuleRemoved(&ev, start) {
					removedBy = &ev
				}
				emit(ev)
			}
		},
		func(g audit.Gap) {
			t := now()
			h.Add("lost_sequence_gap", int64(g.Count))
			ev := lossEvent(int64(g.Count), "sequence_gap", event.StageKernel, lastGap, t)
			ev.Message = fmt.Sprintf("%d audit serials missing between %d and %d", g.Count, g.FirstSerial, g.LastSerial)
			emit(ev)
			lastGap = t
		})
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	lastPoll := start
	poll := func(t time.Time) {
		st := stream.Stats()
		loss.update("queue_full", event.StageCollector, int64(st.Dropped), t, emit, h)
		loss.update("enobufs", event.StageKernel, int64(st.NoBufs), t, emit, h)
		if t.Sub(lastPoll) >= c.cfg.LostPollInterval {
			lastPoll = t
			pctx, cancel := context.WithTimeout(ctx, time.Second)
			if s, err := conn.Status(pctx); err == nil {
				loss.update("kernel_lost", event.StageKernel, int64(s.Lost), t, emit, h)
				h.Counter("kernel_backlog").Store(int64(s.Backlog))
			}
			cancel()
		}
	}
	poll(start)
	msgs := stream.Messages()
	for {
		select {
		case <-ctx.Done():
			reasm.Flush()
			poll(now())
			return
		case t := <-tick.C:
			reasm.Tick(t)
			poll(t)
		case m, ok := <-msgs:
			if !ok {
				return
			}
			records.Add(1)
			rec, err := audit.ParseMessage(audit.RecordType(m.Type), m.Data)
			if err != nil {
				parseErrs.Add(1)
				continue
			}
			reasm.Push(rec, now())
		}
		if removedBy != nil {
			c.reinstallRules(ctx, conn, installed, removedBy, h)
			removedBy = nil
		}
	}
}

// ourRuleRemoved reports whether ev records the removal of a vigil-keyed
// rule after the stream started.
func ourRuleRemoved(ev *event.Event, start time.Time) bool {
	if ev.Event.Action != audit.ActionAuditConfigChanged || ev.Auditd == nil || ev.Timestamp.Before(start) {
		return false
	}
	d := ev.Auditd.Data
	return d["op"] == "remove_rule" && strings.HasPrefix(d["key"], keyPrefix)
}

// reinstallRules adds the installed rules again after someone else removed
// some of them. What they would have recorded in between is not captured
// and cannot be counted: the health says so.
func (c *Collector) reinstallRules(ctx context.Context, conn *netlink.Conn, installed []*netlink.Rule, removal *event.Event, h *collector.Health) {
	n := 0
	for _, r := range installed {
		if err := conn.AddRule(ctx, r); err == nil {
			n++
		} else if !errors.Is(err, unix.EEXIST) {
			c.logger().Warn("audit rule not reinstalled", "rule", r.String(), "err", err)
			h.Add("rules_failed", 1)
		}
	}
	if n == 0 {
		return
	}
	by := "another process"
	if removal.Process != nil && removal.Process.PID != nil {
		by = fmt.Sprintf("pid %d", *removal.Process.PID)
	}
	h.Add("rules_reinstalled", int64(n))
	h.Set(event.CollectorStateDegraded, fmt.Sprintf("%d of the agent's audit rules were removed by %s and added again; "+
		"what they would have recorded in between was not captured", n, by))
	c.logger().Warn("audit rules removed by another process, reinstalled", "rules", n, "by", by)
}
