package postgres

import (
	"testing"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/detect/detecttest"
)

func TestAlertConformance(t *testing.T) {
	detecttest.Run(t, func(t *testing.T) detect.AlertStore {
		s := openDSN(t, newDB(t))
		return s
	})
}
