package baseline

import (
	"errors"
	"testing"

	"github.com/vigil-sec/vigil/internal/sca"
)

func TestSshdEffective(t *testing.T) {
	root := makeRoot(t, []tree{
		{path: "etc/ssh/sshd_config", content: "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n", uid: -1},
		{path: "etc/ssh/sshd_config.d/50-vigil.conf", content: "PermitRootLogin no\nMaxAuthTries 4\n", uid: -1},
	})
	lines := mustProbe(t, envFor(t, root), "sshd.effective")
	for _, want := range []string{"permitrootlogin no", "maxauthtries 4", "passwordauthentication yes", "x11forwarding no", "maxstartups 10:30:100"} {
		if !hasLine(lines, want) {
			t.Errorf("missing %q in %q", want, lines)
		}
	}
	_, err := runProbe(t, envFor(t, t.TempDir()), "sshd.effective")
	if !errors.Is(err, sca.ErrNotApplicable) {
		t.Errorf("no sshd_config: err = %v, want not applicable", err)
	}
}
