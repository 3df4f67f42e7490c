package audit

import (
	"slices"
	"testing"

	"github.com/vigil-sec/vigil/internal/audit/netlink"
)

func TestOtherAgents(t *testing.T) {
	var rules []*netlink.Rule
	for _, spec := range []string{
		"-a always,exit -F arch=b64 -S execve -F pid!=100 -k vigil-exec", // ourselves
		"-a always,exit -F arch=b64 -S execve -F pid!=200 -k vigil-exec", // another live agent
		"-a always,exit -F arch=b64 -S execve -F pid!=300 -k vigil-exec", // a dead one (kill -9)
		"-a always,exit -F arch=b64 -S execve -F pid!=400 -k other",      // not vigil's
		"-w /etc/passwd -p wa -k vigil-identity",                         // shared
	} {
		r, err := netlink.ParseRule(spec)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, r)
	}
	alive := func(pid int) bool { return pid == 100 || pid == 200 || pid == 400 }
	if got := otherAgents(rules, 100, alive); !slices.Equal(got, []int{200}) {
		t.Errorf("otherAgents = %v, want [200]", got)
	}
	if got := otherAgents(rules[2:3], 100, alive); len(got) != 0 {
		t.Errorf("a dead agent's rules count as live: %v", got)
	}
	if !namesPID(rules[0], 100) || namesPID(rules[4], 100) || namesPID(rules[1], 100) {
		t.Error("namesPID")
	}
}
