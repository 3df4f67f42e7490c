package transport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/store"
)

// Policy is what the server tells one agent to collect, watch and scan. It
// is versioned: every change gets the next version, and the agent reports
// the version it runs in its heartbeats.
type Policy struct {
	Version int64 `json:"version"`
	// Collectors enables exactly these collectors; empty keeps the agent's
	// own configuration.
	Collectors []string `json:"collectors,omitempty"`
	// WatchPaths are the paths file integrity monitoring watches; empty
	// keeps the agent's own list.
	WatchPaths []string `json:"watch_paths,omitempty"`
	// ScanIntervalSeconds is how often the baseline scan runs (0: agent
	// default).
	ScanIntervalSeconds int64 `json:"scan_interval_seconds,omitempty"`
	// HeartbeatSeconds is the heartbeat interval (0: agent default).
	HeartbeatSeconds int64 `json:"heartbeat_seconds,omitempty"`
	// Labels are added to every event (labels.*).
	Labels map[string]string `json:"labels,omitempty"`
}

// TaskKind is one of a fixed set of things an agent can be asked to do. There
// is deliberately no kind that runs a command.
type TaskKind string

// Task kinds.
const (
	TaskRunScan          TaskKind = "run_scan"          // run the baseline checks now
	TaskRefreshInventory TaskKind = "refresh_inventory" // take inventory snapshots now
	TaskRescanFIM        TaskKind = "rescan_fim"        // rescan watched files now
)

// Valid reports whether k is a known task kind.
func (k TaskKind) Valid() bool {
	return k == TaskRunScan || k == TaskRefreshInventory || k == TaskRescanFIM
}

// Task is one request to an agent. IDs increase per agent; the agent
// acknowledges tasks by the highest id it has handled.
type Task struct {
	ID      int64     `json:"id"`
	Kind    TaskKind  `json:"kind"`
	Created time.Time `json:"created"`
}

// PollResponse is the answer to a poll: a newer policy (nil when the agent's
// is current) and pending tasks.
type PollResponse struct {
	PolicyVersion int64   `json:"policy_version"`
	Policy        *Policy `json:"policy,omitempty"`
	Tasks         []Task  `json:"tasks,omitempty"`
}

// Document kinds the control state is kept in (store.PutDocument).
const (
	DocPolicy = "policy"
	DocTasks  = "tasks"
)

// control is the per-agent policy and task state, cached in memory and
// kept in the store's documents so that it survives restarts and is shared
// by server nodes.
type control struct {
	store store.Store
	now   func() time.Time
	mu    sync.Mutex
	wake  map[string]chan struct{} // closed when an agent's state changes
}

func newControl(st store.Store, now func() time.Time) *control {
	return &control{store: st, now: now, wake: map[string]chan struct{}{}}
}

// waiter returns the channel closed at the agent's next change.
func (c *control) waiter(agentID string) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.wake[agentID]
	if !ok {
		ch = make(chan struct{})
		c.wake[agentID] = ch
	}
	return ch
}

func (c *control) notify(agentID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.wake[agentID]; ok {
		close(ch)
		delete(c.wake, agentID)
	}
}

func (c *control) load(ctx context.Context, agentID, kind string, v any) error {
	_, doc, err := c.store.Document(ctx, agentID, kind)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load %s of %s: %w", kind, agentID, err)
	}
	if err := json.Unmarshal(doc, v); err != nil {
		return fmt.Errorf("load %s of %s: %w", kind, agentID, err)
	}
	return nil
}

func (c *control) save(ctx context.Context, agentID, kind string, v any) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := c.store.PutDocument(ctx, agentID, kind, c.now(), doc); err != nil {
		return fmt.Errorf("save %s of %s: %w", kind, agentID, err)
	}
	return nil
}

// pending returns the agent's policy when newer than have and its tasks
// after ack.
func (c *control) pending(ctx context.Context, agentID string, have, ack int64) (PollResponse, error) {
	var p Policy
	if err := c.load(ctx, agentID, DocPolicy, &p); err != nil {
		return PollResponse{}, err
	}
	var tasks []Task
	if err := c.load(ctx, agentID, DocTasks, &tasks); err != nil {
		return PollResponse{}, err
	}
	resp := PollResponse{PolicyVersion: p.Version}
	if p.Version > have {
		resp.Policy = &p
	}
	for _, t := range tasks {
		if t.ID > ack {
			resp.Tasks = append(resp.Tasks, t)
		}
	}
	return resp, nil
}

// SetPolicy gives agentID a new policy; its version is set to the next one.
// An online agent receives it within a second through its poll.
func (s *Server) SetPolicy(ctx context.Context, agentID string, p Policy) (Policy, error) {
	if _, err := s.store.Host(ctx, agentID); err != nil {
		return Policy{}, fmt.Errorf("set policy: %w", err)
	}
	var cur Policy
	if err := s.ctl.load(ctx, agentID, DocPolicy, &cur); err != nil {
		return Policy{}, err
	}
	p.Version = cur.Version + 1
	if err := s.ctl.save(ctx, agentID, DocPolicy, p); err != nil {
		return Policy{}, err
	}
	s.ctl.notify(agentID)
	return p, nil
}

