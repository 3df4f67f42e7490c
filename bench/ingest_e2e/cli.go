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

// columns of an events partition, in the order of its CREATE TABLE, as
// exported from shard k: rowids made unique across shards (each shard's
// after the one before, so that every import appends), and the packed
// documents (binary, which CSV cannot carry) replaced by text of the same
// length, so that sqlite3 stores as many bytes as vigil did.
func columns(k int) string {
	return fmt.Sprintf(`rowid + %d, id, ts, host_id, host_name, category, categories, action, outcome, kind, dataset,
	user_name, process_name, process_executable, command_line, message, source_ip, destination_ip, file_path,
	CASE WHEN typeof(doc) = 'blob' THEN substr(hex(doc), 1, length(doc)) ELSE doc END`, int64(k)*1e12)
}

// compareCLI exports the rows the run stored (all of them, from every
// shard's event file) to CSV with sqlite3 and times sqlite3 importing them
// into a new database with the same schema and indexes
// (sqlite.PartitionSchema), as bench/ingest does. The substring index is
// not filled in either case: vigil fills it after the commit.
func compareCLI(ctx context.Context, dir, db string, stored int64, window time.Duration, out io.Writer) error {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		fmt.Fprintln(out, "sqlite3: skipped: no sqlite3 command (apt-get install sqlite3)")
		return nil
	}
	files := []string{db}
	more, err := filepath.Glob(strings.TrimSuffix(db, ".db") + ".s[0-9]*.db")
	if err != nil {
		return err
	}
	for _, f := range more {
		if !strings.HasSuffix(f, ".fts.db") {
			files = append(files, f)
		}
	}
	seen := map[int]bool{}
	var days []int
	var load strings.Builder
	load.WriteString("PRAGMA synchronous=FULL;\nPRAGMA cache_size=-65536;\n.mode csv\n")
	for k, f := range files {
		list, _, err := sqlite3(ctx, f, "SELECT day FROM partitions;\n")
		if err != nil {
			return err
		}
		var export strings.Builder
		export.WriteString(".mode csv\n")
		for _, field := range strings.Fields(list) {
			d, err := strconv.Atoi(field)
			if err != nil {
				return fmt.Errorf("partition %q: %w", field, err)
			}
			if !seen[d] {
				seen[d] = true
				days = append(days, d)
			}
			csv := filepath.Join(dir, fmt.Sprintf("day_%d_%d.csv", d, k))
			fmt.Fprintf(&export, ".once %s\nSELECT %s FROM events_%d ORDER BY rowid;\n", csv, columns(k), d)
			fmt.Fprintf(&load, ".import %s events_%d\n", csv, d)
		}
		if _, _, err := sqlite3(ctx, f, export.String()); err != nil {
			return err
		}
	}
	var schema strings.Builder
	schema.WriteString("PRAGMA journal_mode=WAL;\n")
	for _, d := range days {
		for _, stmt := range sqlite.PartitionSchema(d) {
			schema.WriteString(stmt + ";\n")
		}
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
