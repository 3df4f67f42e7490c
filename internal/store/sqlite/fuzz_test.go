package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/store/storetest"
)

func TestFTSQuery(t *testing.T) {
	tests := []struct {
		pattern, want string
		most          int
	}{
		{`%history%`, `"his" AND "ist" AND "sto" AND "tor" AND "ory"`, 12},
		{`%history%`, `"his" AND "sto" AND "ory"`, 3},
		{`%Failed password for user13%`, `"fai" AND "wor" AND "r13"`, 3},
		{`%ab%`, ``, 12},
		{`%a_cde%`, `"cde"`, 12},
		{`%100\%.tgz%`, `"100" AND "00%" AND "0%." AND "%.t" AND ".tg" AND "tgz"`, 12},
		{`%Say "hi"%`, `"say" AND "ay " AND "y """ AND " ""h" AND """hi" AND "hi"""`, 12},
		{`%ééé%`, `"ééé"`, 12},
		{`%aaaa%`, `"aaa"`, 12},
		{``, ``, 12},
		{"%ab\x00cde%", `"cde"`, 12},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			if got := ftsQuery(tt.pattern, tt.most); got != tt.want {
				t.Errorf("ftsQuery(%q, %d) = %q, want %q", tt.pattern, tt.most, got, tt.want)
			}
		})
	}
}

// FuzzSearch: any query that parses either is a bad request or runs, on
// both the indexed and the not yet indexed rows, and agrees with Count.
func FuzzSearch(f *testing.F) {
	for _, q := range storetest.BenchQueries {
		f.Add(q.Query)
	}
	if b, err := os.ReadFile("../../query/testdata/queries.txt"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			f.Add(l)
		}
	}
	for _, s := range []string{`"a\"b"`, `message:*%_\\*`, `process.command_line:"é€x"`, `"\x00\xff"`} {
		f.Add(s)
	}
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(f.TempDir(), "f.db"), Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	evs := storetest.Corpus(200, 1)
	if _, err := s.Ingest(ctx, store.Batch{AgentID: "a", Seq: 1, Events: evs[:100]}); err != nil {
		f.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		f.Fatal(err)
	}
	if _, err := s.Ingest(ctx, store.Batch{AgentID: "a", Seq: 2, Events: evs[100:]}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q string) {
		n, err := query.Parse(q)
		if err != nil {
			return
		}
		res, err := s.Search(ctx, store.Search{Query: n, Limit: 1000})
		if errors.Is(err, store.ErrBadRequest) {
			return
		}
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		c, err := s.Count(ctx, n, storetest.Base.AddDate(0, 0, -1), storetest.Base.AddDate(0, 0, 10))
		if err != nil || c != int64(len(res.Events)) {
			t.Fatalf("%q: count %d, %v; search %d", q, c, err, len(res.Events))
		}
	})
}
