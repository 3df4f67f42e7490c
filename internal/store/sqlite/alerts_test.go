package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/detect/detecttest"
)

func TestAlertConformance(t *testing.T) {
	detecttest.Run(t, func(t *testing.T) detect.AlertStore {
		s := openAt(t, filepath.Join(t.TempDir(), "vigil.db"))
		t.Cleanup(func() { s.Close() })
		return s
	})
}
