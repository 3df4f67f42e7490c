package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/inventory/accounts"
	"github.com/vigil-sec/vigil/internal/inventory/sockets"
	"github.com/vigil-sec/vigil/internal/skipped"
)

const (
	listenersFile = "listeners.json"
	// listenKeyPrefix starts the first-seen keys of executables that
	// listened; connection keys start with the executable's absolute path.
	listenKeyPrefix = "listen|"
	// seenSaveEvery bounds how often the first-seen store is written.
	seenSaveEvery = 60
	// tcpTimeWait is the kernel's TCP_TIME_WAIT state.
	tcpTimeWait = 0x06
)

// table is one poll's view of the socket tables.
type table struct {
	listeners map[string]sockets.Socket
	conns     map[string]sockets.Socket
	// listening holds "tcp/<port>" and "udp/<port>" of every listener.
	listening map[string]bool
}

// readTables reads the four socket tables. A missing table (no IPv6) is
// empty; any other failure fails the poll, so that no socket is taken as
// closed because its table could not be read.
func (c *Collector) readTables() (table, error) {
	t := table{listeners: map[string]sockets.Socket{}, conns: map[string]sockets.Socket{}, listening: map[string]bool{}}
	for _, proto := range []sockets.Proto{sockets.TCP, sockets.UDP, sockets.TCP6, sockets.UDP6} {
		socks, _, err := sockets.ReadTable(c.root, proto)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return t, fmt.Errorf("read /proc/net/%s: %w", proto, err)
		}
		for _, s := range socks {
			switch {
			case s.Listening():
				t.listeners[sockKey(s)] = s
				t.listening[transport(s.Proto)+"/"+strconv.Itoa(int(s.LocalPort))] = true
			case s.Inode == 0 || s.State == tcpTimeWait || s.RemoteAddr.IsUnspecified() || !s.RemoteAddr.IsValid():
				// TIME_WAIT and orphaned sockets have no owner; an
				// unconnected socket that is not listening is no connection.
			case !s.Proto.IsTCP() && s.State != sockets.StateEstablished:
			default:
				t.conns[sockKey(s)] = s
			}
		}
	}
	return t, nil
}

func sockKey(s sockets.Socket) string {
	return string(s.Proto) + "|" + netip.AddrPortFrom(s.LocalAddr, s.LocalPort).String() + "|" +
		netip.AddrPortFrom(s.RemoteAddr, s.RemotePort).String() + "|" + strconv.FormatUint(s.Inode, 10)
}

func transport(p sockets.Proto) string {
	if p.IsTCP() {
		return "tcp"
	}
	return "udp"
}

// pollSockets reads the tables once and emits what changed since the last poll.
func (c *Collector) pollSockets(ctx context.Context, emit collector.Emit, h *collector.Health) {
	t, err := c.readTables()
	if err != nil {
		h.Add("poll_errors", 1)
		h.Set(event.CollectorStateDegraded, err.Error())
		return
	}
	h.Set(event.CollectorStateRunning, "")
	now := c.now()
	want := map[uint64]bool{}
	var newListeners, newConns []string
	if c.cfg.Listeners {
		// The baseline looks up every listener's owner, so that its
		// listen_closed names the process.
		for k, s := range t.listeners {
			if _, ok := c.listeners[k]; !ok {
				if c.haveListeners {
					newListeners = append(newListeners, k)
				}
				want[s.Inode] = true
			}
		}
	}
	if c.cfg.Connections && c.haveConns {
		for k, s := range t.conns {
			if !c.conns[k] {
				newConns = append(newConns, k)
				want[s.Inode] = true
			}
		}
	}
	found, skip, err := sockets.FindOwners(ctx, c.root, want, sockets.Options{MaxFDs: c.cfg.MaxFDs})
	if err != nil {
		return // ctx done
	}
	owners := found.ByInode
	h.Add("owner_errors", int64(len(skip)))
	h.Counter("owners_denied").Store(int64(found.Denied))
	users := c.userNames(len(want) > 0)

	if c.cfg.Listeners {
		c.diffListeners(t, newListeners, owners, users, now, emit, h)
	}
	if c.cfg.Connections {
		sort.Strings(newConns)
		for _, k := range newConns {
			s := t.conns[k]
			emit(c.connectionEvent(s, t.listening, owners[s.Inode], users, now, h))
			h.Add("connections_opened", 1)
		}
		c.conns = make(map[string]bool, len(t.conns))
		for k := range t.conns {
			c.conns[k] = true
		}
		c.haveConns = true
	}
	if now.Sub(c.seenSaved).Seconds() >= seenSaveEvery {
		if err := c.seen.save(c.stateDir); err != nil {
			h.Set(event.CollectorStateDegraded, "cannot save the first-seen store: "+err.Error())
		}
		c.seenSaved = now
	}
	h.Add("polls", 1)
}

