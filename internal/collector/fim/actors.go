package fim

import (
	"time"

	"github.com/vigil-sec/vigil/internal/actors"
	fimcore "github.com/vigil-sec/vigil/internal/fim"
)

// cacheResolver answers ActorResolver from the agent's shared actors cache,
// which the audit collector fills from its file-watch records.
type cacheResolver struct{ c *actors.Cache }

func (r cacheResolver) Actor(path string, at time.Time) (fimcore.Actor, bool) {
	a, ok := r.c.Actor(path, at)
	if !ok {
		return fimcore.Actor{}, false
	}
	return fimcore.Actor{User: a.User, Process: a.Process}, true
}
