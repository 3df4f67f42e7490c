package main

// The agent's collectors register themselves with the collector registry.
import (
	_ "github.com/vigil-sec/vigil/internal/collector/audit"
	_ "github.com/vigil-sec/vigil/internal/collector/fim"
	_ "github.com/vigil-sec/vigil/internal/collector/inventory"
	_ "github.com/vigil-sec/vigil/internal/collector/login"
	_ "github.com/vigil-sec/vigil/internal/collector/network"
)
