package notify

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/detect/detecttest"
)

func alert(n int, level string) detect.Alert {
	return detecttest.NewAlert(fmt.Sprintf("rule-%d", n), level, "web1", time.Duration(n)*time.Second, fmt.Sprint("e", n))
}

func ruleIDs(as []detect.Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Rule.ID)
	}
	return out
}

func TestLimiter(t *testing.T) {
	t0 := detecttest.Base
	type step struct {
		at    time.Duration
		alert int      // offer alert n; 0: call due
		want  []string // messages: "rule-n" or "digest:rule-a,rule-b/total"
	}
	render := func(ms []Message) []string {
		var out []string
		for _, m := range ms {
			if m.Digest {
				out = append(out, fmt.Sprintf("digest:%v/%d", ruleIDs(m.Alerts), m.Total))
			} else {
				out = append(out, m.Alerts[0].Rule.ID)
			}
		}
		return out
	}
	cases := []struct {
		name  string
		limit int
		steps []step
	}{
		{"unlimited", 0, []step{{0, 1, []string{"rule-1"}}, {0, 2, []string{"rule-2"}}, {0, 3, []string{"rule-3"}}}},
		{"limit then digest at the window's end", 2, []step{
			{0, 1, []string{"rule-1"}},
			{time.Second, 2, []string{"rule-2"}},
			{2 * time.Second, 3, nil},
			{3 * time.Second, 4, nil},
			{9 * time.Second, 0, nil},
			{10 * time.Second, 0, []string{"digest:[rule-3 rule-4]/2"}},
			{10 * time.Second, 0, nil},
			{11 * time.Second, 5, []string{"rule-5"}},
		}},
		{"digest due when the next alert comes", 1, []step{
			{0, 1, []string{"rule-1"}},
			{time.Second, 2, nil},
			{15 * time.Second, 3, []string{"digest:[rule-2]/1", "rule-3"}},
			{16 * time.Second, 4, nil},
		}},
		{"no digest when nothing was held", 1, []step{
			{0, 1, []string{"rule-1"}},
			{20 * time.Second, 0, nil},
			{21 * time.Second, 2, []string{"rule-2"}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := limiter{limit: c.limit, window: 10 * time.Second}
			for i, s := range c.steps {
				var got []Message
				if s.alert > 0 {
					got = l.offer(t0.Add(s.at), alert(s.alert, "high"))
				} else if m, ok := l.due(t0.Add(s.at)); ok {
					got = []Message{m}
				}
				if r := render(got); !slices.Equal(r, s.want) {
					t.Fatalf("step %d at %v: %v, want %v", i, s.at, r, s.want)
				}
			}
		})
	}
}

func TestLimiterDigestBound(t *testing.T) {
	t0 := detecttest.Base
	l := limiter{limit: 1, window: time.Minute}
	for i := range MaxDigestAlerts + 51 {
		l.offer(t0, alert(i+1, "low"))
	}
	m, ok := l.flush(t0.Add(time.Second))
	if !ok || m.Total != MaxDigestAlerts+50 || len(m.Alerts) != MaxDigestAlerts {
		t.Fatalf("digest total %d listing %d, want %d listing %d", m.Total, len(m.Alerts), MaxDigestAlerts+50, MaxDigestAlerts)
	}
	if !m.From.Equal(t0) || !m.To.Equal(t0.Add(time.Second)) {
		t.Errorf("digest from %v to %v", m.From, m.To)
	}
}

// memChannel records what it is sent.
type memChannel struct {
	name string
	mu   sync.Mutex
	got  []Message
	seen chan struct{}
}

func newMemChannel(name string) *memChannel {
	return &memChannel{name: name, seen: make(chan struct{}, 1000)}
}

func (c *memChannel) Name() string { return c.name }
func (c *memChannel) Send(_ context.Context, m Message) error {
	c.mu.Lock()
	c.got = append(c.got, m)
	c.mu.Unlock()
	c.seen <- struct{}{}
	return nil
}

func (c *memChannel) wait(t *testing.T, n int) []Message {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for range n {
		select {
		case <-c.seen:
		case <-deadline:
			t.Fatalf("%s: timed out waiting for %d messages", c.name, n)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

func TestRouterRoutesByLevel(t *testing.T) {
	all, high, crit := newMemChannel("all"), newMemChannel("high"), newMemChannel("critical")
	r, err := NewRouter([]Route{
		{Channel: all},
		{Channel: high, MinLevel: "high"},
		{Channel: crit, MinLevel: "critical"},
	}, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	for i, l := range []string{"low", "medium", "high", "critical", "informational"} {
		r.Notify(alert(i+1, l))
	}
	if got := ruleIDs(flatten(all.wait(t, 5))); len(got) != 5 {
		t.Errorf("all got %v", got)
	}
	if got := ruleIDs(flatten(high.wait(t, 2))); !sameSet(got, []string{"rule-3", "rule-4"}) {
		t.Errorf("high got %v, want rule-3 and rule-4", got)
	}
	if got := ruleIDs(flatten(crit.wait(t, 1))); !slices.Equal(got, []string{"rule-4"}) {
		t.Errorf("critical got %v", got)
	}
	cancel()
	<-done
	if s := r.Stats()["high"]; s.Sent != 2 || s.Failed != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestRouterDigest(t *testing.T) {
	ch := newMemChannel("limited")
	r, err := NewRouter([]Route{{Channel: ch, Limit: 2, Window: 300 * time.Millisecond}}, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	for i := range 5 {
		r.Notify(alert(i+1, "high"))
	}
	got := ch.wait(t, 3)
	if got[0].Digest || got[1].Digest || !got[2].Digest {
		t.Fatalf("messages %+v, want two alerts then a digest", got)
	}
	if d := got[2]; d.Total != 3 || !slices.Equal(ruleIDs(d.Alerts), []string{"rule-3", "rule-4", "rule-5"}) {
		t.Errorf("digest total %d of %v, want 3 of rule-3..5", d.Total, ruleIDs(d.Alerts))
	}
}

func TestRouterFlushesOnShutdown(t *testing.T) {
	ch := newMemChannel("limited")
	r, err := NewRouter([]Route{{Channel: ch, Limit: 1, Window: time.Hour}}, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		r.Notify(alert(i+1, "high"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.Run(ctx)
	got := ch.wait(t, 2)
	if len(got) != 2 || got[0].Digest || !got[1].Digest || got[1].Total != 2 {
		t.Errorf("after shutdown: %+v, want one alert and a digest of 2", got)
	}
}

func TestNewRouterErrors(t *testing.T) {
	ch := newMemChannel("x")
	for _, rs := range [][]Route{
		{{Channel: nil}},
		{{Channel: ch, MinLevel: "severe"}},
		{{Channel: ch, Limit: -1}},
	} {
		if _, err := NewRouter(rs, Options{}); err == nil {
			t.Errorf("NewRouter(%+v) succeeded", rs)
		}
	}
}

func flatten(ms []Message) []detect.Alert {
	var out []detect.Alert
	for _, m := range ms {
		out = append(out, m.Alerts...)
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
