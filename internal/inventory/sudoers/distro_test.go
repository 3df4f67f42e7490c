package sudoers

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestDistroFixtures checks the deliberate findings of the shared fixture
// trees (testdata/rootfs/README.md).
func TestDistroFixtures(t *testing.T) {
	type rule struct{ user, cmds string }
	tests := []struct {
		distro   string
		files    int
		skipped  []string // file:line of garbage
		nopasswd []rule   // NOPASSWD rules, aliases expanded
		allNoPw  []string // users with NOPASSWD ALL
		noAuth   int
	}{
		{"debian12", 3, []string{"/etc/sudoers.d/deploy:8"},
			[]rule{{"deploy,alice", "/usr/bin/systemctl restart nginx|/usr/bin/systemctl reload nginx|/usr/bin/systemctl status nginx"}}, nil, 0},
		{"ubuntu2204", 3, []string{"/etc/sudoers.d/guest:3"},
			[]rule{{"jdoe", "/usr/bin/redis-cli|/bin/sh|/bin/bash|/usr/bin/zsh"}, {"ubuntu", "ALL"}, {"guest", "/usr/bin/vim /etc/hosts"}},
			[]string{"ubuntu"}, 1},
		{"alma9", 3, []string{"/etc/sudoers.d/monitoring:3"},
			[]rule{{"rocky,%ops", "/usr/bin/psql|/usr/bin/pg_dump"}, {"nagios", "/usr/lib64/nagios/plugins/check_*"}, {"%ops", "ALL"}},
			[]string{"%ops"}, 0},
		{"alpine3", 2, []string{"/etc/sudoers:30"},
			[]rule{{"svc-backup", "/usr/bin/rsync|/bin/tar *|!/bin/tar *--to-command*"}, {"ops", "/sbin/rc-service *|/sbin/apk"}}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.distro, func(t *testing.T) {
			s, sk := collectDir(t, "../../../testdata/rootfs/"+tt.distro)
			if len(s.Files) != tt.files {
				t.Errorf("files = %v", s.Files)
			}
			var at []string
			for _, l := range sk {
				at = append(at, l.File+":"+strconv.Itoa(l.Line))
			}
			if !slices.Equal(at, tt.skipped) {
				t.Errorf("skipped = %v, want %v", sk, tt.skipped)
			}
			var nopw []rule
			var all []string
			for _, r := range s.Rules {
				if r.NoPasswd {
					nopw = append(nopw, rule{strings.Join(r.Users, ","), strings.Join(r.Commands, "|")})
					if r.AllCommands {
						all = append(all, r.Users...)
					}
				}
			}
			if !slices.Equal(nopw, tt.nopasswd) {
				t.Errorf("NOPASSWD rules = %q, want %q", nopw, tt.nopasswd)
			}
			if !slices.Equal(all, tt.allNoPw) {
				t.Errorf("NOPASSWD ALL users = %v, want %v", all, tt.allNoPw)
			}
			if n := len(s.NoAuthenticate()); n != tt.noAuth {
				t.Errorf("NoAuthenticate = %d, want %d", n, tt.noAuth)
			}
		})
	}
}
