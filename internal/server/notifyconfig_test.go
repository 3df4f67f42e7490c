package server

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadNotify(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "hook.secret")
	loose := filepath.Join(dir, "loose.secret")
	pass := filepath.Join(dir, "smtp.pass")
	for _, f := range []struct {
		path string
		mode os.FileMode
	}{{secret, 0o600}, {loose, 0o644}, {pass, 0o400}} {
		if err := os.WriteFile(f.path, []byte("s3cret\n"), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(f.path, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, yaml, wantErr string
	}{
		{"three channels", `routes:
  - min_level: high
    limit: 10
    window: 10m
    webhook: {name: chat, url: "https://127.0.0.1:9/x", secret_file: ` + secret + `}
  - min_level: critical
    email: {host: 127.0.0.1, port: 2525, username: vigil, password_file: ` + pass + `, from: "vigil@example.org", to: ["oncall@example.org"]}
  - syslog: {network: udp, address: "127.0.0.1:514"}
`, ""},
		{"loose secret mode", "routes:\n  - webhook: {url: \"https://127.0.0.1:9/x\", secret_file: " + loose + "}\n", "mode 0644"},
		{"inline secret", "routes:\n  - webhook: {url: \"https://127.0.0.1:9/x\", secret: abc}\n", "secret_file"},
		{"inline password", "routes:\n  - email: {host: h, password: abc, from: a@b, to: [c@d]}\n", "password_file"},
		{"missing secret file", "routes:\n  - webhook: {url: \"https://127.0.0.1:9/x\", secret_file: " + filepath.Join(dir, "none") + "}\n", "no such file"},
		{"two channels in a route", "routes:\n  - syslog: {network: udp, address: \"127.0.0.1:514\"}\n    webhook: {url: \"https://127.0.0.1:9/x\", secret_file: " + secret + "}\n", "exactly one"},
		{"no channel", "routes:\n  - min_level: high\n", "exactly one"},
		{"unknown field", "routes:\n  - syslog: {network: udp, address: \"127.0.0.1:514\", colour: red}\n", "colour"},
		{"bad level", "routes:\n  - min_level: severe\n    syslog: {network: udp, address: \"127.0.0.1:514\"}\n", "severe"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := filepath.Join(dir, "notify.yml")
			if err := os.WriteFile(f, []byte(c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := LoadNotify(f, slog.New(slog.DiscardHandler))
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("LoadNotify: %v", err)
			case c.wantErr == "" && r == nil:
				t.Fatal("no router")
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("LoadNotify = %v, want an error containing %q", err, c.wantErr)
			}
		})
	}
}
