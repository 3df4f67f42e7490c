package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

type tickConfig struct {
	Paths    []string      `yaml:"paths" doc:"paths to report"`
	Interval time.Duration `yaml:"interval" doc:"how often"`
	Mode     string        `yaml:"mode" doc:"a mode"`
}

// ticker emits one exec event per configured path, then waits.
type ticker struct{ cfg *tickConfig }

func (t ticker) Run(ctx context.Context, emit collector.Emit, h *collector.Health) error {
	for _, p := range t.cfg.Paths {
		emit(event.Event{
			Event:   event.Meta{Category: []string{event.CategoryProcess}, Type: []string{event.TypeStart}, Action: event.ActionExec},
			Process: &event.Process{Executable: p},
		})
	}
	<-ctx.Done()
	return nil
}

func init() {
	collector.Register(collector.Registration{
		Name: "testtick", Doc: "test collector",
		DefaultConfig: func() any { return &tickConfig{Paths: []string{"/bin/true"}, Interval: time.Second, Mode: "auto"} },
		New:           func(cfg any, _ collector.Deps) (any, error) { return ticker{cfg.(*tickConfig)}, nil },
	})
}

func TestConfigFileAndSet(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "agent.yml")
	os.WriteFile(p, []byte("queue_size: 100\ncollectors:\n  testtick:\n    mode: owner\n    paths: [/a, /b]\n"), 0o600)
	c := Default()
	if err := c.Load(p); err != nil {
		t.Fatal(err)
	}
	tc := c.Collectors["testtick"].(*tickConfig)
	if c.QueueSize != 100 || tc.Mode != "owner" || len(tc.Paths) != 2 || tc.Interval != time.Second {
		t.Fatalf("loaded %+v %+v", c, tc)
	}
	if err := c.Set("collectors.testtick.interval=5s"); err != nil {
		t.Fatal(err)
	}
	if tc := c.Collectors["testtick"].(*tickConfig); tc.Interval != 5*time.Second || tc.Mode != "owner" {
		t.Errorf("after --set: %+v", tc)
	}
}

func TestConfigErrorsChangeNothing(t *testing.T) {
	for _, bad := range []string{
		"queue_size: 100\nbogus: 1\n",
		"collectors:\n  testtick:\n    mode: owner\n    nope: 1\n",
		"collectors:\n  nosuch: {}\n",
		"queue_size: [1\n",
		"queue_size: many\n",
	} {
		c := Default()
		before, _ := json.Marshal(c)
		err := c.apply("agent.yml", []byte(bad))
		if err == nil {
			t.Errorf("%q: no error", bad)
			continue
		}
		if !strings.Contains(err.Error(), "agent.yml") {
			t.Errorf("%q: error %q lacks the file name", bad, err)
		}
		after, _ := json.Marshal(c)
		if !bytes.Equal(before, after) {
			t.Errorf("%q: a bad config changed the configuration", bad)
		}
	}
	if err := Default().Set("nokey"); err == nil {
		t.Error("--set without = accepted")
	}
}

func TestPrintConfigRoundTrip(t *testing.T) {
	c := Default()
	c.QueueSize = 1234
	var buf bytes.Buffer
	if err := c.WriteDocumented(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"# events buffered", "queue_size: 1234", "  testtick:", "    # paths to report", "    paths: [/bin/true]"} {
		if !strings.Contains(out, want) {
			t.Errorf("print-config lacks %q:\n%s", want, out)
		}
	}
	back := Default()
	if err := back.apply("printed", buf.Bytes()); err != nil {
		t.Fatalf("printed config does not load back: %v\n%s", err, out)
	}
	if back.QueueSize != 1234 {
		t.Errorf("round trip lost queue_size")
	}
}

func TestValidate(t *testing.T) {
	c := Default()
	c.Enabled = []string{"nosuch"}
	c.LogLevel = "loud"
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "nosuch") || !strings.Contains(err.Error(), "log_level") {
		t.Errorf("Validate = %v", err)
	}
}

func TestRunWritesNDJSONAndKeepsIdentity(t *testing.T) {
	dir := t.TempDir()
	c := Default()
	c.StateDir = filepath.Join(dir, "state")
	c.Output = filepath.Join(dir, "events.ndjson")
	c.Enabled = []string{"testtick"}
	c.Name = "web1"
	run := func() []event.Event {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		if err := Run(ctx, c, Options{Version: "test", Root: hostfs.Live(), Logger: discard(), Stdout: os.Stdout}); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(c.Output)
		var evs []event.Event
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			e, err := event.Decode([]byte(line))
			if err != nil {
				t.Fatalf("bad line %q: %v", line, err)
			}
			if err := e.Validate(); err != nil {
				t.Errorf("invalid event %s: %v", line, err)
			}
			evs = append(evs, e)
		}
		return evs
	}
	first := run()
	second := run()
	var execs int
	for _, e := range second {
		if e.Event.Action == event.ActionExec {
			execs++
			if e.Host.Name != "web1" || e.Agent.ID != first[0].Agent.ID || e.Agent.Version != "test" {
				t.Errorf("identity: host %q agent %+v", e.Host.Name, e.Agent)
			}
		}
	}
	if execs != 2 {
		t.Errorf("exec events after two runs = %d, want 2", execs)
	}
	fi, err := os.Stat(filepath.Join(c.StateDir, "agent.id"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("agent.id: %v %v", fi, err)
	}
	if fi, _ := os.Stat(c.Output); fi.Mode().Perm() != 0o600 {
		t.Errorf("output mode %v", fi.Mode().Perm())
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
