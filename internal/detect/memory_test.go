package detect_test

import (
	"testing"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/detect/detecttest"
)

func TestMemoryStore(t *testing.T) {
	detecttest.Run(t, func(*testing.T) detect.AlertStore { return detect.NewMemoryStore() })
}
