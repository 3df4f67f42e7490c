package cli

import (
	"errors"
	"flag"
	"io"
	"reflect"
	"testing"
)

func TestParseInterleaved(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		pos     []string
		format  string
		policy  []string
		verbose bool
	}{
		{"flags first", []string{"--format", "json", "QUERY"}, []string{"QUERY"}, "json", nil, false},
		{"flags last", []string{"QUERY", "--format", "json"}, []string{"QUERY"}, "json", nil, false},
		{"mixed", []string{"a", "-v", "b", "--format=html", "c"}, []string{"a", "b", "c"}, "html", nil, true},
		{"repeated list", []string{"--policy", "x.yml", "q", "--policy", "y.yml"}, []string{"q"}, "text", []string{"x.yml", "y.yml"}, false},
		{"double dash", []string{"--format", "json", "--", "-v", "--format"}, []string{"-v", "--format"}, "json", nil, false},
		{"positional then double dash", []string{"a", "--", "-b"}, []string{"a", "-b"}, "text", nil, false},
		{"none", nil, nil, "text", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := NewFlagSet("t", io.Discard)
			format := fs.String("format", "text", "")
			verbose := fs.Bool("v", false, "")
			var policy StringList
			fs.Var(&policy, "policy", "")
			pos, err := Parse(fs, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(pos, tt.pos) {
				t.Errorf("positional = %q, want %q", pos, tt.pos)
			}
			if *format != tt.format || *verbose != tt.verbose {
				t.Errorf("format=%q verbose=%v, want %q %v", *format, *verbose, tt.format, tt.verbose)
			}
			if !reflect.DeepEqual(policy.Values, tt.policy) {
				t.Errorf("policy = %q, want %q", policy.Values, tt.policy)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	fs := NewFlagSet("t", io.Discard)
	fs.String("format", "text", "")
	if _, err := Parse(fs, []string{"x", "--nope"}); !errors.Is(err, ErrUsage) {
		t.Errorf("unknown flag: err = %v, want ErrUsage", err)
	}
	fs = NewFlagSet("t", io.Discard)
	if _, err := Parse(fs, []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: err = %v, want flag.ErrHelp", err)
	}
	fs = NewFlagSet("t", io.Discard)
	fs.String("format", "text", "")
	if _, err := Parse(fs, []string{"q", "--format"}); !errors.Is(err, ErrUsage) {
		t.Errorf("missing value: err = %v, want ErrUsage", err)
	}
}

func TestStringListSplitAndDefault(t *testing.T) {
	l := StringList{Values: []string{"default"}, Split: true}
	for _, v := range []string{"a,b", " c ", ",,"} {
		if err := l.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"a", "b", "c"}; !reflect.DeepEqual(l.Values, want) || !l.IsSet() {
		t.Errorf("values = %q set=%v, want %q", l.Values, l.IsSet(), want)
	}
}

func TestOneOf(t *testing.T) {
	if err := OneOf("format", "json", "text", "json"); err != nil {
		t.Error(err)
	}
	if err := OneOf("format", "xml", "text", "json"); !errors.Is(err, ErrUsage) {
		t.Errorf("err = %v, want ErrUsage", err)
	}
}
