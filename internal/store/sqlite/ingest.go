package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"

	"github.com/vigil-sec/vigil/internal/bufpool"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

// row is an event ready to insert: its indexed columns and its JSON.
type row struct {
	day  int
	idx  int    // index in the batch
	doc  []byte // the JSON document; packer.pack sets args[docArg] from it
	args [19]any
}

// docArg is the document's place in insertCols.
const docArg = 18

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

// toRow lays out e's columns for insertCols, all but the document's, with
// doc as its document. e must have its ID.
func toRow(e *event.Event, doc []byte) row {
	c := store.ColumnsOf(e)
	return row{day: store.DayOf(e.Timestamp), doc: doc, args: [19]any{c.ID, c.TS, null(c.HostID), null(c.HostName),
		null(c.Category), null(c.Categories), null(c.Action), null(c.Outcome), null(c.Kind), null(c.Dataset),
		null(c.UserName), null(c.ProcessName), null(c.ProcessExecutable), null(c.CommandLine), null(c.Message),
		null(c.SourceIP), null(c.DestinationIP), null(c.FilePath), nil}}
}

// Buffers for a batch's JSON documents and for each shard's part of them
// packed, held until the batch is committed: a buffer a batch instead of
// two allocations an event (a coalesced batch of 8,192 events has ~6 MB of
// JSON, ~1 MB packed).
var (
	docBufs    = bufpool.New(64 << 20)
	packedBufs = bufpool.New(16 << 20)
)

// Ingest commits a batch: each shard the batch's events of its event IDs
// (shardOf), in one transaction together with its own (agent, seq) record,
// so that a batch seen before stores nothing and a batch sent again after
// some of its parts were committed stores the rest. Events whose event.id
// is already stored are skipped.
//
// Group commit: concurrent Ingest calls are merged into one transaction per
// shard (see commitGroup), and each returns only after its shared commits.
func (s *Store) Ingest(ctx context.Context, b store.Batch) (store.IngestResult, error) {
	if b.AgentID == "" {
		return store.IngestResult{}, fmt.Errorf("ingest: empty agent id: %w", store.ErrBadRequest)
	}
	evs := b.Events
	if slices.ContainsFunc(evs, func(e event.Event) bool { return e.Event.ID == "" }) {
		evs = slices.Clone(evs) // the caller's events are not modified
		for i := range evs {
			store.GiveID(&evs[i])
		}
	}
	// The events' documents, one after another, and where each ends.
	docs := docBufs.Get()
	defer func() { docBufs.Put(docs) }()
	ends := make([]int, len(evs))
	count := make([]int, len(s.shards))
	shardOf := make([]int, len(evs))
	for i := range evs {
		if evs[i].Timestamp.IsZero() {
			return store.IngestResult{}, fmt.Errorf("ingest: event %d has no @timestamp: %w", i, store.ErrBadRequest)
		}
		var err error
		if docs, err = store.AppendEvent(docs, &evs[i]); err != nil {
			return store.IngestResult{}, fmt.Errorf("ingest: %w: %w", err, store.ErrBadRequest)
		}
		ends[i] = len(docs)
		shardOf[i] = s.shardOf(evs[i].Event.ID)
		count[shardOf[i]]++
	}
	// One array of rows, each shard's part in batch order.
	rows := make([]row, len(evs))
	parts := make([][]row, len(s.shards))
	next := make([]int, len(s.shards))
	for k, lo := 0, 0; k < len(s.shards); k++ {
		parts[k], next[k] = rows[lo:lo+count[k]], lo
		lo += count[k]
	}
	start := 0
	for i := range evs {
		k := shardOf[i]
		rows[next[k]] = toRow(&evs[i], docs[start:ends[i]:ends[i]])
		rows[next[k]].idx = i
		next[k]++
		start = ends[i]
	}
	var used []int
	for k := range parts {
		if len(parts[k]) > 0 {
			used = append(used, k)
		}
	}
	switch len(used) {
	case 0: // an empty batch is recorded in the first shard
		return s.shards[0].ingest(ctx, b.AgentID, b.Seq, nil)
	case 1:
		return s.shards[used[0]].ingest(ctx, b.AgentID, b.Seq, parts[used[0]])
	}
	// Each shard commits its part with its own record of the batch: a batch
	// sent again finds the parts already committed and stores the others.
	res := make([]store.IngestResult, len(used))
	errs := make([]error, len(used))
	var wg sync.WaitGroup
	for j, k := range used[1:] {
		wg.Go(func() { res[j+1], errs[j+1] = s.shards[k].ingest(ctx, b.AgentID, b.Seq, parts[k]) })
	}
	res[0], errs[0] = s.shards[used[0]].ingest(ctx, b.AgentID, b.Seq, parts[used[0]])
	wg.Wait()
	out := store.IngestResult{Duplicate: true}
	for j := range used {
		if errs[j] != nil {
			return store.IngestResult{}, errs[j]
		}
		out.Duplicate = out.Duplicate && res[j].Duplicate
		out.Stored += res[j].Stored
		out.New = append(out.New, res[j].New...)
	}
	slices.Sort(out.New)
	return out, nil
}

