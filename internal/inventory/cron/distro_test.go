package cron

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// TestDistroFixtures checks the deliberate cron findings of the shared
// fixture trees (testdata/rootfs/README.md).
func TestDistroFixtures(t *testing.T) {
	tests := []struct {
		distro  string
		count   int
		skipped []string
		has     []string // "file | schedule | user | command prefix"
	}{
		{"debian12", 16, []string{"/etc/cron.d/webapp:7"}, []string{
			"/etc/cron.d/webapp | */5 * * * * | www-data | /var/www/app/bin/queue-worker",
			"/etc/cron.d/webapp | @reboot | root | /usr/local/sbin/warm-cache.sh",
			"/var/spool/cron/crontabs/root | * * * * * | root | curl -fsSL http://203.0.113.7/",
			"/var/spool/cron/crontabs/alice | @reboot | alice | ",
			"/etc/cron.daily/backup-db | @daily | root | /etc/cron.daily/backup-db",
		}},
		{"ubuntu2204", 14, []string{"/etc/cron.d/redis-backup:4"}, []string{
			"/etc/cron.d/redis-backup | @hourly | redis | ",
			"/var/spool/cron/crontabs/jdoe | @reboot | jdoe | nohup /home/jdoe/.local/bin/miner -o stratum+tcp://",
		}},
		{"alma9", 14, []string{"/etc/cron.d/pgbackup:4"}, []string{
			"/etc/cron.d/raid-check | 0 1 * * Sun | root | /usr/sbin/raid-check",
			"/etc/cron.d/pgbackup | 0 3 * * * | postgres | pg_dumpall -f /var/lib/pgsql/backups/all-$(date +%F).sql",
			"/var/spool/cron/root | @reboot | root | ",
			"/var/spool/cron/dba | 0 0 31 2 * | dba | /bin/echo never",
			"/etc/anacrontab | anacron 1 | root | nice run-parts /etc/cron.daily",
			"/etc/cron.hourly/0anacron | @hourly | root | ",
		}},
		{"alpine3", 8, []string{"/etc/crontabs/root:9"}, []string{
			"/etc/crontabs/root | @reboot | root | /usr/local/bin/update-motd",
			"/etc/crontabs/svc-backup | 30 1 * * * | svc-backup | /usr/bin/rsync",
			"/etc/periodic/daily/logrotate | @daily | root | ",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.distro, func(t *testing.T) {
			root, err := hostfs.New("../../../testdata/rootfs/" + tt.distro)
			if err != nil {
				t.Fatal(err)
			}
			entries, sk, err := Collect(context.Background(), root)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != tt.count {
				t.Errorf("%d entries, want %d", len(entries), tt.count)
			}
			var at []string
			for _, l := range sk {
				at = append(at, l.File+":"+strconv.Itoa(l.Line))
			}
			if !reflect.DeepEqual(at, tt.skipped) {
				t.Errorf("skipped %v, want %v", sk, tt.skipped)
			}
			for _, h := range tt.has {
				found := false
				for _, e := range entries {
					s := strings.Join([]string{e.File, e.Schedule, e.User, e.Command}, " | ")
					found = found || strings.HasPrefix(s, h)
				}
				if !found {
					t.Errorf("no entry %q", h)
				}
			}
		})
	}
}
