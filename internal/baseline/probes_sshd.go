package baseline

import (
	"context"
	"errors"
	"io/fs"

	"github.com/vigil-sec/vigil/internal/sca"
	"github.com/vigil-sec/vigil/internal/sshdconfig"
)

func init() {
	sca.RegisterProbe("sshd.effective", probeSshdEffective)
}

// probeSshdEffective returns the global sshd settings in effect, `sshd -T` style.
func probeSshdEffective(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("sshd.effective", args); err != nil {
		return nil, err
	}
	v, err := env.Shared("sshd.config", func() (any, error) {
		return sshdconfig.Load(ctx, env.Root, sshdconfig.DefaultPath)
	})
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notApplicable("no %s", sshdconfig.DefaultPath)
		}
		return nil, err
	}
	return v.(*sshdconfig.Config).Effective(), nil
}
