package sca

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

func TestSplitCommand(t *testing.T) {
	sh := func(s string) []string { return []string{"/bin/sh", "-c", s} }
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{in: "sshd -T", want: []string{"sshd", "-T"}},
		{in: "  findmnt   -kn /tmp ", want: []string{"findmnt", "-kn", "/tmp"}},
		{in: `stat -Lc "%n %a %u %U %g %G" /etc/motd`, want: []string{"stat", "-Lc", "%n %a %u %U %g %G", "/etc/motd"}},
		{in: `sh -c "nft list ruleset | awk '/hook input/,/}/'"`, want: []string{"sh", "-c", "nft list ruleset | awk '/hook input/,/}/'"}},
		{in: `find /etc/audit/ -type f \( -name '*.conf' -o -name '*.rules' \) -exec stat -Lc "%U" {} +`,
			want: []string{"find", "/etc/audit/", "-type", "f", "(", "-name", "*.conf", "-o", "-name", "*.rules", ")", "-exec", "stat", "-Lc", "%U", "{}", "+"}},
		{in: `echo 'a"b' "c'd" e\ f`, want: []string{"echo", `a"b`, "c'd", "e f"}},
		{in: `echo "a\"b\\c\d"`, want: []string{"echo", `a"b\c\d`}},
		{in: "cat /etc/security/pwquality.conf /etc/security/pwquality.conf.d/*.conf", want: sh("cat /etc/security/pwquality.conf /etc/security/pwquality.conf.d/*.conf")},
		{in: "ls /x | wc -l", want: sh("ls /x | wc -l")},
		{in: "a; b", want: sh("a; b")},
		{in: "a && b", want: sh("a && b")},
		{in: "echo $HOME", want: sh("echo $HOME")},
		{in: `echo "$(id)"`, want: sh(`echo "$(id)"`)},
		{in: "echo `id`", want: sh("echo `id`")},
		{in: "cat < /etc/passwd", want: sh("cat < /etc/passwd")},
		{in: "echo a#b", want: []string{"echo", "a#b"}},
		{in: "echo #comment", want: sh("echo #comment")},
		{in: "echo '*'", want: []string{"echo", "*"}},
		{in: `echo "unterminated`, err: true},
		{in: "   ", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := SplitCommand(tt.in)
			if tt.err {
				if err == nil {
					t.Fatalf("got %q, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRealCommands runs real programs on the live host: output capture with
// stderr, exit status ignored, missing programs, timeouts, output bound.
func TestRealCommands(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	p, err := Load("cmd.yml", []byte(`
policy: {id: cmd, file: cmd.yml, name: cmd, description: cmd}
checks:
  - {id: 1, title: stdout, condition: all, rules: ['c:echo hello world -> r:^hello\s+world$']}
  - {id: 2, title: stderr and exit status, condition: all, rules: ['c:sh -c "echo oops >&2; exit 3" -> r:^oops$']}
  - {id: 3, title: pipeline through sh, condition: all, rules: ['c:printf "a\nb\nc\n" | wc -l -> n:^\s*(\d+) compare == 3']}
  - {id: 4, title: not installed, condition: all, rules: ['c:vigil-no-such-program -> r:.']}
  - {id: 5, title: timeout, condition: all, rules: ['c:sleep 5 -> r:.']}
  - {id: 6, title: bounded output, condition: all, rules: ['c:sh -c "yes | head -c 100000" -> r:^y$']}
  - {id: 7, title: no content test, condition: all, rules: ['c:true']}
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Evaluate(context.Background(), &Env{Root: hostfs.Live()},
		Options{AllowCommands: true, CommandTimeout: 300 * time.Millisecond, MaxOutput: 1000})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]struct {
		st     Status
		reason string
	}{
		1: {StatusPass, ""}, 2: {StatusPass, ""}, 3: {StatusPass, ""},
		4: {StatusNotApplicable, "program not found"},
		5: {StatusError, "timed out"},
		6: {StatusPass, ""}, 7: {StatusPass, ""},
	}
	for _, c := range res.Checks {
		w := want[c.Check.ID]
		if c.Status != w.st || !strings.Contains(c.Reason, w.reason) {
			t.Errorf("check %d %s: %s %q (evidence %q), want %s %q", c.Check.ID, c.Check.Title, c.Status, c.Reason, c.Evidence, w.st, w.reason)
		}
	}
}
