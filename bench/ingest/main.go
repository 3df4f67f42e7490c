// Command ingest measures the event stores: it bulk-loads N generated fleet
// events into the SQLite store (batches through store.Ingest, as the server
// does) and the same rows into the same schema with the sqlite3 command-line
// tool (.import of CSV files), prints events/s for both and their ratio,
// optionally does the same into PostgreSQL, then runs the typical queries
// and prints p50/p95 per query.
//
//	go run ./bench/ingest -n 1000000 -pg
package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/postgres"
	"github.com/vigil-sec/vigil/internal/store/postgres/pgtest"
	"github.com/vigil-sec/vigil/internal/store/sqlite"
	"github.com/vigil-sec/vigil/internal/store/storetest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		os.Exit(1)
	}
}

type config struct {
	n, batch, days, reps int
	dir, sync            string
	pg, cli, queries     bool
	load, sqliteOn       bool
	match                string
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var c config
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.IntVar(&c.n, "n", 200000, "events to load")
	fs.IntVar(&c.batch, "batch", 500, "events per batch")
	fs.IntVar(&c.days, "days", 7, "days the events span (ending at -end)")
	fs.IntVar(&c.reps, "reps", 20, "runs of each query")
	fs.StringVar(&c.dir, "dir", "", "work directory (default: a temporary one, removed)")
	fs.StringVar(&c.sync, "sync", "FULL", "SQLite synchronous setting: FULL or NORMAL")
	fs.BoolVar(&c.pg, "pg", false, "also load and query PostgreSQL (needs root and Debian's postgresql)")
	fs.BoolVar(&c.cli, "sqlite3", true, "compare with the sqlite3 command-line tool")
	fs.BoolVar(&c.queries, "queries", true, "run the typical queries after loading")
	fs.BoolVar(&c.sqliteOn, "sqlite", true, "load and query the SQLite store (false with -pg: PostgreSQL only)")
	fs.StringVar(&c.match, "match", "", "run only the queries whose name contains this")
	fs.BoolVar(&c.load, "load", true, "load the events; false queries an existing -dir loaded before with the same -n and -days")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.dir == "" {
		d, err := os.MkdirTemp("", "vigil-bench-ingest-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		c.dir = d
	}
	end := time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC)
	gen := func() *storetest.FleetGen { return storetest.NewFleetGen(c.n, end, c.days, 1) }
	if !c.sqliteOn {
		if c.pg {
			return benchPostgres(ctx, c, gen(), end, out)
		}
		return nil
	}
	s, err := sqlite.Open(ctx, filepath.Join(c.dir, "vigil.db"), sqlite.Options{Synchronous: c.sync})
	if err != nil {
		return err
	}
	defer s.Close()
	if !c.load {
		// A store from an older version re-indexes here (its substring
		// index is dropped on open); the queries run on the full index.
		t := time.Now()
		if err := s.Flush(ctx); err != nil {
			return err
		}
		fmt.Fprintf(out, "substring index brought up to date in %v\n", time.Since(t).Round(time.Millisecond))
		fmt.Fprintln(out, "queries over the SQLite store:")
		return queries(ctx, s, end, c.reps, c.match, out)
	}
	t0 := time.Now()
	for g := gen(); ; {
		if _, ok := g.Next(); !ok {
			break
		}
	}
	genTime := time.Since(t0)
	fmt.Fprintf(out, "generating %d events over %d days takes %v (included in the vigil numbers below, as the server decodes)\n", c.n, c.days, genTime.Round(time.Millisecond))
	commit, err := load(ctx, s, gen(), c.batch)
	if err != nil {
		return err
	}
	t1 := time.Now()
	if err := s.Flush(ctx); err != nil {
		return err
	}
	indexed := commit + time.Since(t1)
	vigilRate := float64(c.n) / commit.Seconds()
	fmt.Fprintf(out, "vigil sqlite (synchronous=%s, batches of %d): %.0f events/s committed (%v); %.0f events/s including the substring index (%v)\n",
		c.sync, c.batch, vigilRate, commit.Round(time.Millisecond), float64(c.n)/indexed.Seconds(), indexed.Round(time.Millisecond))
	if c.cli {
		if err := compareCLI(ctx, c, gen(), vigilRate, float64(c.n)/indexed.Seconds(), out); err != nil {
			return fmt.Errorf("sqlite3: %w", err)
		}
	}
	if c.queries {
		fmt.Fprintln(out, "queries over the SQLite store:")
		if err := queries(ctx, s, end, c.reps, c.match, out); err != nil {
			return err
		}
	}
	if c.pg {
		return benchPostgres(ctx, c, gen(), end, out)
	}
	return nil
}

