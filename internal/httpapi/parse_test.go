package httpapi

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"15m", 15 * time.Minute, true},
		{"24h", 24 * time.Hour, true},
		{"7d", 7 * 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"0s", 0, true},
		{"", 0, false},
		{"d", 0, false},
		{"-5m", 0, false},
		{"5", 0, false},
		{"99999999d", 0, false},
		{"1dd", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2025-03-01T10:00:00Z", time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC), true},
		{"2025-03-01T10:00:00.5+01:00", time.Date(2025, 3, 1, 9, 0, 0, 5e8, time.UTC), true},
		{"2025-03-01", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), true},
		{"now", now, true},
		{"now-2h", now.Add(-2 * time.Hour), true},
		{"now-1d", now.Add(-24 * time.Hour), true},
		{"now+1h", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"1741950000", time.Time{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseTime(tc.in, now)
			if (err == nil) != tc.ok || (tc.ok && !got.Equal(tc.want)) {
				t.Fatalf("ParseTime(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"15m", "7d", "1d12h", "now-3d", "2025-03-01", "2025-03-01T10:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDuration(s); err == nil && d < 0 {
			t.Fatalf("negative duration %v from %q", d, s)
		}
		_, _ = ParseTime(s, time.Unix(0, 0))
	})
}

func TestLocateResolve(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(ServerInfoFile, `{"url":"https://127.0.0.1:7799","listen":"127.0.0.1:7799"}`)
	write(AdminTokenFile, "dirtoken\n")
	write(CAFile, "dir-ca")
	caFile := filepath.Join(t.TempDir(), "other.crt")
	if err := os.WriteFile(caFile, []byte("flag-ca"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"VIGIL_SERVER": "envhost:7700", "VIGIL_TOKEN": "envtoken", "VIGIL_CA": caFile}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name string
		l    Locate
		want Endpoint
		err  bool
	}{
		{"data dir", Locate{DataDir: dir}, Endpoint{URL: "https://127.0.0.1:7799", Token: "dirtoken", CA: []byte("dir-ca")}, false},
		{"flags beat data dir", Locate{DataDir: dir, Server: "https://x:1/", Token: "flagtoken", CAPath: caFile},
			Endpoint{URL: "https://x:1", Token: "flagtoken", CA: []byte("flag-ca")}, false},
		{"data dir beats env", Locate{DataDir: dir, Getenv: getenv}, Endpoint{URL: "https://127.0.0.1:7799", Token: "dirtoken", CA: []byte("dir-ca")}, false},
		{"env", Locate{Getenv: getenv}, Endpoint{URL: "https://envhost:7700", Token: "envtoken", CA: []byte("flag-ca")}, false},
		{"nothing", Locate{}, Endpoint{}, true},
		{"no token", Locate{Server: "https://x:1"}, Endpoint{}, true},
		{"missing data dir", Locate{DataDir: filepath.Join(dir, "nope")}, Endpoint{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.l.Resolve()
			if (err != nil) != tc.err {
				t.Fatalf("err %v, want error %v", err, tc.err)
			}
			if tc.err {
				return
			}
			if got.URL != tc.want.URL || got.Token != tc.want.Token || string(got.CA) != string(tc.want.CA) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