// shardOf is the shard of the event with this ID (FNV-1a), so that one ID
// is always looked for, and deduplicated, in one place.
func (s *Store) shardOf(id string) int {
	if len(s.shards) == 1 {
		return 0
	}
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	return int(h % uint32(len(s.shards)))
}

// ingest commits one shard's part of a batch (rows in batch order) with the
// shard's record of the batch, by group commit.
func (s *shard) ingest(ctx context.Context, agentID string, seq uint64, rows []row) (store.IngestResult, error) {
	// Group by day so that each partition gets one prepared statement.
	slices.SortStableFunc(rows, func(a, b row) int { return a.day - b.day })
	dicts, packed, err := s.pack.pack(rows, packedBufs.Get())
	// Put back only after the commit: the rows point into it until then.
	defer func() { packedBufs.Put(packed) }()
	if err != nil {
		return store.IngestResult{}, fmt.Errorf("ingest: %w", err)
	}

	req := &ingestReq{ctx: ctx, agentID: agentID, seq: seq, rows: rows, dicts: dicts, done: make(chan ingestDone, 1)}
	s.qmu.Lock()
	s.queue = append(s.queue, req)
	s.qmu.Unlock()

	// Whoever holds the writer lock next commits everything queued so far,
	// this request included unless an earlier leader already took it. A
	// request an earlier leader committed returns at once instead of
	// leading the next commit: its ack would wait for that commit too, and
	// what is queued has callers of its own waiting for the lock.
	s.mu.Lock()
	select {
	case d := <-req.done:
		s.mu.Unlock()
		return d.res, d.err
	default:
	}
	s.qmu.Lock()
	group := s.queue
	s.queue = nil
	s.qmu.Unlock()
	var out []ingestDone
	if len(group) > 0 {
		out = s.commitGroup(group)
	}
	s.mu.Unlock()
	// Made durable outside the lock, so that the next group's inserts
	// overlap this group's fsync; acknowledged only after it.
	if s.walSync && len(group) > 0 {
		if err := s.wal.sync(); err != nil {
			for i := range out {
				if out[i].err == nil {
					out[i] = ingestDone{err: fmt.Errorf("ingest: %w", err)}
				}
			}
		}
	}
	for i, r := range group {
		r.done <- out[i]
	}
	d := <-req.done
	return d.res, d.err
}

// ingestReq is one Ingest call waiting for a group commit.
type ingestReq struct {
	ctx     context.Context
	agentID string
	seq     uint64
	rows    []row
	dicts   []*dayDict      // the document dictionaries rows use
	done    chan ingestDone // buffered: the committer never blocks
}

type ingestDone struct {
	res store.IngestResult
	err error
}

// commitGroup commits the requests of group in one transaction, which keeps
// each batch's semantics: batches are applied in order, each first records
// (agent, seq) — a duplicate, also within the group, stores nothing — then
// its events with INSERT OR IGNORE. If the shared transaction fails, each
// request is retried alone, so that one failing batch does not fail the
// others. It returns each request's outcome, in group's order. The caller
// holds s.mu.
func (s *shard) commitGroup(group []*ingestReq) []ingestDone {
	out := make([]ingestDone, len(group))
	var live []int
	for i, r := range group {
		if err := r.ctx.Err(); err != nil && len(group) > 1 {
			out[i] = ingestDone{err: fmt.Errorf("ingest: %w", err)}
			continue
		}
		live = append(live, i)
	}
	if len(live) > 1 {
		reqs := make([]*ingestReq, len(live))
		for k, i := range live {
			reqs[k] = group[i]
		}
		if res, err := s.commit(context.Background(), reqs); err == nil {
			for k, i := range live {
				out[i] = ingestDone{res: res[k]}
			}
			return out
		}
	}
	for _, i := range live {
		res, err := s.commit(group[i].ctx, []*ingestReq{group[i]})
		if err != nil {
			out[i] = ingestDone{err: err}
			continue
		}
		out[i] = ingestDone{res: res[0]}
	}
	return out
}