// AddTask queues a task for agentID. Unknown kinds are store.ErrBadRequest.
func (s *Server) AddTask(ctx context.Context, agentID string, kind TaskKind) (Task, error) {
	if !kind.Valid() {
		return Task{}, fmt.Errorf("task kind %q: %w", kind, store.ErrBadRequest)
	}
	if _, err := s.store.Host(ctx, agentID); err != nil {
		return Task{}, fmt.Errorf("add task: %w", err)
	}
	var tasks []Task
	if err := s.ctl.load(ctx, agentID, DocTasks, &tasks); err != nil {
		return Task{}, err
	}
	t := Task{ID: 1, Kind: kind, Created: s.opts.Now().UTC()}
	if n := len(tasks); n > 0 {
		t.ID = tasks[n-1].ID + 1
	}
	tasks = append(tasks, t)
	if err := s.ctl.save(ctx, agentID, DocTasks, tasks); err != nil {
		return Task{}, err
	}
	s.ctl.notify(agentID)
	return t, nil
}

// ackTasks forgets the agent's tasks up to ack.
func (c *control) ackTasks(ctx context.Context, agentID string, ack int64) error {
	var tasks []Task
	if err := c.load(ctx, agentID, DocTasks, &tasks); err != nil {
		return err
	}
	// Keep the last one so that ids keep increasing.
	i := slices.IndexFunc(tasks, func(t Task) bool { return t.ID > ack })
	if i < 0 {
		i = len(tasks)
	}
	if i <= 1 || len(tasks) == 0 {
		return nil
	}
	return c.save(ctx, agentID, DocTasks, tasks[i-1:])
}

// handlePoll answers GET /api/v1/agent/poll?policy_version=N&task_ack=M at
// once when a newer policy or a task after M exists, else after
// PollTimeout with nothing new.
func (s *Server) handlePoll(w http.ResponseWriter, r *http.Request, host store.Host) {
	have, err1 := parseInt(r.URL.Query().Get("policy_version"))
	ack, err2 := parseInt(r.URL.Query().Get("task_ack"))
	if err := errors.Join(err1, err2); err != nil {
		s.fail(w, http.StatusBadRequest, "policy_version and task_ack must be integers")
		return
	}
	ctx := r.Context()
	if ack > 0 {
		if err := s.ctl.ackTasks(ctx, host.ID, ack); err != nil {
			s.log.Warn("ack tasks", "agent_id", host.ID, "err", err)
		}
	}
	deadline := time.NewTimer(s.opts.PollTimeout)
	defer deadline.Stop()
	recheck := time.NewTicker(s.opts.PollRecheck)
	defer recheck.Stop()
	for {
		wake := s.ctl.waiter(host.ID)
		resp, err := s.ctl.pending(ctx, host.ID, have, ack)
		if err != nil {
			s.log.Error("poll", "agent_id", host.ID, "err", err)
			s.fail(w, http.StatusServiceUnavailable, "policy state unavailable")
			return
		}
		if resp.Policy != nil || len(resp.Tasks) > 0 {
			writeJSON(w, http.StatusOK, resp)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			writeJSON(w, http.StatusOK, resp)
			return
		case <-wake:
		case <-recheck.C:
		}
	}
}

func parseInt(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.ParseInt(s, 10, 64)
}

// Heartbeat is what an agent reports every interval.
type Heartbeat struct {
	AgentVersion  string            `json:"agent_version,omitempty"`
	Hostname      string            `json:"hostname,omitempty"`
	OS            string            `json:"os,omitempty"`
	PolicyVersion int64             `json:"policy_version"`
	Collectors    map[string]string `json:"collectors,omitempty"` // name -> state
	KernelLost    int64             `json:"kernel_lost"`
	SpoolPending  uint64            `json:"spool_pending"`
	SpoolDropped  int64             `json:"spool_dropped"`
}

// HeartbeatResponse tells the agent the server's time and the policy
// version it should run.
type HeartbeatResponse struct {
	ServerTime    time.Time `json:"server_time"`
	PolicyVersion int64     `json:"policy_version"`
}

func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request, host store.Host) {
	var hb Heartbeat
	if err := readJSON(w, r, 64<<10, &hb); err != nil {
		s.fail(w, http.StatusBadRequest, err.Error())
		return
	}
	now := s.opts.Now().UTC()
	host.LastSeen, host.Status = now, "online"
	host.AgentVersion, host.PolicyVer, host.KernelLost = hb.AgentVersion, hb.PolicyVersion, hb.KernelLost
	host.Collectors = hb.Collectors
	if hb.Hostname != "" {
		host.Hostname = hb.Hostname
	}
	if hb.OS != "" {
		host.OS = hb.OS
	}
	if err := s.store.UpsertHost(r.Context(), host); err != nil {
		s.log.Error("heartbeat", "agent_id", host.ID, "err", err)
		s.fail(w, http.StatusServiceUnavailable, "host not updated, retry later")
		return
	}
	var p Policy
	if err := s.ctl.load(r.Context(), host.ID, DocPolicy, &p); err != nil {
		s.log.Warn("heartbeat policy", "agent_id", host.ID, "err", err)
	}
	writeJSON(w, http.StatusOK, HeartbeatResponse{ServerTime: now, PolicyVersion: p.Version})
}
