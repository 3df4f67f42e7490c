// Package store defines where the server keeps events, hosts, inventories and
// scan results: the Store interface, its errors, and the types that cross it.
// Two implementations exist (store/sqlite, the embedded default, and
// store/postgres, for fleets); store/storetest is the conformance suite both
// must pass. What the two do alike apart from their SQL is defined here once:
// an event's indexed columns, day partitions and retention, argument checks
// and limits, search cursors, the alert helpers and the migration files.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/query"
)

// Errors returned by stores. Callers test them with errors.Is.
var (
	ErrNotFound   = errors.New("not found")
	ErrConflict   = errors.New("conflict")
	ErrBadRequest = errors.New("bad request")
)

// Batch is one acknowledged unit of ingest from an agent: its events are
// committed together, and a batch already committed (same agent, same
// sequence number) is recognised and not stored again.
type Batch struct {
	AgentID string
	Seq     uint64
	Events  []event.Event
}

// IngestResult says what happened to a batch.
type IngestResult struct {
	// Duplicate is true when the batch had been committed before; nothing
	// was stored this time.
	Duplicate bool
	// Stored is the number of events stored (events whose id was already
	// stored are skipped and not counted).
	Stored int
	// New holds the indexes in Batch.Events of the events this call stored,
	// ascending (len(New) == Stored): what the server hands to detection.
	// An event without an ID is given one the caller does not see, so a
	// caller that needs the IDs sets them before Ingest.
	New []int
}

// Search is an event search.
type Search struct {
	Query query.Node
	From  time.Time // inclusive; zero means unbounded
	To    time.Time // exclusive; zero means unbounded
	Limit int       // at most this many hits (the store caps it)
	// Cursor continues a previous search (opaque, from SearchResult).
	Cursor string
}

// SearchResult is one page of hits, newest first.
type SearchResult struct {
	Events []event.Event
	// Cursor fetches the next page; empty when there is none.
	Cursor string
}

// Bucket is one bar of a histogram or one row of a top-N aggregation.
type Bucket struct {
	Key   string    `json:"key,omitempty"`
	Time  time.Time `json:"time,omitzero"`
	Count int64     `json:"count"`
}

// Host is an agent as the server knows it.
type Host struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Hostname     string            `json:"hostname,omitempty"`
	OS           string            `json:"os,omitempty"`
	AgentVersion string            `json:"agent_version,omitempty"`
	PolicyVer    int64             `json:"policy_version,omitempty"`
	EnrolledAt   time.Time         `json:"enrolled_at"`
	LastSeen     time.Time         `json:"last_seen,omitzero"`
	Status       string            `json:"status"` // online, offline
	Revoked      bool              `json:"revoked,omitempty"`
	Collectors   map[string]string `json:"collectors,omitempty"` // name -> state
	KernelLost   int64             `json:"kernel_lost,omitempty"`
}

// Token is an enrollment token as the server keeps it: never the secret, only
// its SHA-256.
type Token struct {
	ID         string    `json:"id"`
	SecretHash []byte    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	// UsesLeft is how many more enrollments the token allows.
	UsesLeft int `json:"uses_left"`
}

// Store keeps everything the server stores. Implementations are safe for
// concurrent use; several server processes may share one PostgreSQL store.
type Store interface {
	// Ingest commits a batch atomically and durably before returning.
	// Re-sent batches (same AgentID and Seq) return Duplicate and store
	// nothing.
	Ingest(ctx context.Context, b Batch) (IngestResult, error)
	// Search returns events matching s, newest first. Query errors are
	// ErrBadRequest.
	Search(ctx context.Context, s Search) (SearchResult, error)
	// Count returns how many events match q in [from, to).
	Count(ctx context.Context, q query.Node, from, to time.Time) (int64, error)
	// Histogram counts matching events per interval over [from, to).
	Histogram(ctx context.Context, q query.Node, from, to time.Time, interval time.Duration) ([]Bucket, error)
	// Top returns the n most frequent values of field among matching events.
	Top(ctx context.Context, q query.Node, field string, from, to time.Time, n int) ([]Bucket, error)

	// UpsertHost records or updates a host (enrollment, heartbeat).
	UpsertHost(ctx context.Context, h Host) error
	// Host returns one host; ErrNotFound when unknown.
	Host(ctx context.Context, id string) (Host, error)
	// Hosts lists hosts by name.
	Hosts(ctx context.Context) ([]Host, error)

	// PutDocument stores the latest document of a kind for a host
	// ("inventory", "scan"), replacing the previous one.
	PutDocument(ctx context.Context, hostID, kind string, at time.Time, doc []byte) error
	// Document returns the latest document of a kind for a host.
	Document(ctx context.Context, hostID, kind string) (at time.Time, doc []byte, err error)

	// CreateToken stores a new enrollment token.
	CreateToken(ctx context.Context, t Token) error
	// UseToken atomically checks that the token id exists, that secretHash
	// matches, that it has not expired at now and has uses left, and takes
	// one use. It returns ErrNotFound for an unknown id or wrong secret and
	// ErrConflict for an expired or used-up token.
	UseToken(ctx context.Context, id string, secretHash []byte, now time.Time) error

	// Expire deletes events older than the cutoff of their category
	// (retention), and returns how many were deleted.
	Expire(ctx context.Context, cutoff map[string]time.Time, fallback time.Time) (int64, error)
	// PruneBatches forgets the (agent, seq) records of batches committed
	// before the time given, and returns how many. A batch sent again after
	// that is no longer answered Duplicate, but its events are still
	// deduplicated by event.id as long as they are stored.
	PruneBatches(ctx context.Context, before time.Time) (int64, error)

	Close() error
}
