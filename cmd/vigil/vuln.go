package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/cli"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/server"
	"github.com/vigil-sec/vigil/internal/vuln"
	"github.com/vigil-sec/vigil/internal/vuln/osv"
	"github.com/vigil-sec/vigil/internal/vuln/vulndb"
)

func runVuln(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stdout, "Usage: vigil vuln scan [--root DIR] --db FILE|DIR [--format text|json]")
		fmt.Fprintln(stdout, "       vigil vuln db import PATH... --db FILE|--data DIR")
		fmt.Fprintln(stdout, "       vigil vuln db status --db FILE|--data DIR [--format text|json]")
		fmt.Fprintln(stdout, "       vigil vuln db update --db FILE|--data DIR [--ecosystem E]... [--timeout D]")
		return nil
	}
	switch args[0] {
	case "scan":
		return runVulnScan(ctx, args[1:], stdout, stderr)
	case "db":
		if len(args) < 2 {
			return cli.UsageError("vuln db needs import, status or update")
		}
		switch args[1] {
		case "import":
			return runVulnImport(ctx, args[2:], stdout, stderr)
		case "status":
			return runVulnStatus(ctx, args[2:], stdout, stderr)
		case "update":
			return runVulnUpdate(ctx, args[2:], stdout, stderr)
		}
		return cli.UsageError("unknown vuln db command %q", args[1])
	}
	return cli.UsageError("unknown vuln command %q", args[0])
}

func runVulnScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("vuln scan", stderr)
	rootDir := fs.String("root", "/", "match the host tree under `DIR` instead of /")
	dbPath := fs.String("db", "", "advisory database `FILE` (vigil vuln db import) or a directory, JSON file or zip of OSV advisories")
	format := fs.String("format", "text", "report format: text or json")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return cli.UsageError("vuln scan takes no arguments, got %q", pos)
	}
	if err := cli.OneOf("format", *format, "text", "json"); err != nil {
		return err
	}
	if *dbPath == "" {
		return cli.UsageError("vuln scan needs --db FILE|DIR")
	}
	root, err := hostfs.New(*rootDir)
	if err != nil {
		return cli.UsageError("%v", err)
	}
	rep, err := vulnScan(ctx, root, *dbPath, stderr)
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteText(stdout)
}

// vulnScan matches the host under root against the advisories at dbPath.
func vulnScan(ctx context.Context, root hostfs.Root, dbPath string, stderr io.Writer) (*vuln.Report, error) {
	src, closeSrc, err := openAdvisories(ctx, dbPath, stderr)
	if err != nil {
		return nil, err
	}
	defer closeSrc()
	host, err := vuln.CollectHost(ctx, root)
	if err != nil {
		return nil, err
	}
	return vuln.Scan(ctx, host, src)
}

