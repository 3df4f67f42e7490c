package wazuhcompat

import (
	"os"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantCases int
		wantLines []int
		wantRule  string
		wantLevel int
		wantSkip  int
	}{
		{"empty", "", 0, nil, "", 0, 0},
		{"one case", "[a]\nlog 1 pass = x y\nrule = 5710\nalert = 5\ndecoder = sshd\n", 1, []int{1}, "5710", 5, 0},
		{"pass and fail", "[a]\nlog 1 pass = x\nlog 2 fail = y\nrule=1\nalert=0\n", 1, []int{2}, "1", 0, 0},
		{"comments and blank lines", "; c\n# c\n\n[a]\n ; inside\nrule = 2\n", 1, []int{0}, "2", -1, 0},
		{"key before section", "rule = 3\n[a]\nrule = 4\n", 1, []int{0}, "4", -1, 1},
		{"bad level", "[a]\nalert = high\nalert = 99\n", 1, []int{0}, "", -1, 2},
		{"unknown key and no equals", "[a]\nfoo = bar\njunk\n", 1, []int{0}, "", -1, 2},
		{"unterminated header", "[a\n[b]\nrule = 7", 1, []int{0}, "7", -1, 1},
		{"value with equals and CRLF", "[a]\r\nlog 1 pass = USER=root ; COMMAND=/bin/ls\r\nrule = 5\r\n", 1, []int{1}, "5", -1, 0},
		{"too long", "[a]\nlog 1 pass = " + strings.Repeat("x", MaxLineBytes) + "\nrule = 9\n", 1, []int{0}, "9", -1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cases, skip := Parse(strings.NewReader(tt.in), "t.ini")
			if len(cases) != tt.wantCases {
				t.Fatalf("got %d cases, want %d", len(cases), tt.wantCases)
			}
			if len(skip) != tt.wantSkip {
				t.Errorf("skipped %v, want %d", skip, tt.wantSkip)
			}
			if tt.wantCases == 0 {
				return
			}
			c := cases[len(cases)-1]
			if len(c.Lines) != tt.wantLines[len(tt.wantLines)-1] {
				t.Errorf("got %d lines, want %d", len(c.Lines), tt.wantLines[len(tt.wantLines)-1])
			}
			if c.Rule != tt.wantRule || c.Level != tt.wantLevel {
				t.Errorf("rule %q level %d, want %q %d", c.Rule, c.Level, tt.wantRule, tt.wantLevel)
			}
		})
	}
}

func TestParseSample(t *testing.T) {
	f, err := os.Open("testdata/sample.ini")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cases, skip := Parse(f, "sample.ini")
	if len(skip) != 0 || len(cases) != 2 {
		t.Fatalf("cases %d, skipped %v", len(cases), skip)
	}
	c := cases[0]
	if c.Name != "two lines" || c.Line != 3 || c.Rule != "5760" || c.Level != 5 || c.Decoder != "sshd" {
		t.Errorf("case 0 = %+v", c)
	}
	if len(c.Lines) != 2 || !c.Lines[0].Pass || c.Lines[1].Pass || !strings.HasPrefix(c.Lines[1].Text, "Mar  1 10:00:01") {
		t.Errorf("lines = %+v", c.Lines)
	}
	if cases[1].Decoder != "" || cases[1].Level != 3 {
		t.Errorf("case 1 = %+v", cases[1])
	}
}

func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile("testdata/sample.ini")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("[a]\nlog 1 pass = x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cases, skip := Parse(strings.NewReader(string(data)), "f.ini")
		lines := strings.Count(string(data), "\n") + 1
		if len(cases)+len(skip) > lines {
			t.Fatalf("%d cases and %d skipped from %d lines", len(cases), len(skip), lines)
		}
		for _, c := range cases {
			if c.Level < -1 || c.Level > 15 {
				t.Fatalf("level %d", c.Level)
			}
			for _, l := range c.Lines {
				if len(l.Text) > MaxLineBytes {
					t.Fatalf("line of %d bytes", len(l.Text))
				}
			}
		}
	})
}
