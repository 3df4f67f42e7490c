package authlog

import (
	"bufio"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/shareddata"
)

// loghubCase maps loghub template IDs to the action/outcome each line of
// the template must give ("" for no event).
type loghubCase struct {
	file      string
	templates map[string]string
	// pidCol is the CSV column holding the pid.
	pidCol int
}

var openSSHTemplates = map[string]string{
	"E1": "ssh_login/success", "E8": "ssh_login/failure", "E9": "ssh_login/failure", "E10": "ssh_login/failure",
	"E14": "ssh_login/failure", "E13": "ssh_invalid_user/failure", "E12": "ssh_preauth/failure",
	"E19": "pam_auth_failure/failure", "E20": "pam_auth_failure/failure", "E21": "pam_user_unknown/failure",
	"E15": "pam_repeated_failures/failure", "E16": "pam_repeated_failures/failure", "E17": "pam_repeated_failures/failure",
	"E18": "", "E22": "user_logout/", "E23": "user_login/success",
	"E2": "ssh_disconnect/", "E4": "ssh_disconnect/", "E5": "ssh_disconnect/", "E6": "ssh_disconnect/",
	"E7": "ssh_disconnect/", "E11": "ssh_disconnect/", "E24": "ssh_disconnect/", "E25": "ssh_disconnect/",
	"E26": "ssh_disconnect/", "E3": "ssh_protocol_error/failure", "E27": "ssh_reverse_mapping_failed/unknown",
}

var linuxTemplates = map[string]string{
	"E15": "pam_auth_failure/failure", "E16": "pam_auth_failure/failure", "E17": "pam_auth_failure/failure",
	"E18": "pam_auth_failure/failure", "E19": "pam_auth_failure/failure", "E27": "pam_user_unknown/failure",
	"E101": "user_logout/", "E102": "user_login/success", "E103": "user_login/success", "E91": "user_login/success",
}

var reRepeat = regexp.MustCompile(`message repeated (\d+) times`)