// openAdvisories opens an advisory database, or loads a directory, JSON file
// or zip archive of OSV advisories into memory.
func openAdvisories(ctx context.Context, path string, stderr io.Writer) (vuln.Source, func(), error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("advisories: %w", err)
	}
	lower := strings.ToLower(path)
	if fi.IsDir() || strings.HasSuffix(lower, ".json") || strings.HasSuffix(lower, ".zip") {
		idx := vuln.NewIndex()
		st, err := osv.Load(ctx, path, func(a *osv.Advisory) error {
			idx.Add(a)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		if len(st.Skipped) > 0 {
			fmt.Fprintf(stderr, "vigil: %d advisory record(s) skipped in %s (first: %s)\n", len(st.Skipped), path, st.Skipped[0])
		}
		return idx, func() {}, nil
	}
	db, err := vulndb.Open(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	return db, func() { db.Close() }, nil
}

func runVulnImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("vuln db import", stderr)
	dbPath := fs.String("db", "", "advisory database `FILE` (created if missing)")
	dataDir := fs.String("data", "", "use the database of the server with data dir `DIR` (DIR/vuln.db); the server re-matches its hosts")
	verbose := fs.Bool("verbose", false, "list every skipped record")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if err := dbFromData(dbPath, *dataDir); err != nil {
		return err
	}
	if *dbPath == "" || len(pos) == 0 {
		return cli.UsageError("usage: vigil vuln db import PATH... --db FILE|--data DIR")
	}
	db, err := vulndb.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, p := range pos {
		start := time.Now()
		st, err := db.Import(ctx, p)
		if err != nil {
			return fmt.Errorf("import %s: %w", p, err)
		}
		fmt.Fprintf(stdout, "%s: %d record(s) read, %d added, %d updated, %d unchanged, %d skipped (%s)\n",
			p, st.Files, st.Added, st.Updated, st.Unchanged, len(st.Skipped), time.Since(start).Round(time.Millisecond))
		for i, s := range st.Skipped {
			if i >= 10 && !*verbose {
				fmt.Fprintf(stdout, "  ... %d more (--verbose lists them)\n", len(st.Skipped)-i)
				break
			}
			fmt.Fprintf(stdout, "  skipped %s\n", s)
		}
	}
	return nil
}

func runVulnStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("vuln db status", stderr)
	dbPath := fs.String("db", "", "advisory database `FILE`")
	dataDir := fs.String("data", "", "use the database of the server with data dir `DIR` (DIR/vuln.db)")
	format := fs.String("format", "text", "output format: text or json")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if err := dbFromData(dbPath, *dataDir); err != nil {
		return err
	}
	if *dbPath == "" || len(pos) > 0 {
		return cli.UsageError("usage: vigil vuln db status --db FILE|--data DIR")
	}
	if err := cli.OneOf("format", *format, "text", "json"); err != nil {
		return err
	}
	if _, err := os.Stat(*dbPath); err != nil {
		return fmt.Errorf("advisory database: %w", err)
	}
	db, err := vulndb.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.Status(ctx)
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	fmt.Fprintf(stdout, "%s: %d advisories (%d withdrawn), newest modified %s\n", st.Path, st.Advisories, st.Withdrawn, st.Newest)
	for _, e := range st.Ecosystems {
		fmt.Fprintf(stdout, "  %-40s %7d  newest %s\n", e.Ecosystem, e.Advisories, e.Newest)
	}
	return nil
}

func runVulnUpdate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("vuln db update", stderr)
	dbPath := fs.String("db", "", "advisory database `FILE` (created if missing)")
	dataDir := fs.String("data", "", "use the database of the server with data dir `DIR` (DIR/vuln.db); the server re-matches its hosts")
	ecos := cli.StringList{Values: vulndb.DefaultEcosystems}
	fs.Var(&ecos, "ecosystem", "download the OSV archive of ecosystem `E` (repeatable; default: "+strings.Join(vulndb.DefaultEcosystems, ", ")+")")
	baseURL := fs.String("url", vulndb.DefaultBaseURL, "base `URL` of the OSV archives")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up a download after `D`")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if err := dbFromData(dbPath, *dataDir); err != nil {
		return err
	}
	if *dbPath == "" || len(pos) > 0 {
		return cli.UsageError("usage: vigil vuln db update --db FILE|--data DIR [--ecosystem E]...")
	}
	db, err := vulndb.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	stats, err := db.Update(ctx, &http.Client{Timeout: *timeout}, *baseURL, ecos.Values)
	for i, st := range stats {
		fmt.Fprintf(stdout, "%s: %d added, %d updated, %d unchanged, %d skipped\n",
			ecos.Values[i], st.Added, st.Updated, st.Unchanged, len(st.Skipped))
	}
	return err
}

// dbFromData sets *dbPath to the server database DIR/vuln.db for --data
// DIR; the two flags exclude each other, and DIR must exist (a server's
// data dir, not a typo creating a new one).
func dbFromData(dbPath *string, dataDir string) error {
	if dataDir == "" {
		return nil
	}
	if *dbPath != "" {
		return cli.UsageError("--db and --data exclude each other")
	}
	fi, err := os.Stat(dataDir)
	if err != nil || !fi.IsDir() {
		return cli.UsageError("--data %s: not a directory (the server's data dir)", dataDir)
	}
	*dbPath = server.VulnDBPath(dataDir)
	return nil
}
