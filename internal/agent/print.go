package agent

import (
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/vigil-sec/vigil/internal/collector"
)

// WriteDocumented writes the configuration as YAML with each key preceded by
// its documentation (the `doc` struct tags), so that the output of
// `vigil agent --print-config` is both the effective configuration and its
// manual, and can be saved as a config file.
func (c *Config) WriteDocumented(w io.Writer) error {
	fmt.Fprintln(w, "# vigil agent configuration (effective values, with defaults)")
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := yamlKey(f)
		if key == "" || key == "collectors" {
			continue
		}
		writeField(w, 0, key, f.Tag.Get("doc"), v.Field(i))
	}
	fmt.Fprintln(w, "\n# per-collector settings")
	fmt.Fprintln(w, "collectors:")
	names := make([]string, 0, len(c.Collectors))
	for n := range c.Collectors {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if r, ok := collector.Lookup(n); ok && r.Doc != "" {
			fmt.Fprintf(w, "\n  # %s\n", r.Doc)
		}
		fmt.Fprintf(w, "  %s:\n", n)
		writeStruct(w, 2, reflect.ValueOf(c.Collectors[n]))
	}
	return nil
}

func writeStruct(w io.Writer, depth int, v reflect.Value) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if key := yamlKey(f); key != "" {
			writeField(w, depth, key, f.Tag.Get("doc"), v.Field(i))
		}
	}
}

func writeField(w io.Writer, depth int, key, doc string, v reflect.Value) {
	ind := strings.Repeat("  ", depth)
	if doc != "" {
		fmt.Fprintf(w, "%s# %s\n", ind, doc)
	}
	inner := v
	for inner.Kind() == reflect.Pointer && !inner.IsNil() {
		inner = inner.Elem()
	}
	if inner.Kind() == reflect.Struct && inner.Type() != reflect.TypeOf(time.Time{}) {
		fmt.Fprintf(w, "%s%s:\n", ind, key)
		writeStruct(w, depth+1, inner)
		return
	}
	fmt.Fprintf(w, "%s%s: %s\n", ind, key, scalar(v))
}

// scalar renders a value in YAML flow style on one line.
func scalar(v reflect.Value) string {
	if d, ok := v.Interface().(time.Duration); ok {
		return d.String()
	}
	b, err := yaml.MarshalWithOptions(v.Interface(), yaml.Flow(true))
	if err != nil {
		return fmt.Sprintf("%v", v.Interface())
	}
	return strings.TrimSpace(string(b))
}

func yamlKey(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}
