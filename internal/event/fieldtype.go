package event

import (
	"reflect"
	"strings"
	"time"
)

// FieldKind is the type of a field's value as Get returns it.
type FieldKind int

// Field kinds.
const (
	FieldString  FieldKind = iota + 1 // string
	FieldStrings                      // []string (an array of keywords)
	FieldNumber                       // int64
	FieldTime                         // time.Time
)

// fieldKinds is computed once by reading every accessor on a sample event with
// every leaf set.
var fieldKinds = func() map[string]FieldKind {
	var e Event
	Populate(reflect.ValueOf(&e).Elem(), 0, func(int) time.Time { return time.Unix(1, 0) })
	kinds := make(map[string]FieldKind, len(fieldTable))
	for name, get := range fieldTable {
		v, ok := get(&e)
		if !ok {
			continue
		}
		switch v.(type) {
		case string:
			kinds[name] = FieldString
		case []string:
			kinds[name] = FieldStrings
		case int64:
			kinds[name] = FieldNumber
		case time.Time:
			kinds[name] = FieldTime
		}
	}
	return kinds
}()

// KindOf returns the kind of a field's values. Keys under the dynamic prefixes
// are strings, except collector counters, which are numbers.
func KindOf(path string) (FieldKind, bool) {
	if k, ok := fieldKinds[path]; ok {
		return k, true
	}
	if !KnownField(path) {
		return 0, false
	}
	if strings.HasPrefix(path, CountersPrefix) {
		return FieldNumber, true
	}
	return FieldString, true
}

// Populate sets every field of v to a non-zero value, recursively (sub-objects
// up to depth 8), with times from at(depth). It builds sample events with every
// leaf of the schema present: for field typing here and for tests.
func Populate(v reflect.Value, depth int, at func(int) time.Time) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(at(depth)))
			return
		}
		for i := range v.NumField() {
			Populate(v.Field(i), depth+1, at)
		}
	case reflect.Pointer:
		if depth > 8 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		Populate(v.Elem(), depth+1, at)
	case reflect.String:
		v.SetString("s" + strings.Repeat("x", depth))
	case reflect.Int64:
		v.SetInt(int64(depth + 1))
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		Populate(v.Index(0), depth+1, at)
		Populate(v.Index(1), depth+2, at)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		val := reflect.New(v.Type().Elem()).Elem()
		Populate(val, depth, at)
		m.SetMapIndex(reflect.ValueOf("k"), val)
		v.Set(m)
	default:
		panic("event: Populate: unhandled kind " + v.Kind().String())
	}
}
