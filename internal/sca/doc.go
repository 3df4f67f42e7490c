// Package sca evaluates security configuration assessment policies: Wazuh SCA
// policy YAML, loaded unmodified, and vigil's own built-in policy written in the
// same format with extra metadata and "v:" probe rules.
package sca

import "errors"

// ErrNotApplicable marks a rule or probe whose subject is absent on the host.
var ErrNotApplicable = errors.New("not applicable")
