package skipped

import (
	"strings"
	"testing"
)

func TestListIsBounded(t *testing.T) {
	var l List
	for i := range MaxLines + 500 {
		l.Add("/etc/passwd", i+1, "bad line %d", i)
	}
	if len(l) != MaxLines+1 {
		t.Fatalf("len = %d, want %d", len(l), MaxLines+1)
	}
	if got := l.Total(); got != MaxLines+500 {
		t.Errorf("Total = %d, want %d", got, MaxLines+500)
	}
	last := l[len(l)-1]
	if last.Count != 500 || !strings.Contains(last.Reason, "500 more") {
		t.Errorf("summary = %+v", last)
	}
	if l[0].String() != "/etc/passwd:1: bad line 0" {
		t.Errorf("first = %q", l[0].String())
	}
}
