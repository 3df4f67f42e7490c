package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/detect/detecttest"
)

func newAlertAPI(t *testing.T) (*httptest.Server, *detect.MemoryStore) {
	t.Helper()
	as := detect.NewMemoryStore()
	mux := http.NewServeMux()
	Register(mux, Deps{Store: newMemStore(), Alerts: as, AdminToken: testToken,
		Now: func() time.Time { return detecttest.Base.Add(time.Hour) }})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, as
}

func TestAlertsAPI(t *testing.T) {
	srv, as := newAlertAPI(t)
	ctx := context.Background()
	a1 := detecttest.NewAlert("r1", "high", "web1", 0, "e1")
	a2 := detecttest.NewAlert("r2", "low", "web2", 50*time.Minute, "e2")
	for _, a := range []detect.Alert{a1, a2} {
		detecttest.MustUpsert(t, as, a, time.Hour)
	}
	list := func(q string) []string {
		t.Helper()
		var l AlertList
		if s := call(t, "GET", srv.URL+"/api/v1/alerts"+q, testToken, "", &l); s != 200 {
			t.Fatalf("GET alerts%s: %d", q, s)
		}
		var ids []string
		for _, a := range l.Alerts {
			ids = append(ids, a.ID)
		}
		return ids
	}
	cases := []struct {
		q    string
		want []string
	}{
		{"", []string{a2.ID, a1.ID}},
		{"?level=high", []string{a1.ID}},
		{"?host=web2", []string{a2.ID}},
		{"?rule=r1&status=open", []string{a1.ID}},
		{"?since=30m", []string{a2.ID}}, // now is Base+1h
		{"?since=" + detecttest.Base.Format(time.RFC3339), []string{a2.ID, a1.ID}},
		{"?limit=1", []string{a2.ID}},
		{"?status=closed", nil},
	}
	for _, c := range cases {
		t.Run("list"+c.q, func(t *testing.T) {
			if got := list(c.q); len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
	for _, q := range []string{"?status=gone", "?level=severe", "?since=yesterday", "?limit=0", "?limit=5000"} {
		var eb errorBody
		if s := call(t, "GET", srv.URL+"/api/v1/alerts"+q, testToken, "", &eb); s != 400 || eb.Error.Code != "bad_filter" {
			t.Errorf("GET alerts%s: %d %+v, want 400 bad_filter", q, s, eb)
		}
	}

	var got detect.Alert
	if s := call(t, "GET", srv.URL+"/api/v1/alerts/"+a1.ID, testToken, "", &got); s != 200 || got.ID != a1.ID || got.Rule.Level != "high" || len(got.Tags) != 2 {
		t.Fatalf("GET alert: %d %+v", s, got)
	}
	var eb errorBody
	if s := call(t, "GET", srv.URL+"/api/v1/alerts/nope", testToken, "", &eb); s != 404 || eb.Error.Code != "not_found" {
		t.Errorf("GET unknown alert: %d %+v", s, eb)
	}
	if s := call(t, "GET", srv.URL+"/api/v1/alerts", "wrong", "", &eb); s != 401 {
		t.Errorf("GET alerts with a wrong token: %d", s)
	}

	if s := call(t, "PATCH", srv.URL+"/api/v1/alerts/"+a1.ID, testToken, `{"status":"acknowledged","note":"on it","author":"ann"}`, &got); s != 200 {
		t.Fatalf("PATCH: %d", s)
	}
	if got.Status != detect.StatusAcknowledged || len(got.Notes) != 1 || got.Notes[0].Author != "ann" || got.Notes[0].Text != "on it" {
		t.Errorf("after PATCH: %+v", got)
	}
	stored, _ := as.GetAlert(ctx, a1.ID)
	if stored.Status != detect.StatusAcknowledged {
		t.Errorf("stored status %s", stored.Status)
	}
	for _, body := range []string{`{}`, `{"status":"deleted"}`, `{"note":"   "}`, `{"bogus":1}`} {
		if s := call(t, "PATCH", srv.URL+"/api/v1/alerts/"+a1.ID, testToken, body, &eb); s != 400 {
			t.Errorf("PATCH %s: %d, want 400", body, s)
		}
	}
	if s := call(t, "PATCH", srv.URL+"/api/v1/alerts/nope", testToken, `{"status":"closed"}`, &eb); s != 404 {
		t.Errorf("PATCH unknown: %d, want 404", s)
	}
}

func TestAlertsAPIWithoutAlertStore(t *testing.T) {
	srv, _ := newTestAPI(t)
	var eb errorBody
	if s := call(t, "GET", srv.URL+"/api/v1/alerts", testToken, "", &eb); s != 501 || eb.Error.Code != "not_implemented" {
		t.Errorf("GET alerts without a store: %d %+v", s, eb)
	}
}
