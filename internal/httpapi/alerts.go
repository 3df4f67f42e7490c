package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
)

// AlertList is the answer of GET /api/v1/alerts.
type AlertList struct {
	Alerts []detect.Alert `json:"alerts"`
}

// AlertPatch is the body of PATCH /api/v1/alerts/{id}: a new status, a note,
// or both.
type AlertPatch struct {
	Status string `json:"status,omitempty"`
	Note   string `json:"note,omitempty"`
	// Author names who wrote the note (optional).
	Author string `json:"author,omitempty"`
}

// ParseAlertFilter reads the query parameters of GET /api/v1/alerts:
// status, level (the minimum Sigma level), since (a duration back from now
// such as "24h" or "7d", or a time), host, rule and limit (default
// DefaultLimit, at most MaxLimit).
func ParseAlertFilter(get func(string) string, now time.Time) (detect.Filter, error) {
	f := detect.Filter{Status: get("status"), MinLevel: get("level"), Host: get("host"), RuleID: get("rule"), Limit: DefaultLimit}
	if s := get("since"); s != "" {
		if d, err := ParseDuration(s); err == nil {
			f.Since = now.Add(-d)
		} else if t, err := ParseTime(s, now); err == nil {
			f.Since = t
		} else {
			return f, fmt.Errorf("since: %q is neither a duration (24h, 7d) nor a time", s)
		}
	}
	if s := get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return f, fmt.Errorf("limit: want 1 to %d, got %q", MaxLimit, s)
		}
		f.Limit = n
	}
	if err := f.Validate(); err != nil {
		return f, err
	}
	return f, nil
}

func (a *api) listAlerts(w http.ResponseWriter, r *http.Request) {
	if !a.haveAlerts(w) {
		return
	}
	f, err := ParseAlertFilter(r.URL.Query().Get, a.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_filter", err.Error())
		return
	}
	as, err := a.Alerts.ListAlerts(r.Context(), f)
	if err != nil {
		a.alertError(w, r, err)
		return
	}
	if as == nil {
		as = []detect.Alert{}
	}
	writeJSON(w, http.StatusOK, AlertList{Alerts: as})
}

func (a *api) getAlert(w http.ResponseWriter, r *http.Request) {
	if !a.haveAlerts(w) {
		return
	}
	al, err := a.Alerts.GetAlert(r.Context(), r.PathValue("id"))
	if err != nil {
		a.alertError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, al)
}

func (a *api) patchAlert(w http.ResponseWriter, r *http.Request) {
	if !a.haveAlerts(w) {
		return
	}
	var p AlertPatch
	if !decodeBody(w, r, &p) {
		return
	}
	u := detect.Update{Status: p.Status}
	if p.Note != "" {
		u.Note = &detect.Note{Author: p.Author, Text: p.Note}
	}
	al, err := a.Alerts.UpdateAlert(r.Context(), r.PathValue("id"), u)
	if err != nil {
		a.alertError(w, r, err)
		return
	}
	a.Logger.Info("alert updated", "alert_id", al.ID, "status", al.Status, "note", p.Note != "")
	writeJSON(w, http.StatusOK, al)
}

func (a *api) haveAlerts(w http.ResponseWriter) bool {
	if a.Alerts == nil {
		writeError(w, http.StatusNotImplemented, "not_implemented", "this server keeps no alerts")
		return false
	}
	return true
}

// alertError maps an alert store error to an HTTP answer.
func (a *api) alertError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, detect.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, detect.ErrInvalid):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
	default:
		a.storeError(w, r, err)
	}
}
