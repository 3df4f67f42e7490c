package event

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// fieldsOf lists the fields named by a Validate error.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var out []string
	for _, e := range errs {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("problem %v is not a *FieldError", e)
		}
		out = append(out, fe.Field)
	}
	slices.Sort(out)
	return out
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(e *Event)
		fields []string // fields reported, sorted; nil means valid
	}{
		{"valid", func(e *Event) {}, nil},
		{"zero_event", func(e *Event) { *e = Event{} },
			[]string{"@timestamp", "event.action", "event.category", "event.dataset", "event.id", "event.kind", "event.type"}},
		{"bad_kind", func(e *Event) { e.Event.Kind = "signal" }, []string{"event.kind"}},
		{"unknown_category", func(e *Event) { e.Event.Category = []string{"proc"} },
			[]string{"event.category", "event.category", "event.type"}},
		{"unknown_type", func(e *Event) { e.Event.Type = []string{"begin"} },
			[]string{"event.type", "event.type"}},
		{"pair_not_expected", func(e *Event) { e.Event.Type = []string{TypeStart, TypeInstallation} },
			[]string{"event.type"}},
		{"catalogue_category", func(e *Event) {
			e.Event.Category = []string{CategoryHost}
			e.Event.Type = []string{TypeStart}
		}, []string{"event.category"}},
		{"catalogue_type", func(e *Event) { e.Event.Type = []string{TypeInfo} }, []string{"event.type"}},
		{"extra_category_ok", func(e *Event) { e.Event.Category = []string{CategoryProcess, CategorySession} }, nil},
		{"unknown_action_ok", func(e *Event) { e.Event.Action = "ptrace_attach" }, nil},
		{"bad_outcome", func(e *Event) { e.Event.Outcome = "ok" }, []string{"event.outcome"}},
		{"dataset_prefix", func(e *Event) { e.Event.Dataset = "audit" }, []string{"event.dataset"}},
		{"dataset_upper", func(e *Event) { e.Event.Dataset = "vigil.Audit" }, []string{"event.dataset"}},
		{"dataset_empty_name", func(e *Event) { e.Event.Dataset = "vigil." }, []string{"event.dataset"}},
		{"id_space", func(e *Event) { e.Event.ID = "a b" }, []string{"event.id"}},
		{"id_long", func(e *Event) { e.Event.ID = strings.Repeat("a", MaxIDLen+1) }, []string{"event.id"}},
		{"port_range", func(e *Event) {
			e.Source = &Endpoint{IP: "10.0.0.1", Port: new(int64(65536))}
			e.Destination = &Endpoint{Port: new(int64(-1))}
		}, []string{"destination.port", "source.port"}},
		{"port_zero_ok", func(e *Event) { e.Source = &Endpoint{Port: new(int64(0))} }, nil},
		{"bad_ips", func(e *Event) {
			e.Source = &Endpoint{IP: "10.0.0.256"}
			e.Destination = &Endpoint{IP: "fe80::1%eth0"}
			e.Host.IP = append(e.Host.IP, "host")
			e.Related = &Related{IP: []string{"::1", "1.2.3"}}
		}, []string{"destination.ip", "host.ip", "related.ip", "source.ip"}},
		{"negative_counts", func(e *Event) {
			e.Process.PID = new(int64(-1))
			e.Network = &Network{Bytes: new(int64(-5))}
		}, []string{"network.bytes", "process.pid"}},
		{"file_mode_hash", func(e *Event) {
			e.File = &File{Mode: "rw-r--r--", Hash: &Hash{SHA256: "ABC", MD5: "d41d8cd98f00b204e9800998ecf8427e"}}
			e.Vigil = &Vigil{File: &VigilFile{Previous: &File{Mode: "0999"}}}
		}, []string{"file.hash.sha256", "file.mode", "vigil.file.previous.mode"}},
		{"direction", func(e *Event) { e.Network = &Network{Direction: "out"} }, []string{"network.direction"}},
		{"too_many_tags", func(e *Event) { e.Tags = make([]string, MaxListLen+1) }, []string{"tags"}},
		{"huge_message", func(e *Event) { e.Message = strings.Repeat("x", MaxFieldBytes+1) }, []string{"message"}},
		{"rule_level", func(e *Event) { e.Rule = &Rule{ID: "r", Level: "severe"} }, []string{"rule.level"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := samples()["exec"]
			tt.edit(&e)
			got := fieldsOf(t, e.Validate())
			if !slices.Equal(got, tt.fields) {
				t.Errorf("problems in %v, want %v (error: %v)", got, tt.fields, e.Validate())
			}
		})
	}
}

