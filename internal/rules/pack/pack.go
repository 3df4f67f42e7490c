// Package pack embeds vigil's own Sigma rules: dangerous commands,
// tampering, persistence, privilege changes, reverse shells, miners and the
// built-in correlations (SSH brute force, password spraying). Each rule has
// ATT&CK tags, a level, false-positive notes, and positive and negative test
// events under testdata/.
package pack

import "embed"

// FS holds the rule files under Root.
//
//go:embed rules
var FS embed.FS

// Root is the directory of FS that holds the rules.
const Root = "rules"
