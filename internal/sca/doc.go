// Package sca evaluates security configuration assessment policies: Wazuh SCA
// policy YAML, loaded unmodified, and vigil's own built-in policy written in the
// same format with extra metadata and "v:" probe rules.
//
// Load or LoadFile parse a policy, substitute its variables into the rules,
// parse every rule and compile every regex; a policy with any error loads
// nothing and the error names file:line. (*Policy).Evaluate runs it against an
// Env (a host root plus a per-scan cache) and returns a PolicyResult.
//
// Rules: `[not ]TYPE:target[ -> expr[ -> expr]]` with TYPE f (files, a comma
// list), d (directories, walked recursively: `d:DIR -> NAME-EXPR -> CONTENT-EXPR`),
// c (command output), p (running process), r (Windows registry, never
// applicable here) and v (a registered probe, see RegisterProbe). An expression
// is terms joined by " && " that must all hold on one line: `r:REGEX`, `!r:REGEX`,
// `n:REGEX compare OP N` and a bare literal equal to the whole line; a lone
// negated term holds when no line matches. Regexes are PCRE2 and
// case-insensitive, as in Wazuh; "regex_type: osregex" selects OSSEC's os_regex.
//
// Results follow Wazuh's truth table (condition all/any/none over rule results
// true/false/invalid), with Wazuh's "invalid" reported as not_applicable (the
// subject is absent or cannot be examined by design) or error (examining it
// failed). docs/sca.md has the full table and the corner cases.
package sca

import "errors"

// ErrNotApplicable marks a rule or probe whose subject is absent on the host.
var ErrNotApplicable = errors.New("not applicable")
