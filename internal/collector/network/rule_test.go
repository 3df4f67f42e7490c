package network

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/collector/collectortest"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/rules"
	"github.com/vigil-sec/vigil/internal/rules/pack"
)

// listenRuleID is the pack's "First Listening Socket Of A Program".
const listenRuleID = "9052a0b0-d37b-5b02-a0be-9c1ddc9cdcb6"

// The pack's rule fires on the listen_opened this collector emits for a
// program that never listened, and not on one of a known listener.
func TestListenRuleOnCollectorEvents(t *testing.T) {
	var src rules.Source
	if err := src.AddFS(pack.FS, pack.Root); err != nil {
		t.Fatal(err)
	}
	v := rules.Compile(src.Rules, rules.Options{}).NewEvaluator()

	dir := collectortest.CopyTree(t, fixtureDir(t, "debian12"))
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	c := build(t, root, t.TempDir(), clk, func(cfg *Config) { cfg.Connections = false })
	h := collector.NewHealth()
	out := &sink{t: t}
	c.pollSockets(context.Background(), out.emit, h)
	// kworkerd listens for the first time on 8080; nginx (baseline) on 8443.
	appendFile(t, filepath.Join(dir, "proc/net/tcp"),
		tcpRow(5, "00000000:1F90", "00000000:0000", "0A", 33, 30001)+
			tcpRow(6, "00000000:20FB", "00000000:0000", "0A", 0, 30002))
	link(t, "socket:[30001]", filepath.Join(dir, "proc/2231/fd/4"))
	link(t, "socket:[30002]", filepath.Join(dir, "proc/803/fd/8"))
	clk.t = clk.t.Add(time.Minute)
	c.pollSockets(context.Background(), out.emit, h)

	fired := map[int64]bool{}
	for _, ev := range out.take() {
		if ev.Event.Action != event.ActionListenOpened {
			t.Fatalf("unexpected %s", line(ev))
		}
		got := slices.ContainsFunc(v.Match(&ev), func(r rules.RuleInfo) bool { return r.ID == listenRuleID })
		fired[*ev.Source.Port] = got
	}
	if want := map[int64]bool{8080: true, 8443: false}; !maps.Equal(fired, want) {
		t.Errorf("rule fired per port %v, want %v", fired, want)
	}
}