// load ingests evs in batches and returns the time it took.
func load(ctx context.Context, s store.Store, g *storetest.FleetGen, batch int) (time.Duration, error) {
	t := time.Now()
	evs := make([]event.Event, 0, batch)
	for seq := uint64(1); ; seq++ {
		evs = evs[:0]
		for len(evs) < batch {
			e, ok := g.Next()
			if !ok {
				break
			}
			evs = append(evs, e)
		}
		if len(evs) == 0 {
			return time.Since(t), nil
		}
		if _, err := s.Ingest(ctx, store.Batch{AgentID: "bench", Seq: seq, Events: evs}); err != nil {
			return 0, err
		}
		if n := seq * uint64(batch); n%1000000 < uint64(batch) {
			fmt.Fprintf(os.Stderr, "%s: %d events loaded in %v\n", time.Now().Format(time.TimeOnly), n, time.Since(t).Round(time.Second))
		}
	}
}

func queries(ctx context.Context, s store.Store, end time.Time, reps int, match string, out io.Writer) error {
	fmt.Fprintf(out, "  %-24s %8s %10s %10s\n", "query", "result", "p50", "p95")
	for _, q := range storetest.BenchQueries {
		if !strings.Contains(q.Name, match) {
			continue
		}
		var ds []time.Duration
		var n int64
		for range reps {
			t := time.Now()
			var err error
			if n, err = storetest.RunBenchQuery(ctx, s, q, end); err != nil {
				return fmt.Errorf("query %s: %w", q.Name, err)
			}
			ds = append(ds, time.Since(t))
		}
		slices.Sort(ds)
		fmt.Fprintf(out, "  %-24s %8d %10v %10v\n", q.Name, n, ds[len(ds)/2].Round(10*time.Microsecond), ds[(len(ds)*95+99)/100-1].Round(10*time.Microsecond))
	}
	return nil
}

func benchPostgres(ctx context.Context, c config, g *storetest.FleetGen, end time.Time, out io.Writer) error {
	srv, err := pgtest.Start(ctx)
	if errors.Is(err, pgtest.ErrUnavailable) {
		fmt.Fprintln(out, "postgres: skipped:", err)
		return nil
	}
	if err != nil {
		return err
	}
	defer srv.Stop()
	if err := srv.CreateDB(ctx, "bench"); err != nil {
		return err
	}
	s, err := postgres.Open(ctx, srv.DSN("bench"), postgres.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	d, err := load(ctx, s, g, c.batch)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "vigil postgres (batches of %d, trigram indexes in the commit): %.0f events/s (%v)\n", c.batch, float64(c.n)/d.Seconds(), d.Round(time.Millisecond))
	if c.queries {
		// What autovacuum does after inserts (autovacuum_vacuum_insert_*)
		// a while later: set the visibility map, so that index-only scans
		// are index-only, and refresh the planner statistics.
		start := time.Now()
		conn, err := pgx.Connect(ctx, srv.DSN("bench"))
		if err != nil {
			return err
		}
		_, err = conn.Exec(ctx, "VACUUM (ANALYZE) events")
		conn.Close(ctx)
		if err != nil {
			return fmt.Errorf("vacuum: %w", err)
		}
		fmt.Fprintf(out, "VACUUM (ANALYZE) after the load: %v\n", time.Since(start).Round(time.Millisecond))
		fmt.Fprintln(out, "queries over the PostgreSQL store:")
		return queries(ctx, s, end, c.reps, c.match, out)
	}
	return nil
}

