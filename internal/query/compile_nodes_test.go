package query

import "testing"

// Compile is the last step before SQL, and stores receive query.Node values
// from callers that may build them by hand: field names and range operators
// that Parse would never produce are refused, not written into the SQL.
func TestCompileRefusesHandBuiltNodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    Node
	}{
		{"range op", Range{Field: "process.pid", Op: "= 1 OR 1=1 --", Value: "1"}},
		{"range field", Range{Field: "x') OR 1=1 --", Op: ">", Value: "1"}},
		{"match field", Match{Field: "user.name' OR '1'='1", Value: "root"}},
		{"exists field", Exists{Field: "nope.field"}},
		{"nested", And{Left: All{}, Right: Not{Node: Match{Field: "a;drop", Value: "x"}}}},
		{"nil", Not{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if c, err := Compile(tc.n, jsonDialect{}); err == nil {
				t.Fatalf("Compile(%#v) = %q, want an error", tc.n, c.Where)
			}
		})
	}
	// What Parse produces still compiles.
	for _, q := range []string{"process.pid >= 10", "user.name:root", "process.args:*", "NOT user.name:x"} {
		n, err := Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Compile(n, jsonDialect{}); err != nil {
			t.Errorf("Compile(%q): %v", q, err)
		}
	}
}
