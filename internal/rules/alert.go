package rules

import (
	"sort"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// AlertRule identifies the rule of an alert.
type AlertRule struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Level string `json:"level"`
}

// AlertHost names the host of an alert.
type AlertHost struct {
	Name string `json:"name,omitempty"`
}

// Alert is one detection, in the shape `vigil alerts --format json` prints.
type Alert struct {
	ID     string    `json:"id"`
	Rule   AlertRule `json:"rule"`
	Status string    `json:"status"`
	Host   AlertHost `json:"host"`
	// Tags are the rule's tags in Sigma's form ("attack.t1059.004").
	Tags []string `json:"tags"`
	// Techniques are the ATT&CK technique ids of the tags.
	Techniques []string `json:"techniques,omitempty"`
	Count      int      `json:"count"`
	// EventIDs are the matching events: every event of the window for a
	// correlation, bounded by MaxAlertEventIDs after deduplication.
	EventIDs  []string  `json:"event_ids"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// DedupKey identifies repeats: the rule, the host and, for correlations,
	// the group-by values.
	DedupKey string `json:"dedup_key"`
	// Group holds a correlation's group-by values.
	Group map[string]string `json:"group,omitempty"`
}

// MaxAlertEventIDs bounds the event ids one deduplicated alert keeps; the
// count goes on.
const MaxAlertEventIDs = 1000

func newAlert(info RuleInfo, e *event.Event, ids []string, first, last time.Time, group map[string]string) Alert {
	host := ""
	if e.Host != nil {
		host = e.Host.Name
		if host == "" {
			host = e.Host.Hostname
		}
	}
	ruleID := info.ID
	if ruleID == "" {
		ruleID = info.Name
	}
	key := []string{ruleID, host}
	if len(group) > 0 {
		ks := make([]string, 0, len(group))
		for k := range group {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			key = append(key, k+"="+group[k])
		}
	}
	dedup := strings.Join(key, "|")
	idParts := append([]string{dedup}, ids...)
	return Alert{
		ID:         event.DeterministicID(first, idParts...),
		Rule:       AlertRule{ID: ruleID, Name: info.Title, Level: info.Level},
		Status:     event.AlertStatusOpen,
		Host:       AlertHost{Name: host},
		Tags:       info.Tags,
		Techniques: info.Techniques,
		Count:      1,
		EventIDs:   ids,
		FirstSeen:  first,
		LastSeen:   last,
		DedupKey:   dedup,
		Group:      group,
	}
}

// Deduper folds repeats of an alert (same DedupKey) within a suppression
// window into one alert whose count grows. It keeps alerts in the order
// they were first raised.
type Deduper struct {
	// Window is the suppression window: a repeat whose first_seen is at most
	// Window after the kept alert's last_seen increments it; a later one
	// starts a new alert. Zero means no limit.
	Window time.Duration
	alerts []Alert
	last   map[string]int
}

// Add folds one alert in.
func (d *Deduper) Add(a Alert) {
	if d.last == nil {
		d.last = map[string]int{}
	}
	if i, ok := d.last[a.DedupKey]; ok {
		k := &d.alerts[i]
		if d.Window == 0 || !a.FirstSeen.After(k.LastSeen.Add(d.Window)) {
			k.Count += a.Count
			for _, id := range a.EventIDs {
				if len(k.EventIDs) >= MaxAlertEventIDs {
					break
				}
				k.EventIDs = append(k.EventIDs, id)
			}
			if a.LastSeen.After(k.LastSeen) {
				k.LastSeen = a.LastSeen
			}
			if a.FirstSeen.Before(k.FirstSeen) {
				k.FirstSeen = a.FirstSeen
			}
			return
		}
	}
	d.last[a.DedupKey] = len(d.alerts)
	d.alerts = append(d.alerts, a)
}

// Alerts returns the folded alerts.
func (d *Deduper) Alerts() []Alert { return d.alerts }

// DefaultSuppression is the suppression window `vigil rules test` uses.
const DefaultSuppression = time.Hour
