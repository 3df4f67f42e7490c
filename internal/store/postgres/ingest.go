package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

// columnsArrays holds a batch column-wise, for one INSERT ... SELECT FROM
// unnest(...) per batch. Empty strings become NULL in SQL.
type columnsArrays struct {
	id, hostID, hostName, category, categories, action, outcome, kind, dataset []string
	userName, pName, pExe, cmd, message, src, dst, file, doc                   []string
	ts                                                                         []int64
}

func (c *columnsArrays) add(e *event.Event) error {
	doc, err := store.EncodeEvent(e)
	if err != nil {
		return err
	}
	col := store.ColumnsOf(e)
	// PostgreSQL text holds neither NUL nor invalid UTF-8, and jsonb no
	// \u0000: both become U+FFFD (encoding/json already did so for invalid
	// UTF-8 in the document).
	for _, p := range []*string{&col.ID, &col.HostID, &col.HostName, &col.Category, &col.Action, &col.Outcome, &col.Kind,
		&col.Dataset, &col.UserName, &col.ProcessName, &col.ProcessExecutable, &col.CommandLine, &col.Message,
		&col.SourceIP, &col.DestinationIP, &col.FilePath} {
		*p = pgText(*p)
	}
	doc = bytes.ReplaceAll(doc, []byte(`\u0000`), []byte(`\ufffd`))
	// The categories travel as a JSON array cast to jsonb.
	col.Categories = strings.ReplaceAll(col.Categories, `\u0000`, `\ufffd`)
	c.id, c.ts = append(c.id, col.ID), append(c.ts, col.TS)
	c.hostID, c.hostName = append(c.hostID, col.HostID), append(c.hostName, col.HostName)
	c.category, c.categories = append(c.category, col.Category), append(c.categories, col.Categories)
	c.action, c.outcome = append(c.action, col.Action), append(c.outcome, col.Outcome)
	c.kind, c.dataset = append(c.kind, col.Kind), append(c.dataset, col.Dataset)
	c.userName, c.pName, c.pExe = append(c.userName, col.UserName), append(c.pName, col.ProcessName), append(c.pExe, col.ProcessExecutable)
	c.cmd, c.message = append(c.cmd, col.CommandLine), append(c.message, col.Message)
	c.src, c.dst, c.file = append(c.src, col.SourceIP), append(c.dst, col.DestinationIP), append(c.file, col.FilePath)
	c.doc = append(c.doc, string(doc))
	return nil
}

func pgText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

const insertEvents = `INSERT INTO events (id, ts, host_id, host_name, category, categories, action, outcome, kind, dataset,
	user_name, process_name, process_executable, command_line, message, source_ip, destination_ip, file_path, doc)
SELECT u.id, u.ts, NULLIF(u.host_id, ''), NULLIF(u.host_name, ''), NULLIF(u.category, ''),
	CASE WHEN u.cats = '' THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(u.cats::jsonb)) END,
	NULLIF(u.action, ''), NULLIF(u.outcome, ''), NULLIF(u.kind, ''), NULLIF(u.dataset, ''),
	NULLIF(u.user_name, ''), NULLIF(u.pname, ''), NULLIF(u.pexe, ''), NULLIF(u.cmd, ''), NULLIF(u.message, ''),
	NULLIF(u.src, ''), NULLIF(u.dst, ''), NULLIF(u.file, ''), u.doc::jsonb
FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
	$10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[])
	AS u(id, ts, host_id, host_name, category, cats, action, outcome, kind, dataset, user_name, pname, pexe, cmd, message, src, dst, file, doc)
ON CONFLICT (id, ts) DO NOTHING
RETURNING id`

// Ingest commits a batch and its (agent, seq) record in one transaction.
func (s *Store) Ingest(ctx context.Context, b store.Batch) (store.IngestResult, error) {
	if b.AgentID == "" {
		return store.IngestResult{}, fmt.Errorf("ingest: empty agent id: %w", store.ErrBadRequest)
	}
	var c columnsArrays
	dayset := map[int]bool{}
	var days []int
	for i := range b.Events {
		e := b.Events[i]
		if e.Timestamp.IsZero() {
			return store.IngestResult{}, fmt.Errorf("ingest: event %d has no @timestamp: %w", i, store.ErrBadRequest)
		}
		if err := c.add(&e); err != nil {
			return store.IngestResult{}, fmt.Errorf("ingest: %w: %w", err, store.ErrBadRequest)
		}
		if d := store.DayOf(e.Timestamp); !dayset[d] {
			dayset[d] = true
			days = append(days, d)
		}
	}
	if err := s.ensureDays(ctx, days); err != nil {
		return store.IngestResult{}, fmt.Errorf("ingest: %w", err)
	}
	res, err := s.ingestTx(ctx, b, &c)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23514" {
		// No partition for a row: another process dropped one we had
		// cached. Forget the cache and retry once.
		s.mu.Lock()
		s.days = map[int]bool{}
		s.mu.Unlock()
		if err := s.ensureDays(ctx, days); err != nil {
			return store.IngestResult{}, fmt.Errorf("ingest: %w", err)
		}
		res, err = s.ingestTx(ctx, b, &c)
	}
	if err != nil {
		return store.IngestResult{}, fmt.Errorf("ingest: %w", err)
	}
	return res, nil
}

func (s *Store) ingestTx(ctx context.Context, b store.Batch, c *columnsArrays) (store.IngestResult, error) {
	select {
	case s.ingest <- struct{}{}:
		defer func() { <-s.ingest }()
	case <-ctx.Done():
		return store.IngestResult{}, ctx.Err()
	}
	var res store.IngestResult
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "INSERT INTO batches (agent_id, seq, committed_ns) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
			b.AgentID, int64(b.Seq), s.now().UnixNano())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			res.Duplicate = true
			return nil
		}
		if len(c.id) == 0 {
			return nil
		}
		rows, err := tx.Query(ctx, insertEvents, c.id, c.ts, c.hostID, c.hostName, c.category, c.categories, c.action, c.outcome,
			c.kind, c.dataset, c.userName, c.pName, c.pExe, c.cmd, c.message, c.src, c.dst, c.file, c.doc)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		res.New = newIndexes(c.id, ids)
		res.Stored = len(res.New)
		return nil
	})
	return res, err
}

// newIndexes maps the IDs an insert returned back to batch indexes: of
// events sharing an ID, the first ones are those inserted.
func newIndexes(batch, inserted []string) []int {
	left := make(map[string]int, len(inserted))
	for _, id := range inserted {
		left[id]++
	}
	var out []int
	for i, id := range batch {
		if left[id] > 0 {
			out = append(out, i)
			left[id]--
		}
	}
	return out
}