// diffListeners emits listen_opened for the new listeners and listen_closed
// for the gone ones, and saves the set when it changed.
func (c *Collector) diffListeners(t table, added []string, owners map[uint64]sockets.Owner, users map[string]string, now time.Time, emit collector.Emit, h *collector.Health) {
	sort.Strings(added)
	next := make(map[string]event.Event, len(t.listeners))
	for k, s := range t.listeners {
		if ev, ok := c.listeners[k]; ok {
			next[k] = ev
		} else {
			next[k] = listenerEvent(s, owners[s.Inode], users)
		}
	}
	var gone []string
	for k := range c.listeners {
		if _, ok := t.listeners[k]; !ok {
			gone = append(gone, k)
		}
	}
	sort.Strings(gone)
	// The executables of the listeners still open are remembered first (and
	// kept recent in the store), so that only an executable that never
	// listened before tags its new listener.
	for k, ev := range c.listeners {
		if _, ok := t.listeners[k]; ok {
			c.listenSeen(ev, now, h)
		}
	}
	if !c.haveListeners {
		for _, ev := range next {
			c.listenSeen(ev, now, h) // the baseline is recorded, not tagged
		}
		c.listeners, c.haveListeners = next, true
		c.saveListeners(h)
		return
	}
	for _, k := range added {
		ev := next[k]
		ev.Timestamp = now
		ev.Event.Action, ev.Event.Type = event.ActionListenOpened, []string{event.TypeStart}
		if c.listenSeen(ev, now, h) {
			ev.Tags = append(slices.Clip(ev.Tags), event.TagFirstSeen)
			h.Add("first_seen", 1)
		}
		emit(ev)
		h.Add("listen_opened", 1)
	}
	for _, k := range gone {
		ev := c.listeners[k]
		ev.Timestamp = now
		ev.Event.Action, ev.Event.Type = event.ActionListenClosed, []string{event.TypeEnd}
		ev.Message = "closed: " + ev.Message
		emit(ev)
		h.Add("listen_closed", 1)
	}
	c.listeners = next
	if len(added)+len(gone) > 0 {
		c.saveListeners(h)
	}
}

// listenSeen records in the first-seen store that the executable of the
// listener ev listened, and reports whether it never had before. A listener
// whose executable is unknown is neither recorded nor new.
func (c *Collector) listenSeen(ev event.Event, now time.Time, h *collector.Health) bool {
	if ev.Process == nil || ev.Process.Executable == "" {
		return false
	}
	before := c.seen.Evicted
	isNew := c.seen.Seen(listenKeyPrefix+ev.Process.Executable, now)
	h.Add("first_seen_evicted", c.seen.Evicted-before)
	return isNew
}

// userNames returns uid -> name from the root's passwd, when needed.
func (c *Collector) userNames(needed bool) map[string]string {
	if !needed {
		return nil
	}
	b, err := c.root.ReadFile("/etc/passwd", 16<<20)
	if err != nil {
		return nil
	}
	var sk skipped.List
	users, _ := accounts.ParsePasswd("/etc/passwd", b, &sk)
	m := make(map[string]string, len(users))
	for _, u := range users {
		id := strconv.FormatUint(uint64(u.UID), 10)
		if _, dup := m[id]; !dup {
			m[id] = u.Name
		}
	}
	return m
}

// loadListeners reads the listeners saved by an earlier run.
func (c *Collector) loadListeners() error {
	if c.stateDir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(c.stateDir, listenersFile))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var m map[string]event.Event
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("%s: %w", listenersFile, err)
	}
	if m == nil {
		m = map[string]event.Event{}
	}
	c.listeners, c.haveListeners = m, true
	return nil
}

func (c *Collector) saveListeners(h *collector.Health) {
	if c.stateDir == "" {
		return
	}
	b, err := json.Marshal(c.listeners)
	if err == nil {
		err = collector.WriteStateFile(c.stateDir, listenersFile, b)
	}
	if err != nil {
		h.Set(event.CollectorStateDegraded, "cannot save listeners: "+err.Error())
	}
}
