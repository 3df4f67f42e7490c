package event

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsListEveryField keeps docs/events.md complete: every static field
// must appear in backquotes, or be one of the sub-objects documented as a whole
// ("`vigil.file.previous.*`": same leaves as file.*).
func TestDocsListEveryField(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "events.md"))
	if err != nil {
		t.Fatalf("read docs: %v", err)
	}
	doc := string(b)
	for _, name := range FieldNames() {
		if strings.Contains(doc, "`"+name+"`") {
			continue
		}
		covered := false
		for _, wild := range []string{"vigil.file.previous.", "process.session_leader."} {
			if strings.HasPrefix(name, wild) && strings.Contains(doc, "`"+wild+"*`") {
				covered = true
			}
		}
		if !covered {
			t.Errorf("docs/events.md does not list %s", name)
		}
	}
	for _, s := range Catalogue() {
		if !strings.Contains(doc, "`"+s.Action+"`") {
			t.Errorf("docs/events.md does not list action %s", s.Action)
		}
	}
}