// compareCLI loads the same rows into the same schema with sqlite3: one CSV
// per day imported with .import, then the trigram index filled.
func compareCLI(ctx context.Context, c config, g *storetest.FleetGen, vigilRate, vigilIndexed float64, out io.Writer) error {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		fmt.Fprintln(out, "sqlite3: skipped: no sqlite3 command (apt-get install sqlite3)")
		return nil
	}
	days, err := writeCSV(c.dir, g)
	if err != nil {
		return err
	}
	db := filepath.Join(c.dir, "cli.db")
	var schema, load, fts strings.Builder
	schema.WriteString("PRAGMA journal_mode=WAL;\n")
	for _, d := range days {
		for _, stmt := range sqlite.PartitionSchema(d) {
			schema.WriteString(stmt + ";\n")
		}
	}
	fmt.Fprintf(&load, "PRAGMA synchronous=%s;\nPRAGMA cache_size=-65536;\n.mode csv\n", c.sync)
	for _, d := range days {
		fmt.Fprintf(&load, ".import %s events_%d\n", filepath.Join(c.dir, "day_"+strconv.Itoa(d)+".csv"), d)
	}
	fmt.Fprintf(&fts, "PRAGMA synchronous=%s;\nBEGIN;\n", c.sync)
	for _, d := range days {
		fmt.Fprintf(&fts, "INSERT INTO fts_%d (rowid, command_line, message) SELECT rowid, command_line, message FROM events_%d;\n", d, d)
	}
	fts.WriteString("COMMIT;\n")
	if _, err := sqlite3(ctx, db, schema.String()); err != nil {
		return err
	}
	loadTime, err := sqlite3(ctx, db, load.String())
	if err != nil {
		return err
	}
	ftsTime, err := sqlite3(ctx, db, fts.String())
	if err != nil {
		return err
	}
	rate := float64(c.n) / loadTime.Seconds()
	rateIdx := float64(c.n) / (loadTime + ftsTime).Seconds()
	fmt.Fprintf(out, "sqlite3 .import (same schema and indexes): %.0f events/s (%v); %.0f events/s including the substring index (%v)\n",
		rate, loadTime.Round(time.Millisecond), rateIdx, (loadTime + ftsTime).Round(time.Millisecond))
	fmt.Fprintf(out, "ratio vigil/sqlite3: %.2f committed, %.2f including the substring index (target >= 0.30)\n", vigilRate/rate, vigilIndexed/rateIdx)
	return nil
}

func sqlite3(ctx context.Context, db, script string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, "sqlite3", "-bail", db)
	cmd.Stdin = strings.NewReader(script)
	t := time.Now()
	b, err := cmd.CombinedOutput()
	d := time.Since(t)
	if err != nil {
		return 0, fmt.Errorf("%w: %s", err, b)
	}
	return d, nil
}

// writeCSV writes one CSV per day with the columns of the events table,
// rowid first, and returns the days.
func writeCSV(dir string, g *storetest.FleetGen) ([]int, error) {
	files := map[int]*csv.Writer{}
	var closers []*os.File
	defer func() {
		for _, f := range closers {
			f.Close()
		}
	}()
	rowids := map[int]int{}
	var days []int
	for {
		ev, more := g.Next()
		if !more {
			break
		}
		e := &ev
		d := day(e.Timestamp)
		w, ok := files[d]
		if !ok {
			f, err := os.Create(filepath.Join(dir, "day_"+strconv.Itoa(d)+".csv"))
			if err != nil {
				return nil, err
			}
			closers = append(closers, f)
			w = csv.NewWriter(f)
			files[d] = w
			days = append(days, d)
		}
		rowids[d]++
		doc, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		if err := w.Write(csvRow(rowids[d], e, string(doc))); err != nil {
			return nil, err
		}
	}
	for _, w := range files {
		w.Flush()
		if err := w.Error(); err != nil {
			return nil, err
		}
	}
	return days, nil
}

func day(t time.Time) int {
	y, m, d := t.UTC().Date()
	return y*10000 + int(m)*100 + d
}

func csvRow(rowid int, e *event.Event, doc string) []string {
	var hostID, hostName, userName, pName, pExe, cmd, src, dst, file, cat string
	if e.Host != nil {
		hostID, hostName = e.Host.ID, e.Host.Name
	}
	if e.User != nil {
		userName = e.User.Name
	}
	if e.Process != nil {
		pName, pExe, cmd = e.Process.Name, e.Process.Executable, e.Process.CommandLine
	}
	if e.Source != nil {
		src = e.Source.IP
	}
	if e.Destination != nil {
		dst = e.Destination.IP
	}
	if e.File != nil {
		file = e.File.Path
	}
	if len(e.Event.Category) > 0 {
		cat = e.Event.Category[0]
	}
	return []string{strconv.Itoa(rowid), e.Event.ID, strconv.FormatInt(e.Timestamp.UnixNano(), 10), hostID, hostName, cat, "",
		e.Event.Action, e.Event.Outcome, e.Event.Kind, e.Event.Dataset, userName, pName, pExe, cmd, e.Message, src, dst, file, doc}
}
