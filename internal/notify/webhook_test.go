package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
)

// receiver is a webhook endpoint that verifies signatures as a user's would.
type receiver struct {
	secret  []byte
	mu      sync.Mutex
	fail    []int // status codes answered before success, in order
	bodies  [][]byte
	kinds   []string
	deliver []string
	badSig  int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if !Verify(rc.secret, body, r.Header.Get(HeaderSignature)) {
		rc.badSig++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	rc.deliver = append(rc.deliver, r.Header.Get(HeaderDelivery))
	if len(rc.fail) > 0 {
		code := rc.fail[0]
		rc.fail = rc.fail[1:]
		http.Error(w, "try later", code)
		return
	}
	rc.bodies = append(rc.bodies, body)
	rc.kinds = append(rc.kinds, r.Header.Get(HeaderEvent))
}

func newTestWebhook(t *testing.T, url, secret string) *Webhook {
	t.Helper()
	w, err := NewWebhook(WebhookConfig{URL: url, Secret: secret, Backoff: time.Millisecond, Attempts: 3, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWebhookSignedAlert(t *testing.T) {
	rc := &receiver{secret: []byte("s3cret")}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	a := alert(1, "high")
	if err := newTestWebhook(t, srv.URL, "s3cret").Send(context.Background(), Message{Alerts: []detect.Alert{a}, Total: 1}); err != nil {
		t.Fatal(err)
	}
	if len(rc.bodies) != 1 || rc.kinds[0] != "alert" {
		t.Fatalf("received %d bodies (%v)", len(rc.bodies), rc.kinds)
	}
	var got detect.Alert
	if err := json.Unmarshal(rc.bodies[0], &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != a.ID || got.Rule != a.Rule || got.Host != a.Host || got.Count != 1 || got.DedupKey != a.DedupKey {
		t.Errorf("received %+v, want %+v", got, a)
	}
	var raw map[string]any
	_ = json.Unmarshal(rc.bodies[0], &raw)
	for _, k := range []string{"id", "rule", "status", "host", "tags", "count", "event_ids", "first_seen", "last_seen"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("body lacks %q: %s", k, rc.bodies[0])
		}
	}
}

func TestWebhookWrongSecretRejected(t *testing.T) {
	rc := &receiver{secret: []byte("right")}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	err := newTestWebhook(t, srv.URL, "wrong").Send(context.Background(), Message{Alerts: []detect.Alert{alert(1, "low")}, Total: 1})
	if err == nil || rc.badSig != 1 {
		t.Errorf("Send = %v with %d bad signatures; want an error after one attempt (401 is not retried)", err, rc.badSig)
	}
}

func TestWebhookRetries(t *testing.T) {
	rc := &receiver{secret: []byte("k"), fail: []int{503, 429}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	if err := newTestWebhook(t, srv.URL, "k").Send(context.Background(), Message{Alerts: []detect.Alert{alert(1, "low")}, Total: 1}); err != nil {
		t.Fatalf("Send after two transient failures: %v", err)
	}
	if len(rc.deliver) != 3 || rc.deliver[0] != rc.deliver[2] || rc.deliver[0] == "" {
		t.Errorf("deliveries %v, want 3 attempts with one delivery id", rc.deliver)
	}
	rc.fail = []int{500, 500, 500, 500}
	if err := newTestWebhook(t, srv.URL, "k").Send(context.Background(), Message{Alerts: []detect.Alert{alert(2, "low")}, Total: 1}); err == nil {
		t.Error("Send succeeded though every attempt failed")
	}
	if len(rc.fail) != 1 {
		t.Errorf("%d failures left, want 1: three attempts", len(rc.fail))
	}
}

func TestWebhookTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	w, err := NewWebhook(WebhookConfig{URL: srv.URL, Secret: "k", Timeout: 50 * time.Millisecond, Attempts: 2, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Send(context.Background(), Message{Alerts: []detect.Alert{alert(1, "low")}, Total: 1}); err == nil || !strings.Contains(err.Error(), "2 attempts") {
		t.Errorf("Send to a hanging server = %v, want failure after 2 attempts", err)
	}
}

func TestWebhookDigest(t *testing.T) {
	rc := &receiver{secret: []byte("k")}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	m := Message{Digest: true, Total: 7, Alerts: []detect.Alert{alert(1, "high"), alert(2, "low")},
		From: time.Unix(1000, 0).UTC(), To: time.Unix(1600, 0).UTC()}
	if err := newTestWebhook(t, srv.URL, "k").Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	var d DigestBody
	if err := json.Unmarshal(rc.bodies[0], &d); err != nil {
		t.Fatal(err)
	}
	if rc.kinds[0] != "digest" || !d.Digest || d.Total != 7 || len(d.Alerts) != 2 || !d.To.Equal(m.To) {
		t.Errorf("digest %s body %+v", rc.kinds[0], d)
	}
}

func TestNewWebhookErrors(t *testing.T) {
	for _, c := range []WebhookConfig{
		{URL: "ftp://x/", Secret: "k"},
		{URL: "http://x/"},
		{URL: "http://x/", Secret: "k", Timeout: -1},
		{URL: "not a url", Secret: "k"},
	} {
		if _, err := NewWebhook(c); err == nil {
			t.Errorf("NewWebhook(%+v) succeeded", c)
		}
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":"x"}`)
	sig := Sign([]byte("k"), body)
	// Known answer from `printf '{"id":"x"}' | openssl dgst -sha256 -hmac k`.
	if want := "sha256=696b5110678d1f332918da752fc2089d305cf4caf658eb24939d7e1f0b0a7934"; sig != want {
		t.Fatalf("signature %q, want %q", sig, want)
	}
	if !Verify([]byte("k"), body, sig) || Verify([]byte("k"), append(body, ' '), sig) || Verify([]byte("j"), body, sig) {
		t.Error("Verify accepts a changed body or key, or rejects the right one")
	}
}
