package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedIsCurrent fails when internal/event/append_json.go is not
// what jsongen writes for the current struct definitions: run go generate
// in internal/event.
func TestGeneratedIsCurrent(t *testing.T) {
	want, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../append_json.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("internal/event/append_json.go is stale: run go generate ./internal/event")
	}
}
