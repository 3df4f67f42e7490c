// Command fim_vs_aide compares the initial file integrity baseline of a tree
// (default /usr) built by vigil's scanner with `aide --init` using sha256, in
// the same run and with a warm file cache, and measures vigil's rescan of the
// unchanged tree.
//
// Run as root from the repository root:
//
//	go run ./bench/fim_vs_aide [-path /usr] [-aide aide] [-runs 1]
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
	tInit, err := best(*runs, func() error {
		base, st, err = scanner.Scan(ctx, nil, false)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "vigil baseline:          %7.2fs  (%d entries, %d files hashed, %.2f GB, %d too large, %d errors)\n",
		tInit.Seconds(), st.Entries, st.Hashed, float64(st.HashedBytes)/1e9, st.TooLarge, st.Errors)
	dbPath := filepath.Join(tmp, "vigil.fimdb")
	tSave, err := best(*runs, func() error { return base.Save(dbPath) })
	if err != nil {
		return err
	}
	tLoad, err := best(*runs, func() error { _, err := fim.Load(dbPath); return err })
	if err != nil {
		return err
	}
	dbInfo, err := os.Stat(dbPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "vigil save / load:       %7.2fs / %.2fs  (%.1f MiB)\n", tSave.Seconds(), tLoad.Seconds(), float64(dbInfo.Size())/(1<<20))
	var rst fim.Stats
	tRescan, err := best(*runs, func() error {
		var next *fim.Baseline
		next, rst, err = scanner.Scan(ctx, base, false)
		if err == nil && len(fim.Diff(base, next)) != 0 {
			fmt.Fprintf(out, "note: %d changes during the rescan\n", len(fim.Diff(base, next)))
		}
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "vigil rescan unchanged:  %7.2fs  (%d hashed, %d reused)  -> %.1fx faster than the baseline (target >= 10x)\n",
		tRescan.Seconds(), rst.Hashed, rst.Reused, tInit.Seconds()/tRescan.Seconds())
	if *aide == "" {
		return nil
	}
	aideBest := time.Duration(0)
	for _, w := range []int{cores, 1} {
		d, err := best(*runs, func() error { return runAIDE(ctx, *aide, *tree, tmp, w) })
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "aide --init -W %d:        %7.2fs\n", w, d.Seconds())
		if aideBest == 0 || d < aideBest {
			aideBest = d
		}
	}
	fmt.Fprintf(out, "vigil baseline is %.1fx faster than AIDE's best (target >= 3x)\n", aideBest.Seconds()/tInit.Seconds())
	return nil
}

func best(runs int, f func() error) (time.Duration, error) {
	var b time.Duration
	for i := 0; i < max(runs, 1); i++ {
		start := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		if d := time.Since(start); b == 0 || d < b {
			b = d
		}
	}
	return b, nil
}

// runAIDE runs aide --init over tree with the attributes vigil records and
// sha256, writing its database into dir.
func runAIDE(ctx context.Context, aide, tree, dir string, workers int) error {
	conf := filepath.Join(dir, "aide.conf")
	db := filepath.Join(dir, "aide.db.new")
	os.Remove(db)
	text := fmt.Sprintf("database_out=file:%s\ngzip_dbout=no\nreport_url=stdout\nVigilRule = p+i+n+u+g+s+m+c+sha256\n%s VigilRule\n", db, tree)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, aide, "--init", "-c", conf, "-W", fmt.Sprint(workers))
	cmd.Stdout = io.Discard
	outErr, err := os.Create(filepath.Join(dir, "aide.stderr"))
	if err != nil {
		return err
	}
	defer outErr.Close()
	cmd.Stderr = outErr
	if err := cmd.Run(); err != nil {
		// aide --init exits 0 on success; anything else is a failure.
		msg, _ := os.ReadFile(outErr.Name())
		return fmt.Errorf("aide --init -W %d: %w: %s", workers, err, msg)
	}
	if fi, err := os.Stat(db); err != nil || fi.Size() == 0 {
		return fmt.Errorf("aide wrote no database: %v", err)
	}
	return nil
}
