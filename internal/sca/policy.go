package sca

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// maxPolicySize bounds a policy file; the largest Wazuh policy is under 1 MB.
const maxPolicySize = 16 << 20

// Condition says how a check combines its rule results: all, any or none.
type Condition string

// Conditions.
const (
	CondAll  Condition = "all"
	CondAny  Condition = "any"
	CondNone Condition = "none"
)

// Severities of vigil checks. Wazuh policies carry no severity; their checks
// get SeverityMedium.
const (
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

// Policy is a loaded SCA policy: its rules parsed and its regexes compiled.
type Policy struct {
	ID          string
	File        string // the policy's own "file" field
	Name        string
	Description string
	References  []string
	RegexType   string // pcre2 (default) or osregex
	Source      string // the path or name it was loaded from

	Requirements *Requirements // nil when the policy has none
	Variables    map[string]string
	Checks       []*Check
}

// Requirements decide whether a policy applies to the host at all.
type Requirements struct {
	Title       string
	Description string
	Condition   Condition
	Rules       []*Rule
}

// Check is one check of a policy with its metadata.
type Check struct {
	ID          int      `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Rationale   string   `json:"rationale,omitempty"`
	Remediation string   `json:"remediation,omitempty"`
	Impact      string   `json:"impact,omitempty"`
	References  []string `json:"references,omitempty"`
	// Compliance maps a framework (cis, pci_dss, nist_800_53, mitre_technique...)
	// to its control identifiers, whichever YAML shape the policy used.
	Compliance map[string][]string `json:"compliance,omitempty"`
	Condition  Condition           `json:"condition"`
	Rules      []*Rule             `json:"-"`
	RegexType  string              `json:"-"`
	Line       int                 `json:"-"` // line of the check in the policy file

	// vigil metadata; defaulted for Wazuh policies (see applyDefaults).
	VigilID            string   `json:"vigil_id"`                      // "VGL-SSH-001", or "<policy id>:<check id>"
	Severity           string   `json:"severity"`                      // low, medium, high, critical
	Category           string   `json:"category"`                      // "ssh", "filesystem", ...
	RemediationCommand string   `json:"remediation_command,omitempty"` // a command that fixes the finding, if any
	Distros            []string `json:"distros,omitempty"`             // os-release ID / ID_LIKE values; empty = all
}

// RuleStrings returns the check's rules as written.
func (c *Check) RuleStrings() []string {
	out := make([]string, len(c.Rules))
	for i, r := range c.Rules {
		out[i] = r.Raw
	}
	return out
}

// LoadFile reads and loads a policy file.
func LoadFile(path string) (*Policy, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	if fi.Size() > maxPolicySize {
		return nil, fmt.Errorf("load policy %s: larger than %d bytes", path, maxPolicySize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	return Load(path, data)
}

// Load parses a policy from data; name (usually the file path) prefixes error
// positions as "name:line: ...". A policy with any error loads nothing.
func Load(name string, data []byte) (*Policy, error) {
	if len(data) > maxPolicySize {
		return nil, fmt.Errorf("%s: policy larger than %d bytes", name, maxPolicySize)
	}
	body, doc, err := decodePolicy(data)
	if err != nil {
		return nil, yamlError(name, err)
	}
	if body == nil {
		return nil, fmt.Errorf("%s: empty policy", name)
	}
	lines := collectLines(body)
	p, err := doc.build(name, lines)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// decodePolicy parses YAML into its syntax tree (for line numbers) and its
// policy shape. The YAML library can panic on some malformed input (found by
// FuzzLoadPolicy: a tagged node where a sequence is expected); that is turned
// into an error, since a hostile policy file must not crash a scan.
func decodePolicy(data []byte) (body ast.Node, doc *rawPolicy, err error) {
	defer func() {
		if r := recover(); r != nil {
			body, doc, err = nil, nil, fmt.Errorf("malformed YAML: %v", r)
		}
	}()
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, nil, err
	}
	if len(f.Docs) == 0 || f.Docs[0] == nil || f.Docs[0].Body == nil {
		return nil, nil, nil
	}
	body = f.Docs[0].Body
	doc = &rawPolicy{}
	if err := yaml.NodeToValue(body, doc); err != nil {
		return nil, nil, err
	}
	return body, doc, nil
}

func yamlError(name string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		return fmt.Errorf("%s:%d: %s", name, ye.GetToken().Position.Line, ye.GetMessage())
	}
	return fmt.Errorf("%s: %w", name, err)
}

// rawPolicy is the YAML shape of a policy file.
type rawPolicy struct {
	Policy struct {
		ID          string   `yaml:"id"`
		File        string   `yaml:"file"`
		Name        string   `yaml:"name"`
		Description string   `yaml:"description"`
		References  []string `yaml:"references"`
		RegexType   string   `yaml:"regex_type"`
	} `yaml:"policy"`
	Requirements *struct {
		Title       string   `yaml:"title"`
		Name        string   `yaml:"name"`
		Description string   `yaml:"description"`
		Condition   string   `yaml:"condition"`
		Rules       []string `yaml:"rules"`
	} `yaml:"requirements"`
	Variables map[string]any `yaml:"variables"`
	Checks    []rawCheck     `yaml:"checks"`
}

type rawCheck struct {
	ID          any      `yaml:"id"`
	Title       string   `yaml:"title"`
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Rationale   string   `yaml:"rationale"`
	Remediation string   `yaml:"remediation"`
	Impact      string   `yaml:"impact"`
	References  []string `yaml:"references"`
	Compliance  any      `yaml:"compliance"`
	MITRE       any      `yaml:"mitre"`
	Condition   string   `yaml:"condition"`
	Rules       []string `yaml:"rules"`
	RegexType   string   `yaml:"regex_type"`

	VigilID            string   `yaml:"vigil_id"`
	Severity           string   `yaml:"severity"`
	Category           string   `yaml:"category"`
	RemediationCommand string   `yaml:"remediation_command"`
	Distros            []string `yaml:"distros"`
}

// lineIndex holds the source lines of the pieces errors point at.
type lineIndex struct {
	policy      int
	reqRules    []int
	checks      []int
	checkRules  [][]int
	checkFields []map[string]int
}

func (p *rawPolicy) build(name string, li lineIndex) (*Policy, error) {
	if p.Policy.ID == "" {
		return nil, fmt.Errorf("%s:%d: policy: missing id", name, li.policy)
	}
	engine, err := regexEngine(p.Policy.RegexType, RegexPCRE2)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: policy: %w", name, li.policy, err)
	}
	out := &Policy{
		ID: p.Policy.ID, File: p.Policy.File, Name: p.Policy.Name,
		Description: p.Policy.Description, References: p.Policy.References,
		RegexType: engine, Source: name, Variables: map[string]string{},
	}
	vars, err := p.variables(out)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cache := regexCache{}
	if r := p.Requirements; r != nil {
		req := &Requirements{Title: cmp.Or(r.Title, r.Name), Description: r.Description}
		if req.Condition, err = parseCondition(r.Condition); err != nil {
			return nil, fmt.Errorf("%s:%d: requirements: %w", name, li.policy, err)
		}
		for i, s := range r.Rules {
			rule, err := parseRule(s, vars, engine, cache)
			line := at(li.reqRules, i)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: requirements: %w", name, line, err)
			}
			rule.Line = line
			req.Rules = append(req.Rules, rule)
		}
		out.Requirements = req
	}
	if len(p.Checks) == 0 {
		return nil, fmt.Errorf("%s: policy %s has no checks", name, out.ID)
	}
	seen := map[int]int{}
	for i := range p.Checks {
		c, err := p.Checks[i].build(out, vars, cache, li, i)
		if err != nil {
			return nil, fmt.Errorf("%s:%w", name, err)
		}
		if prev, dup := seen[c.ID]; dup {
			return nil, fmt.Errorf("%s:%d: check %d: duplicate id (first at line %d)", name, c.Line, c.ID, prev)
		}
		seen[c.ID] = c.Line
		out.Checks = append(out.Checks, c)
	}
	return out, nil
}

func (p *rawPolicy) variables(out *Policy) ([]variable, error) {
	var vars []variable
	for k, v := range p.Variables {
		if !strings.HasPrefix(k, "$") || len(k) < 2 {
			return nil, fmt.Errorf("variables: name %q must start with $", k)
		}
		var val string
		switch v := v.(type) {
		case string:
			val = v
		case []any:
			parts := make([]string, 0, len(v))
			for _, x := range v {
				parts = append(parts, fmt.Sprint(x))
			}
			val = strings.Join(parts, ",")
		case nil:
			return nil, fmt.Errorf("variables: %s has no value", k)
		default:
			val = fmt.Sprint(v)
		}
		out.Variables[k] = val
		vars = append(vars, variable{k, val})
	}
	slices.SortFunc(vars, func(a, b variable) int {
		return cmp.Or(cmp.Compare(len(b.name), len(a.name)), strings.Compare(a.name, b.name))
	})
	return vars, nil
}

func (rc *rawCheck) build(p *Policy, vars []variable, cache regexCache, li lineIndex, i int) (*Check, error) {
	line := at(li.checks, i)
	fieldLine := func(f string) int {
		if i < len(li.checkFields) && li.checkFields[i][f] > 0 {
			return li.checkFields[i][f]
		}
		return line
	}
	id, ok := checkID(rc.ID)
	if !ok {
		return nil, fmt.Errorf("%d: check #%d: id must be a positive integer, got %v", fieldLine("id"), i+1, rc.ID)
	}
	c := &Check{
		ID: id, Title: cmp.Or(rc.Title, rc.Name), Description: rc.Description,
		Rationale: rc.Rationale, Remediation: rc.Remediation, Impact: rc.Impact,
		References: rc.References, Line: line,
		VigilID: rc.VigilID, Severity: rc.Severity, Category: rc.Category,
		RemediationCommand: rc.RemediationCommand, Distros: rc.Distros,
	}
	if c.Title == "" {
		return nil, fmt.Errorf("%d: check %d: missing title", line, id)
	}
	var err error
	if c.Condition, err = parseCondition(rc.Condition); err != nil {
		return nil, fmt.Errorf("%d: check %d: %w", fieldLine("condition"), id, err)
	}
	if c.RegexType, err = regexEngine(rc.RegexType, p.RegexType); err != nil {
		return nil, fmt.Errorf("%d: check %d: %w", fieldLine("regex_type"), id, err)
	}
	switch c.Severity {
	case "", SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical:
	default:
		return nil, fmt.Errorf("%d: check %d: severity %q is not low, medium, high or critical", fieldLine("severity"), id, c.Severity)
	}
	if len(rc.Rules) == 0 {
		return nil, fmt.Errorf("%d: check %d: no rules", fieldLine("rules"), id)
	}
	for j, s := range rc.Rules {
		rl := line
		if i < len(li.checkRules) {
			rl = at(li.checkRules[i], j)
		}
		rule, err := parseRule(s, vars, c.RegexType, cache)
		if err != nil {
			return nil, fmt.Errorf("%d: check %d: %w", rl, id, err)
		}
		rule.Line = rl
		c.Rules = append(c.Rules, rule)
	}
	c.Compliance = flattenCompliance(rc.Compliance, rc.MITRE)
	applyDefaults(p, c)
	return c, nil
}

func checkID(v any) (int, bool) {
	switch v := v.(type) {
	case uint64:
		if v > 0 && v <= 1<<31 {
			return int(v), true
		}
	case int64:
		if v > 0 && v <= 1<<31 {
			return int(v), true
		}
	case int:
		return v, v > 0
	}
	return 0, false
}

func parseCondition(s string) (Condition, error) {
	switch Condition(s) {
	case CondAll, CondAny, CondNone:
		return Condition(s), nil
	case "all required":
		return CondAll, nil
	case "any required":
		return CondAny, nil
	}
	return "", fmt.Errorf("condition %q is not all, any or none", s)
}

func regexEngine(s, def string) (string, error) {
	switch strings.ToLower(s) {
	case "":
		return def, nil
	case RegexPCRE2:
		return RegexPCRE2, nil
	case RegexOSRegex:
		return RegexOSRegex, nil
	}
	return "", fmt.Errorf("regex_type %q is not pcre2 or osregex", s)
}

func at(s []int, i int) int {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// collectLines walks the YAML tree for the lines of the policy section, of each
// check, of each check's fields and of each rule.
func collectLines(body ast.Node) lineIndex {
	var li lineIndex
	m, ok := body.(*ast.MappingNode)
	if !ok {
		li.policy = lineOf(body)
		return li
	}
	li.policy = 1
	for _, kv := range m.Values {
		switch kv.Key.String() {
		case "policy":
			li.policy = lineOf(kv.Key)
		case "requirements":
			if rm, ok := kv.Value.(*ast.MappingNode); ok {
				for _, f := range rm.Values {
					if f.Key.String() == "rules" {
						li.reqRules = seqLines(f.Value)
					}
				}
			}
		case "checks":
			seq, ok := kv.Value.(*ast.SequenceNode)
			if !ok {
				continue
			}
			for _, item := range seq.Values {
				li.checks = append(li.checks, lineOf(item))
				fields := map[string]int{}
				var rules []int
				if cm, ok := item.(*ast.MappingNode); ok {
					for _, f := range cm.Values {
						fields[f.Key.String()] = lineOf(f.Key)
						if f.Key.String() == "rules" {
							rules = seqLines(f.Value)
						}
					}
				}
				li.checkFields = append(li.checkFields, fields)
				li.checkRules = append(li.checkRules, rules)
			}
		}
	}
	return li
}

func seqLines(n ast.Node) []int {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		return nil
	}
	out := make([]int, len(seq.Values))
	for i, v := range seq.Values {
		out[i] = lineOf(v)
	}
	return out
}

func lineOf(n ast.Node) int {
	if n == nil {
		return 0
	}
	if t := n.GetToken(); t != nil && t.Position != nil {
		return t.Position.Line
	}
	return 0
}
