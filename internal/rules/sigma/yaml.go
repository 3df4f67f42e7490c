package sigma

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// nodeKind is the shape of a YAML node after conversion.
type nodeKind int

const (
	kindNull nodeKind = iota
	kindScalar
	kindList
	kindMap
)

// node is a YAML value with the line it starts on. Mapping keys keep their
// order, which Sigma needs (detection maps are read in order for errors).
type node struct {
	kind nodeKind
	line int
	// scalar holds the text of a scalar; num and isNum are set for integers
	// and floats, isBool for booleans.
	scalar string
	num    float64
	isNum  bool
	isBool bool
	quoted bool
	list   []*node
	keys   []string
	klines []int
	vals   []*node
}

// get returns the value under key k of a map node.
func (n *node) get(k string) *node {
	if n == nil || n.kind != kindMap {
		return nil
	}
	for i, key := range n.keys {
		if key == k {
			return n.vals[i]
		}
	}
	return nil
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 64

// parseDocs parses every YAML document of data into nodes.
func parseDocs(data []byte) ([]*node, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, yamlError(err)
	}
	var out []*node
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		n, err := convert(d.Body, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// yamlError turns a go-yaml error into an *Error; go-yaml prints
// "[line:col] message" first, and the line is read from there.
func yamlError(err error) error {
	s := err.Error()
	line := 0
	if len(s) > 1 && s[0] == '[' {
		if i := strings.IndexByte(s, ':'); i > 1 && i < 12 {
			line, _ = strconv.Atoi(s[1:i])
		}
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return &Error{Line: line, Msg: "yaml: " + s}
}

func convert(a ast.Node, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, &Error{Line: lineOf(a), Msg: "yaml nested too deeply"}
	}
	switch v := a.(type) {
	case *ast.NullNode:
		return &node{kind: kindNull, line: lineOf(a)}, nil
	case *ast.TagNode:
		return convert(v.Value, depth+1)
	case *ast.AnchorNode:
		return convert(v.Value, depth+1)
	case *ast.CommentGroupNode:
		return &node{kind: kindNull, line: lineOf(a)}, nil
	case *ast.AliasNode:
		return nil, &Error{Line: lineOf(a), Msg: "yaml aliases are not supported"}
	case *ast.MappingNode:
		n := &node{kind: kindMap, line: lineOf(a)}
		for _, mv := range v.Values {
			if err := addPair(n, mv, depth); err != nil {
				return nil, err
			}
		}
		return n, nil
	case *ast.MappingValueNode:
		n := &node{kind: kindMap, line: lineOf(a)}
		if err := addPair(n, v, depth); err != nil {
			return nil, err
		}
		return n, nil
	case *ast.SequenceNode:
		n := &node{kind: kindList, line: lineOf(a)}
		for _, e := range v.Values {
			if e == nil {
				n.list = append(n.list, &node{kind: kindNull, line: n.line})
				continue
			}
			c, err := convert(e, depth+1)
			if err != nil {
				return nil, err
			}
			n.list = append(n.list, c)
		}
		return n, nil
	case *ast.LiteralNode:
		s := ""
		if v.Value != nil {
			s = v.Value.Value
		}
		return &node{kind: kindScalar, line: lineOf(a), scalar: s, quoted: true}, nil
	case *ast.StringNode:
		return &node{kind: kindScalar, line: lineOf(a), scalar: v.Value, quoted: true}, nil
	case *ast.IntegerNode:
		n := &node{kind: kindScalar, line: lineOf(a), scalar: v.GetToken().Value, isNum: true}
		switch x := v.Value.(type) {
		case int64:
			n.num = float64(x)
			n.scalar = strconv.FormatInt(x, 10)
		case uint64:
			n.num = float64(x)
			n.scalar = strconv.FormatUint(x, 10)
		}
		return n, nil
	case *ast.FloatNode:
		return &node{kind: kindScalar, line: lineOf(a), scalar: v.GetToken().Value, num: v.Value, isNum: true}, nil
	case *ast.InfinityNode:
		return &node{kind: kindScalar, line: lineOf(a), scalar: v.GetToken().Value, num: v.Value, isNum: true}, nil
	case *ast.NanNode:
		return &node{kind: kindScalar, line: lineOf(a), scalar: v.GetToken().Value, num: math.NaN()}, nil
	case *ast.BoolNode:
		s := "false"
		if v.Value {
			s = "true"
		}
		return &node{kind: kindScalar, line: lineOf(a), scalar: s, isBool: true}, nil
	case ast.ScalarNode:
		return &node{kind: kindScalar, line: lineOf(a), scalar: fmt.Sprint(v.GetValue())}, nil
	case nil:
		return &node{kind: kindNull}, nil
	}
	return nil, &Error{Line: lineOf(a), Msg: fmt.Sprintf("unsupported yaml node %T", a)}
}

func addPair(n *node, mv *ast.MappingValueNode, depth int) error {
	if mv == nil {
		return nil
	}
	k, err := convert(mv.Key, depth+1)
	if err != nil {
		return err
	}
	if k.kind != kindScalar && k.kind != kindNull {
		return &Error{Line: k.line, Msg: "mapping key is not a scalar"}
	}
	for _, old := range n.keys {
		if old == k.scalar {
			return &Error{Line: k.line, Msg: fmt.Sprintf("duplicate key %q", k.scalar)}
		}
	}
	var val *node
	if mv.Value == nil {
		val = &node{kind: kindNull, line: k.line}
	} else if val, err = convert(mv.Value, depth+1); err != nil {
		return err
	}
	n.keys = append(n.keys, k.scalar)
	n.klines = append(n.klines, k.line)
	n.vals = append(n.vals, val)
	return nil
}

func lineOf(a ast.Node) int {
	if a == nil {
		return 0
	}
	t := a.GetToken()
	if t == nil || t.Position == nil {
		return 0
	}
	return t.Position.Line
}
