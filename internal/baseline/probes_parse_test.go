package baseline

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sec/vigil/internal/skipped"
)

func TestParseSysctlConf(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []sysctlSetting
		skipped int
	}{
		{"spaces", "kernel.sysrq = 0\n", []sysctlSetting{{Key: "kernel.sysrq", Value: "0"}}, 0},
		{"no spaces", "kernel.sysrq=1", []sysctlSetting{{Key: "kernel.sysrq", Value: "1"}}, 0},
		{"comments", "# a\n; b\n\n", nil, 0},
		{"slashes", "net/ipv4/conf/eth0.100/rp_filter = 1", []sysctlSetting{{Key: "net.ipv4.conf.eth0/100.rp_filter", Value: "1"}}, 0},
		{"ignore errors", "-kernel.yama.ptrace_scope = 1", []sysctlSetting{{Key: "kernel.yama.ptrace_scope", Value: "1"}}, 0},
		{"exclusion", "-net.ipv4.conf.all.rp_filter", []sysctlSetting{{Key: "net.ipv4.conf.all.rp_filter", Excluded: true}}, 0},
		{"multi-word value", "net.ipv4.ip_local_port_range = 1024\t 65000", []sysctlSetting{{Key: "net.ipv4.ip_local_port_range", Value: "1024 65000"}}, 0},
		{"garbage", "this line has no equals sign\nvm.swappiness = 1", []sysctlSetting{{Key: "vm.swappiness", Value: "1"}}, 1},
		{"empty key", " = 3", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sk skipped.List
			got := parseSysctlConf("f", []byte(tt.in), &sk)
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i].Key != tt.want[i].Key || got[i].Value != tt.want[i].Value || got[i].Excluded != tt.want[i].Excluded {
					t.Errorf("got %+v, want %+v", got[i], tt.want[i])
				}
			}
			if len(sk) != tt.skipped {
				t.Errorf("skipped %v, want %d", sk, tt.skipped)
			}
		})
	}
}

func TestParseMountTable(t *testing.T) {
	in := "# c\n/dev/sda1 / ext4 rw,relatime 0 0\nserver:/my\\040share /mnt/my\\040share nfs4 rw 0 0\nshort line\n/dev/sdb1 /data xfs\n"
	var sk skipped.List
	got := parseMountTable("m", []byte(in), &sk)
	if len(got) != 3 || len(sk) != 1 {
		t.Fatalf("got %+v, skipped %v", got, sk)
	}
	if got[1].Point != "/mnt/my share" || got[1].RawPt != `/mnt/my\040share` || got[1].FSType != "nfs4" {
		t.Errorf("escaped entry = %+v", got[1])
	}
	if got[2].Options != "defaults" {
		t.Errorf("missing options = %q, want defaults", got[2].Options)
	}
	if u := unescapeOctal(`a\0`); u != `a\0` {
		t.Errorf("short escape = %q", u)
	}
}

func seedFiles(f *testing.F, patterns ...string) {
	for _, p := range patterns {
		names, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "rootfs", p))
		for _, n := range names {
			if b, err := os.ReadFile(n); err == nil {
				f.Add(b)
			}
		}
	}
}

func FuzzParseSysctlConf(f *testing.F) {
	seedFiles(f, "*/etc/sysctl.conf", "*/etc/sysctl.d/*.conf", "*/usr/lib/sysctl.d/*.conf")
	f.Add([]byte("-a\n=\n-=\nk=v=w\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var sk skipped.List
		for _, s := range parseSysctlConf("f", data, &sk) {
			if s.Key == "" {
				t.Fatal("empty key")
			}
			configuredValue(map[string]sysctlSetting{s.Key: s}, "net.ipv4.conf.all.rp_filter")
		}
	})
}

func FuzzParseMountTable(f *testing.F) {
	seedFiles(f, "*/etc/fstab", "*/proc/1/mounts")
	f.Add([]byte("a \\0 \\777 \\\\\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var sk skipped.List
		for _, e := range parseMountTable("f", data, &sk) {
			if e.RawPt == "" || e.FSType == "" {
				t.Fatalf("empty field in %+v", e)
			}
		}
	})
}

func TestParseLoginDefs(t *testing.T) {
	tests := []struct {
		in   string
		want loginDefs
	}{
		{"", loginDefs{UIDMin: 1000, PassMaxDays: -1}},
		{"UID_MIN 500\nPASS_MAX_DAYS\t99999\n", loginDefs{UIDMin: 500, PassMaxDays: 99999}},
		{"#UID_MIN 10\nUID_MIN x\nPASS_MAX_DAYS 90 # c\n", loginDefs{UIDMin: 1000, PassMaxDays: 90}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := parseLoginDefs([]byte(tt.in)); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseLoginDefs(f *testing.F) {
	seedFiles(f, "*/etc/login.defs")
	f.Fuzz(func(t *testing.T, data []byte) {
		parseLoginDefs(data)
	})
}
