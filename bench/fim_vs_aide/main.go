// Command fim_vs_aide compares the initial file integrity baseline of a tree
// (default /usr) built by vigil's scanner with `aide --init` using sha256, in
// the same run and with a warm file cache, and measures vigil's rescan of the
// unchanged tree.
//
// Run as root from the repository root:
//
//	go run ./bench/fim_vs_aide [-path /usr] [-aide aide] [-runs 1] [-rescanprofile cpu.pprof]
//
// Order: one untimed vigil scan warms the page cache (AIDE then runs warm
// too), then vigil baseline, vigil save, vigil rescan (metadata only), AIDE
// with -W <cores>, AIDE with -W 1. Each timing is the best of -runs.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/vigil-sec/vigil/internal/fim"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fim_vs_aide:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fim_vs_aide", flag.ContinueOnError)
	tree := fs.String("path", "/usr", "tree to baseline")
	aide := fs.String("aide", "aide", "AIDE binary (empty: skip AIDE)")
	runs := fs.Int("runs", 1, "timed runs of each step (best is reported)")
	profile := fs.String("rescanprofile", "", "write a CPU profile of 10 extra rescans to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "fim-vs-aide-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	scanner, err := fim.NewScanner(hostfs.Live(), fim.Options{Paths: []string{*tree}})
	if err != nil {
		return err
	}
	cores := runtime.NumCPU()
	fmt.Fprintf(out, "tree %s, %d cores, best of %d run(s)\n", *tree, cores, *runs)
	if _, _, err := scanner.Scan(ctx, nil, false); err != nil { // warm the cache
		return err
	}

	var base *fim.Baseline
	var st fim.Stats
	tInit, err := best(*runs, func() (time.Duration, error) {
		base, st, err = scanner.Scan(ctx, nil, false)
		return 0, err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "vigil baseline:          %s  (%d entries, %d files hashed, %.2f GB, %d too large, %d errors)\n",
		tInit, st.Entries, st.Hashed, float64(st.HashedBytes)/1e9, st.TooLarge, st.Errors)
	dbPath := filepath.Join(tmp, "vigil.fimdb")
	tSave, err := best(*runs, func() (time.Duration, error) { return 0, base.Save(dbPath) })
	if err != nil {
		return err
	}
	tLoad, err := best(*runs, func() (time.Duration, error) { _, err := fim.Load(dbPath); return 0, err })
	if err != nil {
		return err
	}
	dbInfo, err := os.Stat(dbPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "vigil save:              %s  (%.1f MiB)\nvigil load:              %s\n", tSave, float64(dbInfo.Size())/(1<<20), tLoad)
	var rst fim.Stats
	tRescan, err := best(*runs, func() (time.Duration, error) {
		var changes []fim.Change
		_, changes, rst, err = scanner.Rescan(ctx, base, []string{*tree}, false)
		if err == nil && len(changes) != 0 {
			fmt.Fprintf(out, "note: %d changes during the rescan\n", len(changes))
		}
		return 0, err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "vigil rescan unchanged:  %s  (%d hashed, %d reused)\n", tRescan, rst.Hashed, rst.Reused)
	if *profile != "" {
		if err := profileRescans(ctx, scanner, base, *tree, *profile); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "rescan vs baseline:      %.1fx faster wall, %.1fx less cpu (target >= 10x)\n",
		tInit.wall.Seconds()/tRescan.wall.Seconds(), tInit.cpu.Seconds()/tRescan.cpu.Seconds())
	if *aide == "" {
		return nil
	}
	var aideBest timing
	for _, w := range []int{cores, 1} {
		d, err := best(*runs, func() (time.Duration, error) { return runAIDE(ctx, *aide, *tree, tmp, w) })
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "aide --init -W %d:        %s\n", w, d)
		if aideBest.wall == 0 || d.wall < aideBest.wall {
			aideBest = d
		}
	}
	fmt.Fprintf(out, "vigil baseline vs AIDE's best: %.1fx faster wall, %.1fx less cpu (target >= 3x)\n",
		aideBest.wall.Seconds()/tInit.wall.Seconds(), aideBest.cpu.Seconds()/tInit.cpu.Seconds())
	return nil
}

// profileRescans writes a CPU profile of ten rescans of the unchanged tree.
func profileRescans(ctx context.Context, s *fim.Scanner, base *fim.Baseline, tree, name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	for range 10 {
		if _, _, _, err := s.Rescan(ctx, base, []string{tree}, false); err != nil {
			return err
		}
	}
	return nil
}

// timing is one measured step: wall-clock time and CPU time (user+system)
// of this process or, for AIDE, of its child.
type timing struct{ wall, cpu time.Duration }

func (t timing) String() string {
	return fmt.Sprintf("%6.2fs wall %6.2fs cpu", t.wall.Seconds(), t.cpu.Seconds())
}

// selfCPU returns the CPU time this process used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// best runs f runs times and returns its fastest wall time with that run's
// CPU time; f returns the CPU time of a child it ran, or 0 to count this
// process.
func best(runs int, f func() (time.Duration, error)) (timing, error) {
	var b timing
	for i := 0; i < max(runs, 1); i++ {
		start, cpu0 := time.Now(), selfCPU()
		child, err := f()
		if err != nil {
			return timing{}, err
		}
		t := timing{wall: time.Since(start), cpu: selfCPU() - cpu0}
		if child > 0 {
			t.cpu = child
		}
		if b.wall == 0 || t.wall < b.wall {
			b = t
		}
	}
	return b, nil
}

// runAIDE runs aide --init over tree with the attributes vigil records and
// sha256, writing its database into dir. It returns AIDE's CPU time.
func runAIDE(ctx context.Context, aide, tree, dir string, workers int) (time.Duration, error) {
	conf := filepath.Join(dir, "aide.conf")
	db := filepath.Join(dir, "aide.db.new")
	os.Remove(db)
	text := fmt.Sprintf("database_out=file:%s\ngzip_dbout=no\nreport_url=stdout\nVigilRule = p+i+n+u+g+s+m+c+sha256\n%s VigilRule\n", db, tree)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, aide, "--init", "-c", conf, "-W", fmt.Sprint(workers))
	cmd.Stdout = io.Discard
	outErr, err := os.Create(filepath.Join(dir, "aide.stderr"))
	if err != nil {
		return 0, err
	}
	defer outErr.Close()
	cmd.Stderr = outErr
	if err := cmd.Run(); err != nil {
		// aide --init exits 0 on success; anything else is a failure.
		msg, _ := os.ReadFile(outErr.Name())
		return 0, fmt.Errorf("aide --init -W %d: %w: %s", workers, err, msg)
	}
	if fi, err := os.Stat(db); err != nil || fi.Size() == 0 {
		return 0, fmt.Errorf("aide wrote no database: %v", err)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}
