package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

// row is an event ready to insert: its indexed columns and its JSON.
type row struct {
	day  int
	args [19]any
}

const insertCols = `(id, ts, host_id, host_name, category, categories, action, outcome, kind, dataset,
	user_name, process_name, process_executable, command_line, message, source_ip, destination_ip, file_path, doc)`

const insertVals = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// null turns an empty string into SQL NULL, so that field:* means "present".
func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// toRow extracts the indexed columns of e. An event without an ID gets one,
// so that every stored event can be deduplicated and found by event.id.
func toRow(e *event.Event) (row, error) {
	if e.Event.ID == "" {
		e.Event.ID = event.NewID(e.Timestamp)
	}
	doc, err := json.Marshal(e)
	if err != nil {
		return row{}, fmt.Errorf("encode event %s: %w", e.Event.ID, err)
	}
	var r row
	r.day = dayOf(e.Timestamp)
	var cat, cats any
	if len(e.Event.Category) > 0 {
		cat = null(e.Event.Category[0])
	}
	if len(e.Event.Category) > 1 {
		b, _ := json.Marshal(e.Event.Category)
		cats = string(b)
	}
	var hostID, hostName, userName, pName, pExe, cmd, src, dst, file string
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
	r.args = [19]any{e.Event.ID, e.Timestamp.UnixNano(), null(hostID), null(hostName), cat, cats,
		null(e.Event.Action), null(e.Event.Outcome), null(e.Event.Kind), null(e.Event.Dataset),
		null(userName), null(pName), null(pExe), null(cmd), null(e.Message),
		null(src), null(dst), null(file), string(doc)}
	return r, nil
}

// Ingest commits a batch in one transaction together with its (agent, seq)
// record; a batch seen before stores nothing. Events whose event.id is
// already stored are skipped.
func (s *Store) Ingest(ctx context.Context, b store.Batch) (store.IngestResult, error) {
	if b.AgentID == "" {
		return store.IngestResult{}, fmt.Errorf("ingest: empty agent id: %w", store.ErrBadRequest)
	}
	rows := make([]row, len(b.Events))
	for i := range b.Events {
		e := b.Events[i] // the caller's slice is not modified
		if e.Timestamp.IsZero() {
			return store.IngestResult{}, fmt.Errorf("ingest: event %d has no @timestamp: %w", i, store.ErrBadRequest)
		}
		r, err := toRow(&e)
		if err != nil {
			return store.IngestResult{}, fmt.Errorf("ingest: %w: %w", err, store.ErrBadRequest)
		}
		rows[i] = r
	}
	// Group by day so that each partition gets one prepared statement.
	slices.SortStableFunc(rows, func(a, b row) int { return a.day - b.day })

	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return store.IngestResult{}, fmt.Errorf("ingest: begin: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO batches (agent_id, seq, committed_ns) VALUES (?, ?, ?)",
		b.AgentID, int64(b.Seq), s.opts.Now().UnixNano())
	if err != nil {
		return store.IngestResult{}, fmt.Errorf("ingest: record batch: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.IngestResult{Duplicate: true}, nil
	}
	var newDays []int
	stored := 0
	for start := 0; start < len(rows); {
		day := rows[start].day
		end := start
		for end < len(rows) && rows[end].day == day {
			end++
		}
		if !s.days[day] {
			if err := ensureDay(ctx, tx, day); err != nil {
				return store.IngestResult{}, fmt.Errorf("ingest: %w", err)
			}
			newDays = append(newDays, day)
		}
		n, err := insertRows(ctx, tx, day, rows[start:end])
		if err != nil {
			return store.IngestResult{}, fmt.Errorf("ingest: %w", err)
		}
		stored += n
		start = end
	}
	if err := tx.Commit(); err != nil {
		return store.IngestResult{}, fmt.Errorf("ingest: commit: %w", err)
	}
	for _, d := range newDays {
		s.days[d] = true
	}
	return store.IngestResult{Stored: stored}, nil
}

// insertRows inserts one day's rows with a statement of up to 32 rows
// (fewer round trips through the driver than one row a statement).
func insertRows(ctx context.Context, tx execPreparer, day int, rows []row) (int, error) {
	const per = 32
	stmts := map[int]stmtExec{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	stored := 0
	args := make([]any, 0, per*19)
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		st, ok := stmts[len(chunk)]
		if !ok {
			q := "INSERT OR IGNORE INTO " + eventsTable(day) + " " + insertCols + " VALUES " + insertVals
			for range len(chunk) - 1 {
				q += ", " + insertVals
			}
			var err error
			if st, err = tx.PrepareContext(ctx, q); err != nil {
				return 0, fmt.Errorf("prepare insert into %d: %w", day, err)
			}
			stmts[len(chunk)] = st
		}
		args = args[:0]
		for i := range chunk {
			args = append(args, chunk[i].args[:]...)
		}
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return 0, fmt.Errorf("insert into %d: %w", day, err)
		}
		n, _ := res.RowsAffected()
		stored += int(n)
	}
	return stored, nil
}
