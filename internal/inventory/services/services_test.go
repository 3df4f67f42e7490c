package services

import (
	"context"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

func collect(t *testing.T, dir string) ([]Service, skipped.List) {
	t.Helper()
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	list, sk, err := Collect(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	return list, sk
}

func TestSystemdFixture(t *testing.T) {
	list, sk := collect(t, "testdata/systemd")
	tests := []struct {
		name, manager, state, active, target, desc, by string
	}{
		{"ssh.service", ManagerSystemd, StateEnabled, ActiveActive, "", "OpenBSD Secure Shell server", "multi-user.target"},
		{"sshd.service", ManagerSystemd, StateAlias, ActiveActive, "ssh.service", "", ""},
		{"cron.service", ManagerSystemd, StateEnabled, ActiveActive, "", "Regular background program processing daemon", "multi-user.target"},
		{"getty@.service", ManagerSystemd, StateIndirect, ActiveUnknown, "", "Getty on %I", ""}, // no DefaultInstance
		{"getty-default@.service", ManagerSystemd, StateEnabled, ActiveUnknown, "", "Getty with default", "getty.target"},
		{"systemd-journald.service", ManagerSystemd, StateStatic, ActiveInactive, "", "Journal    Service", ""},
		{"telnet.socket", ManagerSystemd, StateDisabled, ActiveUnknown, "", "Telnet socket", ""},
		{"rsync.service", ManagerSystemd, StateDisabled, ActiveInactive, "", "Rsync daemon", ""},
		{"helper.service", ManagerSystemd, StateIndirect, ActiveInactive, "", "Only also", ""},
		{"debug-shell.service", ManagerSystemd, StateMasked, ActiveInactive, "", "", ""},
		{"runtime.service", ManagerSystemd, StateEnabledRuntime, ActiveInactive, "", "Runtime only", "multi-user.target"},
		{"app.service", ManagerSystemd, StateLinked, ActiveInactive, "/opt/app/app.service", "Vendor app", ""},
		{"default.target", ManagerSystemd, StateAlias, ActiveUnknown, "multi-user.target", "", ""},
		{"multi-user.target", ManagerSystemd, StateIndirect, ActiveUnknown, "", "Multi-User System", ""},
		{"broken.service", ManagerSystemd, StateBad, ActiveInactive, "", "", ""},
		{"legacyd", ManagerSysV, StateEnabled, ActiveUnknown, "", "Legacy daemon", "2"},
	}
	byName := map[string]Service{}
	for _, s := range list {
		byName[s.Name] = s
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := byName[tt.name]
			if !ok {
				t.Fatalf("missing")
			}
			got := []string{s.Manager, s.State, s.Active, s.Target, s.Description, strings.Join(s.EnabledBy, ",")}
			want := []string{tt.manager, tt.state, tt.active, tt.target, tt.desc, tt.by}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
	if len(list) != len(tests) {
		t.Errorf("%d services, want %d (ssh init script is covered by ssh.service)", len(list), len(tests))
	}
	if len(sk) != 3 {
		t.Errorf("skipped = %v, want the three bad lines of broken.service", sk)
	}
	if _, err := exec.LookPath("systemctl"); err == nil {
		want := systemctlStates(t, "testdata/systemd")
		for _, s := range list {
			if s.Manager == ManagerSystemd && want[s.Name] != s.State {
				t.Errorf("%s: state %s, systemctl says %q", s.Name, s.State, want[s.Name])
			}
		}
		if n := len(want); n != len(list)-1 {
			t.Errorf("systemctl lists %d units, we list %d systemd units", n, len(list)-1)
		}
	}
	if s, ok := Find(list, "sshd.service"); !ok || s.Name != "ssh.service" || !s.Enabled() {
		t.Errorf("Find(sshd.service) = %+v", s)
	}
}

func TestOpenRCFixture(t *testing.T) {
	list, sk := collect(t, "testdata/openrc")
	var got []string
	for _, s := range list {
		got = append(got, strings.Join([]string{s.Name, s.Manager, s.State, s.Active, strings.Join(s.EnabledBy, ","), s.Description}, " "))
	}
	want := []string{
		"crond openrc disabled inactive  Cron daemon",
		"hwclock openrc enabled inactive boot ",
		"sshd openrc enabled active default OpenSSH server",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(sk) != 0 {
		t.Errorf("skipped %v", sk)
	}
}

func TestSysVFixture(t *testing.T) {
	list, _ := collect(t, "testdata/sysv")
	var got []string
	for _, s := range list {
		got = append(got, strings.Join([]string{s.Name, s.Manager, s.State, strings.Join(s.EnabledBy, ","), s.Description}, " "))
	}
	want := []string{"httpd sysv enabled 3,5 Apache web server", "nfs sysv disabled  "}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseUnit(t *testing.T) {
	tests := []struct {
		name, in, desc, install string
		hasInstall              bool
		skipped                 int
	}{
		{"plain", "[Unit]\nDescription=x y\n", "x y", "static", false, 0},
		{"install", "[Unit]\nDescription=a\n[Install]\nWantedBy=multi-user.target graphical.target\n", "a", "disabled", true, 0},
		{"reset", "[Install]\nWantedBy=a.target\nWantedBy=\n", "", "static", true, 0},
		{"alias only", "[Install]\nAlias=x.service\n", "", "disabled", true, 0},
		{"continuation", "[Unit]\nDescription=a \\\n b\n", "a   b", "static", false, 0},
		{"comment", "; c\n# d\n[Unit]\n", "", "static", false, 0},
		{"garbage", "Description=early\n[Unit\nnot a setting\n= empty key\n", "", "static", false, 4},
		{"crlf", "[Unit]\r\nDescription=win\r\n", "win", "static", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sk skipped.List
			u := ParseUnit("u", []byte(tt.in), &sk)
			if u.Description != tt.desc || u.installState() != tt.install || u.HasInstall != tt.hasInstall || len(sk) != tt.skipped {
				t.Errorf("got %q %s %v %v", u.Description, u.installState(), u.HasInstall, sk)
			}
		})
	}
}

func TestScriptDescription(t *testing.T) {
	tests := map[string]string{
		"#!/sbin/openrc-run\ndescription=\"Foo bar\"\n":                   "Foo bar",
		"#!/sbin/openrc-run\n  description='single'\n":                    "single",
		"#!/bin/sh\n# Short-Description: Start the thing \n":              "Start the thing",
		"#!/bin/sh\necho hi\n":                                            "",
		"#!/sbin/openrc-run\ndescription=\"x\"\n# Short-Description: y\n": "x",
	}
	for in, want := range tests {
		if got := ScriptDescription([]byte(in)); got != want {
			t.Errorf("ScriptDescription(%q) = %q, want %q", in, got, want)
		}
	}
}
