package event

import "testing"

func TestTTYFromName(t *testing.T) {
	tests := []struct {
		name         string
		major, minor int64
		ok           bool
	}{
		{"pts/0", 136, 0, true},
		{"pts0", 136, 0, true},
		{"/dev/pts/300", 136, 300, true},
		{"tty1", 4, 1, true},
		{"tty63", 4, 63, true},
		{"tty64", 0, 0, false},
		{"ttyS0", 4, 64, true},
		{"ttyS191", 4, 255, true},
		{"ttyS192", 0, 0, false},
		{"console", 5, 1, true},
		{"tty", 5, 0, true},
		{"(none)", 0, 0, false},
		{"?", 0, 0, false},
		{"", 0, 0, false},
		{"pts/", 0, 0, false},
		{"pts/01", 0, 0, false},
		{"pts/-1", 0, 0, false},
		{"pts/+1", 0, 0, false},
		{"pts/99999999", 0, 0, false},
		{"ttyUSB0", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TTYFromName(tt.name)
			if (got != nil) != tt.ok {
				t.Fatalf("TTYFromName(%q) = %+v, want ok %v", tt.name, got, tt.ok)
			}
			if got != nil && (got.CharDevice.Major != tt.major || got.CharDevice.Minor != tt.minor) {
				t.Errorf("TTYFromName(%q) = %d:%d, want %d:%d", tt.name,
					got.CharDevice.Major, got.CharDevice.Minor, tt.major, tt.minor)
			}
		})
	}
}
