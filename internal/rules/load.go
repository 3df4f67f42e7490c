package rules

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vigil-sec/vigil/internal/rules/sigma"
)

// Problem is a rule that could not be loaded or compiled.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return p.File + ": " + p.Message
}

// problemsOf turns an error of sigma.Parse or sigma.Compile into problems.
func problemsOf(file string, err error) []Problem {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	out := make([]Problem, 0, len(errs))
	for _, e := range errs {
		p := Problem{File: file, Message: e.Error()}
		var se *sigma.Error
		if errors.As(e, &se) {
			p.Line, p.Message = se.Line, se.Msg
			if se.File != "" {
				p.File = se.File
			}
		}
		out = append(out, p)
	}
	return out
}

// Source is a parsed batch of rule files.
type Source struct {
	Rules []*sigma.Rule
	// Problems are files or documents that did not parse.
	Problems []Problem
	// Failed counts the rule documents (or whole files) that did not parse.
	Failed int
}

// Add parses one rule file's content.
func (s *Source) Add(file string, data []byte) {
	rs, err := sigma.Parse(file, data)
	s.Rules = append(s.Rules, rs...)
	if err != nil {
		ps := problemsOf(file, err)
		s.Problems = append(s.Problems, ps...)
		s.Failed += len(ps)
	}
}

// isRuleFile reports whether a name looks like a rule file.
func isRuleFile(name string) bool {
	return strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")
}

// AddFS parses every .yml/.yaml file under root of fsys, in lexical order.
func (s *Source) AddFS(fsys fs.FS, root string) error {
	return fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read rules: %w", err)
		}
		if d.IsDir() || !isRuleFile(d.Name()) {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("read rule %s: %w", p, err)
		}
		s.Add(p, data)
		return nil
	})
}

// AddPaths parses the files given and every rule file under the directories
// given. Rule files are bounded by sigma.MaxFileBytes.
func (s *Source) AddPaths(paths ...string) error {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("read rules: %w", err)
		}
		if !st.IsDir() {
			if err := s.addFile(p); err != nil {
				return err
			}
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && isRuleFile(d.Name()) {
				files = append(files, f)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("read rules: %w", err)
		}
		sort.Strings(files)
		for _, f := range files {
			if err := s.addFile(f); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Source) addFile(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("read rule: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, sigma.MaxFileBytes+1))
	if err != nil {
		return fmt.Errorf("read rule %s: %w", p, err)
	}
	s.Add(p, data)
	return nil
}
