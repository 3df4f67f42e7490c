package fim

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

func TestBackendInHealth(t *testing.T) {
	for _, backend := range []string{"fanotify", "inotify"} {
		t.Run(backend, func(t *testing.T) {
			if backend == "fanotify" && os.Geteuid() != 0 {
				t.Skip("fanotify filesystem marks need root (CAP_SYS_ADMIN)")
			}
			cfg := DefaultConfig()
			cfg.Paths, cfg.Realtime = []string{t.TempDir()}, backend
			c, err := New(cfg, collector.Deps{Root: hostfs.Live(), StateDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			h := collector.NewHealth()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- c.(*Collector).Run(ctx, func(event.Event) bool { return true }, h) }()
			deadline := time.Now().Add(5 * time.Second)
			for {
				if state, reason := h.State(); state == event.CollectorStateRunning && strings.Contains(reason, backend) {
					break
				}
				if time.Now().After(deadline) {
					state, reason := h.State()
					t.Fatalf("health %s %q, want running with %s", state, reason, backend)
				}
				time.Sleep(10 * time.Millisecond)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestInotifyWatchLimit(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"a", "b", "c/d"} {
		if err := os.MkdirAll(dir+"/"+d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg := DefaultConfig()
	cfg.Paths, cfg.Realtime, cfg.MaxWatches = []string{dir}, "inotify", 2
	c, err := New(cfg, collector.Deps{Root: hostfs.Live(), StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	h := collector.NewHealth()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.(*Collector).Run(ctx, func(event.Event) bool { return true }, h) }()
	deadline := time.Now().Add(5 * time.Second)
	for h.Counters()["unwatched_dirs"] == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// 5 directories (dir, a, b, c, c/d), 2 watched.
	if n := h.Counters()["unwatched_dirs"]; n != 3 {
		t.Errorf("unwatched_dirs = %d, want 3", n)
	}
	if state, reason := h.State(); state != event.CollectorStateDegraded || !strings.Contains(reason, "watch limit") {
		t.Errorf("health %s %q", state, reason)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(c *Config)
		ok   bool
	}{
		{"defaults", func(c *Config) {}, true},
		{"no paths", func(c *Config) { c.Paths = nil }, false},
		{"relative path", func(c *Config) { c.Paths = []string{"etc"} }, false},
		{"bad glob", func(c *Config) { c.Exclude = []string{"[a"} }, false},
		{"short interval", func(c *Config) { c.ScanInterval = time.Second }, false},
		{"bad realtime", func(c *Config) { c.Realtime = "poll" }, false},
		{"long debounce", func(c *Config) { c.Debounce = 3 * time.Second }, false},
		{"negative size", func(c *Config) { c.MaxFileSize = -1 }, false},
		{"rate without window", func(c *Config) { c.RateWindow = 0 }, false},
		{"no rate limit", func(c *Config) { c.RateLimit, c.RateWindow = 0, 0 }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.edit(cfg)
			_, err := New(cfg, collector.Deps{Root: hostfs.Live(), StateDir: t.TempDir()})
			if (err == nil) != tc.ok {
				t.Errorf("err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestPrune(t *testing.T) {
	tests := []struct {
		in, want []string
	}{
		{[]string{"/a/b", "/a", "/a/b/c", "/ab"}, []string{"/a", "/ab"}},
		{[]string{"/x", "/x"}, []string{"/x"}},
		{[]string{"/", "/etc"}, []string{"/"}},
		{nil, []string{}},
	}
	for _, tc := range tests {
		if got := prune(tc.in); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("prune(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter(2, time.Minute)
	t0 := time.Unix(1000, 0)
	got := []bool{l.allow("/f", t0), l.allow("/f", t0.Add(time.Second)), l.allow("/f", t0.Add(2*time.Second)),
		l.allow("/f", t0.Add(3*time.Second)), l.allow("/g", t0)}
	if want := []bool{true, true, false, false, true}; !slices.Equal(got, want) {
		t.Errorf("allow = %v, want %v", got, want)
	}
	rolled := l.roll(t0.Add(time.Minute))
	if len(rolled) != 1 || rolled["/f"].suppressed != 2 {
		t.Errorf("roll = %+v", rolled)
	}
	if !l.allow("/f", t0.Add(61*time.Second)) {
		t.Error("a new window did not allow")
	}
	if unlimited := newLimiter(0, 0); !unlimited.allow("/f", t0) {
		t.Error("no limit refused")
	}
}

func TestReportSuppressed(t *testing.T) {
	c := &Collector{rate: newLimiter(1, time.Minute)}
	t0 := time.Unix(1000, 0)
	for range 4 {
		c.rate.allow("/etc/hosts", t0)
	}
	var got []event.Event
	c.reportSuppressed(t0.Add(time.Minute), func(ev event.Event) bool { got = append(got, ev); return true })
	if len(got) != 1 {
		t.Fatalf("%d events", len(got))
	}
	ev := got[0]
	ev.Event.ID, ev.Event.Dataset = event.NewID(ev.Timestamp), "vigil.fim"
	if err := ev.Validate(); err != nil {
		t.Error(err)
	}
	if l := ev.Vigil.Loss; l.Count != 3 || l.Reason != "rate_limit" || ev.File.Path != "/etc/hosts" {
		t.Errorf("loss %+v path %s", l, ev.File.Path)
	}
}