// commit applies reqs in one transaction and returns their results.
func (s *shard) commit(ctx context.Context, reqs []*ingestReq) ([]store.IngestResult, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("ingest: begin: %w", err)
	}
	defer tx.Rollback()
	now := s.opts.Now().UnixNano()
	results := make([]store.IngestResult, len(reqs))
	newDays := map[int]bool{}
	stmts := stmtCache{}
	defer stmts.close()
	dds := s.pack.unpersisted(reqs)
	for _, dd := range dds {
		if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO doc_dicts (id, day, dict) VALUES (?, ?, ?)", int64(dd.id), dd.day, dd.raw); err != nil {
			return nil, fmt.Errorf("ingest: document dictionary: %w", err)
		}
	}
	for i, r := range reqs {
		res, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO batches (agent_id, seq, committed_ns) VALUES (?, ?, ?)",
			r.agentID, int64(r.seq), now)
		if err != nil {
			return nil, fmt.Errorf("ingest: record batch: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			results[i].Duplicate = true
			continue
		}
		for start := 0; start < len(r.rows); {
			day := r.rows[start].day
			end := start
			for end < len(r.rows) && r.rows[end].day == day {
				end++
			}
			if !s.days[day] && !newDays[day] {
				if err := ensureDay(ctx, tx, day); err != nil {
					return nil, fmt.Errorf("ingest: %w", err)
				}
				newDays[day] = true
			}
			added, err := insertRows(ctx, tx, stmts, day, r.rows[start:end])
			if err != nil {
				return nil, fmt.Errorf("ingest: %w", err)
			}
			results[i].New = append(results[i].New, added...)
			start = end
		}
		slices.Sort(results[i].New)
		results[i].Stored = len(results[i].New)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("ingest: commit: %w", err)
	}
	s.pack.persisted(dds)
	for d := range newDays {
		s.days[d] = true
	}
	return results, nil
}

// stmtCache holds a transaction's insert statements by day and row count.
type stmtCache map[[2]int]*sql.Stmt

func (c stmtCache) close() {
	for _, st := range c {
		st.Close()
	}
}

// insertRows inserts one day's rows with a statement of up to 128 rows
// (fewer round trips through the driver than one row a statement; 128
// rows cost 5 % less an event than 32 in BenchmarkInsertCost) and
// returns the batch indexes of the rows stored. Usually every row is new
// (RowsAffected says so); otherwise the rows this statement inserted are
// the ones with the rowids just below its last insert ID (SQLite gives a new
// row the largest rowid plus one, and this connection is the only writer),
// and of rows sharing an ID the first is the one inserted. (INSERT …
// RETURNING would say the same for every statement, at ~4 µs an event:
// BenchmarkInsertCost.)
func insertRows(ctx context.Context, tx execPreparer, stmts stmtCache, day int, rows []row) ([]int, error) {
	const per = 128
	var added []int
	args := make([]any, 0, per*19)
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		st, ok := stmts[[2]int{day, len(chunk)}]
		if !ok {
			q := "INSERT OR IGNORE INTO " + eventsTable(day) + " " + insertCols + " VALUES " + insertVals
			for range len(chunk) - 1 {
				q += ", " + insertVals
			}
			var err error
			if st, err = tx.PrepareContext(ctx, q); err != nil {
				return nil, fmt.Errorf("prepare insert into %d: %w", day, err)
			}
			stmts[[2]int{day, len(chunk)}] = st
		}
		args = args[:0]
		for i := range chunk {
			args = append(args, chunk[i].args[:]...)
		}
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return nil, fmt.Errorf("insert into %d: %w", day, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("insert into %d: %w", day, err)
		}
		if int(n) == len(chunk) {
			for i := range chunk {
				added = append(added, chunk[i].idx)
			}
			continue
		}
		if n == 0 {
			continue
		}
		last, err := res.LastInsertId()
		if err != nil {
			return nil, fmt.Errorf("insert into %d: %w", day, err)
		}
		ids, err := insertedIDs(ctx, tx, day, last-n, last)
		if err != nil {
			return nil, fmt.Errorf("insert into %d: %w", day, err)
		}
		for i := range chunk {
			id := chunk[i].args[0].(string)
			if ids[id] {
				added = append(added, chunk[i].idx)
				delete(ids, id)
			}
		}
	}
	return added, nil
}

// insertedIDs returns the IDs of the rows with rowid in (lo, hi].
func insertedIDs(ctx context.Context, tx execPreparer, day int, lo, hi int64) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, "SELECT id FROM "+eventsTable(day)+" WHERE rowid > ? AND rowid <= ?", lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids[id] = true
	}
	return ids, rows.Err()
}
