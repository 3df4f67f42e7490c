// Command rules measures vigil's rule engine: all SigmaHQ Linux rules plus
// vigil's pack over a realistic event mix (mostly exec events), against the
// cost of decoding the same events from JSON with event.Decode. It prints
// ns/event, allocs/event and events/s of both, on one core.
//
// Usage: go run ./bench/rules [-sigma DIR] [-events N] [-rounds N]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rules"
	"github.com/vigil-sec/vigil/internal/rules/eventmix"
	"github.com/vigil-sec/vigil/internal/rules/pack"
)

func main() {
	sigmaDir := flag.String("sigma", "../shared/data/sigma_linux_rules/rules/linux", "SigmaHQ Linux rules `DIR`")
	n := flag.Int("events", 20000, "events in the mix")
	rounds := flag.Int("rounds", 20, "passes over the mix")
	flag.Parse()
	if err := run(*sigmaDir, *n, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "bench/rules:", err)
		os.Exit(1)
	}
}

func run(sigmaDir string, n, rounds int) error {
	runtime.GOMAXPROCS(1)
	var src rules.Source
	if err := src.AddPaths(sigmaDir); err != nil {
		return err
	}
	if err := src.AddFS(pack.FS, pack.Root); err != nil {
		return err
	}
	set := rules.Compile(src.Rules, rules.Options{})
	fmt.Printf("rules: %s; %d did not compile\n", set, len(set.Problems)+src.Failed)
	evs := eventmix.Events(n)
	lines := make([][]byte, len(evs))
	for i, e := range evs {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		lines[i] = b
	}
	v := set.NewEvaluator()
	alerts := 0
	engine := measure(n*rounds, func(i int) { alerts += len(v.Process(evs[i%n])) })
	decode := measure(n*rounds, func(i int) {
		if _, err := event.Decode(lines[i%n]); err != nil {
			panic(err)
		}
	})
	fmt.Printf("events: %d x %d rounds, %d alerts raised\n", n, rounds, alerts)
	fmt.Printf("%-8s %10s %14s %14s\n", "", "ns/event", "allocs/event", "events/s")
	for _, r := range []struct {
		name string
		m    result
	}{{"engine", engine}, {"decode", decode}} {
		fmt.Printf("%-8s %10.0f %14.1f %14.0f\n", r.name, r.m.ns, r.m.allocs, 1e9/r.m.ns)
	}
	return nil
}

type result struct{ ns, allocs float64 }

func measure(total int, f func(i int)) result {
	f(0) // warm up caches
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	for i := range total {
		f(i)
	}
	el := time.Since(start)
	runtime.ReadMemStats(&after)
	return result{ns: float64(el.Nanoseconds()) / float64(total), allocs: float64(after.Mallocs-before.Mallocs) / float64(total)}
}
