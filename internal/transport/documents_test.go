package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vigil-sec/vigil/internal/spool"
	"github.com/vigil-sec/vigil/internal/store"
)

// TestSendDocument: the shipper's documents are stored as the host's latest
// of their kind (the newer replaces the older), the hook is told, and a
// server outage is bridged by retries.
func TestSendDocument(t *testing.T) {
	var mu sync.Mutex
	var told []string
	e := newEnv(t, ServerOptions{AfterDocument: func(_ context.Context, host, kind string) {
		mu.Lock()
		told = append(told, host+"/"+kind)
		mu.Unlock()
	}})
	id, dir := e.enroll("web1")
	sh, _ := e.newShipper(id, dir, spool.Options{}, ShipperOptions{MaxBackoff: 200 * time.Millisecond})
	ctx := context.Background()
	big := `{"packages":[` + strings.Repeat(`{"name":"libfoo","version":"1.0-1"},`, 50_000) + `{}]}`
	for _, doc := range []string{`{"v":1}`, big} {
		if err := sh.SendDocument(ctx, DocInventory, []byte(doc)); err != nil {
			t.Fatal(err)
		}
		_, got, err := e.st.Document(ctx, id.AgentID, DocInventory)
		if err != nil || string(got) != doc {
			t.Fatalf("stored inventory %.40q, %v; want %.40q", got, err, doc)
		}
	}
	if _, _, err := e.st.Document(ctx, id.AgentID, DocScan); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("scan document before any was sent: %v", err)
	}
	mu.Lock()
	if len(told) != 2 || told[0] != id.AgentID+"/inventory" {
		t.Errorf("hook calls %q", told)
	}
	mu.Unlock()

	// Server down: SendDocument keeps trying and succeeds once it is back.
	addr := e.addr
	e.stop()
	done := make(chan error, 1)
	go func() { done <- sh.SendDocument(ctx, DocScan, []byte(`{"score":70}`)) }()
	time.Sleep(300 * time.Millisecond)
	e.start(addr)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("document not delivered after the server came back")
	}
	if _, got, err := e.st.Document(ctx, id.AgentID, DocScan); err != nil || string(got) != `{"score":70}` {
		t.Fatalf("scan document %q, %v", got, err)
	}

	// Unknown kinds are refused before sending; ctx ends a retry loop.
	if err := sh.SendDocument(ctx, "passwd", []byte(`{}`)); err == nil {
		t.Error("unknown kind sent")
	}
	e.stop()
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := sh.SendDocument(cctx, DocScan, []byte(`{}`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("send with the server down and a deadline: %v", err)
	}
}

// TestBadDocumentsStoreNothing: malformed, oversized, unauthenticated and
// unknown-kind documents get a 4xx and change nothing.
func TestBadDocumentsStoreNothing(t *testing.T) {
	e := newEnv(t, ServerOptions{})
	id, _ := e.enroll("web1")
	c := e.client(id)
	enc, _ := zstd.NewWriter(nil)
	z := func(s string) []byte { return enc.EncodeAll([]byte(s), nil) }
	bomb := enc.EncodeAll(append([]byte(`{"a":"`), make([]byte, MaxDocumentBytes+1024)...), nil)
	tests := []struct {
		name   string
		kind   string
		body   []byte
		ce     string
		client *http.Client
		status int
		msg    string
	}{
		{"unknown_kind", "shadow", z(`{}`), "zstd", c, 400, "kind"},
		{"no_kind", "", z(`{}`), "zstd", c, 400, "kind"},
		{"not_json", DocInventory, z(`{"a":`), "zstd", c, 400, "JSON"},
		{"array", DocInventory, z(`[1,2]`), "zstd", c, 400, "JSON object"},
		{"empty", DocInventory, z(``), "zstd", c, 400, "JSON"},
		{"not_zstd", DocInventory, []byte(`{}`), "zstd", c, 400, "zstd"},
		{"gzip", DocInventory, z(`{}`), "gzip", c, 415, "zstd"},
		{"oversized_body", DocInventory, make([]byte, MaxDocumentBodyBytes+1), "zstd", c, 413, "bytes"},
		{"decompression_bomb", DocInventory, bomb, "zstd", c, 413, "decompressed"},
		{"no_certificate", DocInventory, z(`{}`), "zstd", &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.ca.Pool()}}}, 401, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.url+PathDocuments+"?kind="+tt.kind, bytes.NewReader(tt.body))
			req.Header.Set("Content-Encoding", tt.ce)
			res, err := tt.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var ae apiError
			_ = json.NewDecoder(res.Body).Decode(&ae)
			if res.StatusCode != tt.status || !strings.Contains(ae.Message, tt.msg) {
				t.Fatalf("status %d message %q, want %d containing %q", res.StatusCode, ae.Message, tt.status, tt.msg)
			}
		})
	}
	for _, kind := range []string{DocInventory, DocScan, "shadow"} {
		if _, _, err := e.st.Document(context.Background(), id.AgentID, kind); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s document stored from bad input: %v", kind, err)
		}
	}
}

func FuzzDecodeDocument(f *testing.F) {
	enc, _ := zstd.NewWriter(nil)
	for _, s := range []string{`{}`, `{"packages":[]}`, `[1]`, ``, `{"a":`} {
		f.Add(enc.EncodeAll([]byte(s), nil))
	}
	f.Add([]byte("plain"))
	f.Fuzz(func(t *testing.T, body []byte) {
		doc, err := DecodeDocument(body)
		if err == nil && (!json.Valid(doc) || doc[0] != '{') {
			t.Fatalf("accepted %q", doc)
		}
	})
}