// TestLoghub checks every line of the loghub samples against the template
// the structured CSV gives it: lines of auth templates give exactly the
// expected events (N for a "message repeated N times" line), every other
// line gives none.
func TestLoghub(t *testing.T) {
	dir := shareddata.Dir(t, "loghub")
	for _, c := range []loghubCase{
		{"OpenSSH/OpenSSH_2k.log", openSSHTemplates, 5},
		{"Linux/Linux_2k.log", linuxTemplates, 6},
	} {
		t.Run(c.file, func(t *testing.T) {
			logf, err := os.Open(filepath.Join(dir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			defer logf.Close()
			csvf, err := os.Open(filepath.Join(dir, c.file+"_structured.csv"))
			if err != nil {
				t.Fatal(err)
			}
			defer csvf.Close()
			rows, err := csv.NewReader(csvf).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			rows = rows[1:]
			sc := bufio.NewScanner(logf)
			opts := Options{Ref: time.Date(2017, 12, 31, 0, 0, 0, 0, time.UTC), Loc: time.UTC, Source: c.file}
			var offset int64
			got := map[string]int{}
			for i := 0; sc.Scan(); i++ {
				line := sc.Text()
				row := rows[i]
				tmpl := row[len(row)-2]
				evs, err := ParseLine([]byte(line), offset, opts)
				offset += int64(len(line) + 1)
				if err != nil {
					t.Errorf("line %d: %v", i+1, err)
					continue
				}
				want, n := c.templates[tmpl], 1
				if m := reRepeat.FindStringSubmatch(line); m != nil {
					n, _ = strconv.Atoi(m[1])
				}
				if want == "" {
					n = 0
				}
				if len(evs) != n {
					t.Errorf("line %d (%s): %d events, want %d: %s", i+1, tmpl, len(evs), n, line)
					continue
				}
				for _, e := range evs {
					if err := e.Validate(); err != nil {
						t.Errorf("line %d: %v", i+1, err)
					}
					if got := e.Event.Action + "/" + e.Event.Outcome; got != want {
						t.Errorf("line %d (%s): %s, want %s", i+1, tmpl, got, want)
					}
					if pid := row[c.pidCol]; e.Process.PID == nil || strconv.FormatInt(*e.Process.PID, 10) != pid {
						t.Errorf("line %d: pid %v, want %s", i+1, e.Process.PID, pid)
					}
					if e.Event.Action == "ssh_login" && (e.Source == nil || e.Source.IP == "") {
						t.Errorf("line %d: ssh_login without source.ip", i+1)
					}
					got[e.Event.Action+"/"+e.Event.Outcome]++
				}
			}
			if c.file == "OpenSSH/OpenSSH_2k.log" {
				if got["ssh_login/success"] != 1 || got["ssh_login/failure"] != 532 {
					t.Errorf("ssh_login: %d successful, %d failed; want 1 and 532", got["ssh_login/success"], got["ssh_login/failure"])
				}
			}
			t.Logf("%v", got)
		})
	}
}

// wazuhExpect gives, for the first substring found in a line of the Wazuh
// test files, the action/outcome the line must give ("" for none). Written
// from reading tests/{sshd,sudo,su,pam}.ini.
var wazuhExpect = []struct{ sub, want string }{
	{"Could not stat AuthorizedKeysCommand", ""},
	{"debug1:", ""},
	{"Failed to create session", ""},
	{"Authentication refused", ""},
	{"subsystem request", ""},
	{"maximum authentication attempts", "ssh_max_auth_attempts/failure"},
	{"Read error from remote host", "ssh_disconnect/"},
	{"Disconnecting: bad client public DH", "ssh_disconnect/"},
	{"Corrupted MAC", "ssh_protocol_error/failure"},
	{"Bad packet length", "ssh_protocol_error/failure"},
	{"Unable to negotiate", "ssh_protocol_error/failure"},
	{"Did not receive identification", "ssh_protocol_error/failure"},
	{"Bad protocol version", "ssh_protocol_error/failure"},
	{"Postponed", "ssh_preauth/unknown"},
	{"input_userauth_request", "ssh_preauth/failure"},
	{"error: PAM:", "pam_auth_failure/failure"},
	{"Invalid user", "ssh_invalid_user/failure"},
	{"Failed ", "ssh_login/failure"},
	{"POSSIBLE BREAK", "ssh_reverse_mapping_failed/unknown"},
	{"Connection closed by", "ssh_disconnect/"},
	{"Connection reset by", "ssh_disconnect/"},
	{"Disconnected from", "ssh_disconnect/"},
	{"Disconnecting invalid user", "ssh_disconnect/"},
	{"not allowed because", "ssh_user_not_allowed/failure"},
	{"incorrect password attempt", "sudo_auth/failure"},
	{"NOT in sudoers", "sudo_denied/failure"},
	{"COMMAND=", "sudo/success"},
	{"failed: ttyq4", "user_login/failure"},
	{"BAD SU", "user_login/failure"},
	{"more authentication failures", "pam_repeated_failures/failure"},
	{"authentication failure", "pam_auth_failure/failure"},
	{"check pass", "pam_user_unknown/failure"},
	{"session opened", "user_login/success"},
	{"session closed", "user_logout/"},
	{"dcid to root", "user_login/success"},
}

func wazuhWant(line string) string {
	for _, r := range wazuhExpect {
		if strings.Contains(line, r.sub) {
			return r.want
		}
	}
	return "?"
}

var reWazuhLog = regexp.MustCompile(`^log \d+ (?:pass|fail) = (.*)$`)

func TestWazuhRulesetLines(t *testing.T) {
	dir := shareddata.Dir(t, "wazuh_ruleset_tests")
	for _, name := range []string{"sshd.ini", "sudo.ini", "su.ini", "pam.ini"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "tests", name))
			if err != nil {
				t.Fatal(err)
			}
			lines := 0
			for _, l := range strings.Split(string(data), "\n") {
				m := reWazuhLog.FindStringSubmatch(strings.TrimSpace(l))
				if m == nil {
					continue
				}
				lines++
				want := wazuhWant(m[1])
				if want == "?" {
					t.Errorf("no expectation for %s", m[1])
					continue
				}
				evs, err := ParseLine([]byte(m[1]), 0, testOpts())
				if err != nil {
					t.Errorf("%v: %s", err, m[1])
					continue
				}
				if want == "" {
					if len(evs) != 0 {
						t.Errorf("got %s, want no event: %s", evs[0].Event.Action, m[1])
					}
					continue
				}
				if len(evs) != 1 {
					t.Errorf("%d events, want 1 %s: %s", len(evs), want, m[1])
					continue
				}
				if got := evs[0].Event.Action + "/" + evs[0].Event.Outcome; got != want {
					t.Errorf("%s, want %s: %s", got, want, m[1])
				}
				if err := evs[0].Validate(); err != nil {
					t.Error(err)
				}
			}
			if lines == 0 {
				t.Fatal("no log lines found")
			}
		})
	}
}

func BenchmarkParseOpenSSH(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(shareddata.Dir(b, "loghub"), "OpenSSH", "OpenSSH_2k.log"))
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	opts := testOpts()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		for i, l := range lines {
			ParseLine([]byte(l), int64(i), opts)
		}
	}
}
