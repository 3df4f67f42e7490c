package ahocorasick

import (
	"slices"
	"strings"
	"testing"
)

// naive is the reference: every pattern that occurs, ASCII case-folded.
func naive(patterns []string, text string) []int {
	var out []int
	t := asciiLower(text)
	for i, p := range patterns {
		if p != "" && strings.Contains(t, asciiLower(p)) {
			out = append(out, i)
		}
	}
	return out
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lower(c)
	}
	return string(b)
}

func found(m *Matcher, text string) []int {
	seen := map[int]bool{}
	m.Scan(text, func(p int) { seen[p] = true })
	var out []int
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

func TestScan(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		text     string
		want     []int
	}{
		{"classic", []string{"he", "she", "his", "hers"}, "ushers", []int{0, 1, 3}},
		{"none", []string{"abc"}, "abd ab", nil},
		{"case", []string{"/TMP/", "bash -i"}, "BASH -I >& /dev/tcp /tmp/x", []int{0, 1}},
		{"overlap suffix", []string{"a", "aa", "aaa"}, "aa", []int{0, 1}},
		{"empty pattern", []string{"", "x"}, "x", []int{1}},
		{"duplicates", []string{"ab", "ab"}, "xab", []int{0, 1}},
		{"binary", []string{"\x00\xff"}, "a\x00\xffb", []int{0}},
		{"no patterns", nil, "anything", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(tt.patterns)
			if got := found(m, tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("found %v, want %v", got, tt.want)
			}
			if got := naive(tt.patterns, tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("reference %v, want %v (bad table)", got, tt.want)
			}
		})
	}
}

func TestScanCountsOccurrences(t *testing.T) {
	m := New([]string{"ab"})
	n := 0
	m.Scan("abxabab", func(int) { n++ })
	if n != 3 {
		t.Errorf("got %d occurrences, want 3", n)
	}
}

func FuzzScan(f *testing.F) {
	f.Add("he\x00she\x00his", "ushers and HIS")
	f.Add("curl\x00| sh\x00/dev/tcp/", "curl http://x | sh")
	f.Fuzz(func(t *testing.T, pats, text string) {
		if len(pats) > 2000 || len(text) > 4000 {
			return
		}
		patterns := strings.Split(pats, "\x00")
		m := New(patterns)
		got := found(m, text)
		want := naive(patterns, text)
		if !slices.Equal(got, want) {
			t.Fatalf("patterns %q text %q: got %v want %v", patterns, text, got, want)
		}
	})
}
