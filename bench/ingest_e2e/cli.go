package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/store/sqlite"
)

// columns of an events partition, in the order of its CREATE TABLE. CSV
// cannot carry the packed documents (binary): sqlite3 gets text of the same
// length in their place, so it stores as many bytes as vigil did.
const columns = `rowid, id, ts, host_id, host_name, category, categories, action, outcome, kind, dataset,
	user_name, process_name, process_executable, command_line, message, source_ip, destination_ip, file_path,
	CASE WHEN typeof(doc) = 'blob' THEN substr(hex(doc), 1, length(doc)) ELSE doc END`

// compareCLI exports the rows the run stored (all of them) to CSV with
// sqlite3 and times sqlite3 importing them into a new database with the
// same schema and indexes (sqlite.PartitionSchema), as bench/ingest does.
// The substring index is not filled in either case: vigil fills it after
// the commit.
func compareCLI(ctx context.Context, dir, db string, stored int64, window time.Duration, out io.Writer) error {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		fmt.Fprintln(out, "sqlite3: skipped: no sqlite3 command (apt-get install sqlite3)")
		return nil
	}
	list, _, err := sqlite3(ctx, db, "SELECT day FROM partitions;\n")
	if err != nil {
		return err
	}
	var days []int
	for _, f := range strings.Fields(list) {
		d, err := strconv.Atoi(f)
		if err != nil {
			return fmt.Errorf("partition %q: %w", f, err)
		}
		days = append(days, d)
	}
	var export, schema, load strings.Builder
	export.WriteString(".mode csv\n")
	schema.WriteString("PRAGMA journal_mode=WAL;\n")
	load.WriteString("PRAGMA synchronous=FULL;\nPRAGMA cache_size=-65536;\n.mode csv\n")
	for _, d := range days {
		csv := filepath.Join(dir, "day_"+strconv.Itoa(d)+".csv")
		fmt.Fprintf(&export, ".once %s\nSELECT %s FROM events_%d ORDER BY rowid;\n", csv, columns, d)
		for _, stmt := range sqlite.PartitionSchema(d) {
			schema.WriteString(stmt + ";\n")
		}
		fmt.Fprintf(&load, ".import %s events_%d\n", csv, d)
	}
	if _, _, err := sqlite3(ctx, db, export.String()); err != nil {
		return err
	}
	cli := filepath.Join(dir, "cli.db")
	if _, _, err := sqlite3(ctx, cli, schema.String()); err != nil {
		return err
	}
	_, loadTime, err := sqlite3(ctx, cli, load.String())
	if err != nil {
		return err
	}
	var count strings.Builder
	count.WriteString("SELECT 0")
	for _, d := range days {
		fmt.Fprintf(&count, " + (SELECT count(*) FROM events_%d)", d)
	}
	n, _, err := sqlite3(ctx, cli, count.String()+";\n")
	if err != nil {
		return err
	}
	rows, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
	if err != nil {
		return fmt.Errorf("count: %q: %w", n, err)
	}
	rate := float64(rows) / loadTime.Seconds()
	vigil := float64(stored) / window.Seconds()
	fmt.Fprintf(out, "sqlite3 .import of the same %d rows (same schema and indexes, synchronous=FULL): %.0f events/s (%v)\n",
		rows, rate, loadTime.Round(time.Millisecond))
	fmt.Fprintf(out, "ratio vigil end to end / sqlite3 import: %.2f (target >= 0.30)\n", vigil/rate)
	return nil
}

func sqlite3(ctx context.Context, db, script string) (string, time.Duration, error) {
	cmd := exec.CommandContext(ctx, "sqlite3", "-bail", db)
	cmd.Stdin = strings.NewReader(script)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	t := time.Now()
	b, err := cmd.Output()
	d := time.Since(t)
	if err != nil {
		return "", 0, fmt.Errorf("sqlite3: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return string(b), d, nil
}
