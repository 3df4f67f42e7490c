package services

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// systemctlStates returns systemctl's offline view of the unit files below dir.
func systemctlStates(t *testing.T, dir string) map[string]string {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemctl", "--root="+abs, "list-unit-files", "--no-pager", "--no-legend").Output()
	if err != nil {
		t.Skipf("systemctl unavailable: %v", err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			want[f[0]] = f[1]
		}
	}
	return want
}

// compareSystemctl checks every systemd unit's state against systemctl.
func compareSystemctl(t *testing.T, dir string) []Service {
	t.Helper()
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	list, sk, err := Collect(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if len(sk) != 0 {
		t.Errorf("skipped %v", sk)
	}
	if _, err := exec.LookPath("systemctl"); err != nil {
		return list
	}
	want := systemctlStates(t, dir)
	got := map[string]string{}
	for _, s := range list {
		if s.Manager == ManagerSystemd {
			got[s.Name] = s.State
		}
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: state %q, systemctl says %q", name, got[name], w)
		}
	}
	for name, g := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: listed as %s but not by systemctl", name, g)
		}
	}
	return list
}

func TestDistroFixtures(t *testing.T) {
	for _, d := range []string{"debian12", "ubuntu2204", "alma9"} {
		t.Run(d, func(t *testing.T) {
			list := compareSystemctl(t, "../../../testdata/rootfs/"+d)
			if len(list) == 0 {
				t.Fatal("no services")
			}
			for _, s := range list {
				if s.Manager != ManagerSystemd {
					t.Errorf("%s: manager %s on a systemd host", s.Name, s.Manager)
				}
			}
		})
	}
	t.Run("ubuntu2204 telnet", func(t *testing.T) {
		root, _ := hostfs.New("../../../testdata/rootfs/ubuntu2204")
		list, _, _ := Collect(context.Background(), root)
		if s, ok := Find(list, "telnet.socket"); !ok || !s.Enabled() || s.UnitFile != "/etc/systemd/system/telnet.socket" {
			t.Errorf("telnet.socket = %+v", s)
		}
		if s, ok := Find(list, "redis.service"); !ok || s.Name != "redis-server.service" {
			t.Errorf("redis.service alias resolves to %+v", s)
		}
	})
	t.Run("alpine3", func(t *testing.T) {
		root, _ := hostfs.New("../../../testdata/rootfs/alpine3")
		list, sk, err := Collect(context.Background(), root)
		if err != nil || len(sk) != 0 {
			t.Fatalf("err %v skipped %v", err, sk)
		}
		var got []string
		for _, s := range list {
			got = append(got, s.Name+":"+s.Manager+":"+s.State+":"+strings.Join(s.EnabledBy, ","))
		}
		want := "chronyd:openrc:enabled:default crond:openrc:enabled:default local:openrc:enabled:default " +
			"networking:openrc:enabled:boot nginx:openrc:enabled:default sshd:openrc:enabled:default " +
			"syslog:openrc:enabled:boot telnetd:openrc:disabled:"
		if strings.Join(got, " ") != want {
			t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
		}
	})
}