func TestValidateKinds(t *testing.T) {
	tests := []struct {
		name   string
		sample string
		edit   func(e *Event)
		fields []string
	}{
		{"state_needs_existing_action", "existing_package", func(e *Event) { e.Event.Action = ActionPackageInstalled },
			[]string{"event.action", "event.kind", "event.type"}},
		{"state_needs_info", "existing_package", func(e *Event) { e.Event.Type = []string{TypeInstallation} },
			[]string{"event.type", "event.type"}},
		{"state_action_as_event", "existing_package", func(e *Event) { e.Event.Kind = KindEvent },
			[]string{"event.kind"}},
		{"alert_without_rule", "alert", func(e *Event) { e.Rule = nil }, []string{"rule.id"}},
		{"alert_without_indicator", "alert", func(e *Event) { e.Event.Type = []string{TypeStart} },
			[]string{"event.type"}},
		{"indicator_outside_alert", "exec", func(e *Event) { e.Event.Type = []string{TypeStart, TypeIndicator} },
			[]string{"event.type"}},
		{"alert_status", "alert", func(e *Event) { e.Vigil.Alert.Status = "done" }, []string{"vigil.alert.status"}},
		{"metric_or_event_ok", "traffic", func(e *Event) { e.Event.Kind = KindEvent }, nil},
		{"loss_negative", "audit_events_lost", func(e *Event) { e.Vigil.Loss.Count = -1 }, []string{"vigil.loss.count"}},
		{"iam_user_type_ok", "user_added", func(e *Event) { e.Event.Type = []string{TypeCreation, TypeUser, TypeGroup} }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := samples()[tt.sample]
			tt.edit(&e)
			got := fieldsOf(t, e.Validate())
			if !slices.Equal(got, tt.fields) {
				t.Errorf("problems in %v, want %v (error: %v)", got, tt.fields, e.Validate())
			}
		})
	}
}

func TestValidateMessageNamesField(t *testing.T) {
	e := Event{Timestamp: time.Unix(1, 0)}
	err := e.Validate()
	if err == nil || !strings.Contains(err.Error(), "event.dataset: ") {
		t.Errorf("error %q does not name event.dataset", err)
	}
}

func TestCatalogueConsistent(t *testing.T) {
	for _, s := range Catalogue() {
		if !ValidCategory(s.Category) || !ValidKind(s.Kind) {
			t.Errorf("%s: bad category %q or kind %q", s.Action, s.Category, s.Kind)
		}
		for _, typ := range s.Types {
			if !ValidPair(s.Category, typ) {
				t.Errorf("%s: %s/%s is not an ECS pair", s.Action, s.Category, typ)
			}
		}
		if (s.Kind == KindState) != strings.HasPrefix(s.Action, ExistingPrefix) {
			t.Errorf("%s: kind %s does not match the existing_ prefix rule", s.Action, s.Kind)
		}
	}
	s, ok := Lookup(ActionExec)
	if !ok || s.Category != CategoryProcess || !slices.Equal(s.Types, []string{TypeStart}) {
		t.Errorf("Lookup(exec) = %+v, %v", s, ok)
	}
	s.Types[0] = "mutated"
	if again, _ := Lookup(ActionExec); again.Types[0] != TypeStart {
		t.Error("Lookup exposes the catalogue's slice")
	}
}

func TestLevelSeverity(t *testing.T) {
	prev := int64(-1)
	for _, l := range []string{LevelInformational, LevelLow, LevelMedium, LevelHigh, LevelCritical} {
		s, ok := LevelSeverity(l)
		if !ok || s <= prev && l != LevelInformational {
			t.Errorf("LevelSeverity(%s) = %d, %v", l, s, ok)
		}
		prev = s
	}
	if _, ok := LevelSeverity("urgent"); ok {
		t.Error("unknown level accepted")
	}
}
