package fim

import (
	"errors"
	"fmt"
	"time"

	fimcore "github.com/vigil-sec/vigil/internal/fim"
)

// Config is the collectors.fim section of the agent configuration.
type Config struct {
	Paths              []string      `yaml:"paths" doc:"files and directories watched recursively (--fim-path replaces the list)"`
	Exclude            []string      `yaml:"exclude" doc:"globs left out: with a / matched against the full path, without against the base name"`
	ScanInterval       time.Duration `yaml:"scan_interval" doc:"how often the whole tree is rescanned (metadata first, only changed files rehashed)"`
	FullRehashInterval time.Duration `yaml:"full_rehash_interval" doc:"how often a scheduled scan rehashes every file regardless of metadata; 0 never"`
	MaxFileSize        int64         `yaml:"max_file_size" doc:"files larger than this many bytes are recorded without a hash (noted in the event)"`
	Workers            int           `yaml:"workers" doc:"hashing goroutines; 0 means one per CPU"`
	Realtime           string        `yaml:"realtime" doc:"realtime notification: auto (fanotify, else inotify), fanotify, inotify or off"`
	MaxWatches         int           `yaml:"max_watches" doc:"inotify watches (one per directory); 0 means the kernel limit; beyond it, scheduled scans only"`
	Debounce           time.Duration `yaml:"debounce" doc:"quiet time after a change before the path is examined (bursts of writes give one event)"`
	RateLimit          int           `yaml:"rate_limit" doc:"events per path per rate_window; further ones are suppressed and counted; 0 no limit"`
	RateWindow         time.Duration `yaml:"rate_window" doc:"window of rate_limit"`
}

// DefaultPaths are the important system paths watched by default.
var DefaultPaths = []string{
	"/etc", "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin",
	"/usr/lib/systemd", "/lib/systemd", "/boot", "/root/.ssh",
}

// DefaultConfig returns the defaults.
func DefaultConfig() *Config {
	return &Config{
		Paths:              append([]string(nil), DefaultPaths...),
		Exclude:            []string{"/etc/mtab", "/etc/adjtime", "/etc/ld.so.cache", "*.swp", "*.swx", "*~"},
		ScanInterval:       12 * time.Hour,
		FullRehashInterval: 7 * 24 * time.Hour,
		MaxFileSize:        fimcore.DefaultMaxFileSize,
		Realtime:           fimcore.BackendAuto,
		Debounce:           250 * time.Millisecond,
		RateLimit:          20,
		RateWindow:         time.Minute,
	}
}

// validate checks the configuration.
func (c *Config) validate() error {
	var errs []error
	if len(c.Paths) == 0 {
		errs = append(errs, errors.New("fim: paths is empty"))
	}
	if c.ScanInterval < time.Minute {
		errs = append(errs, fmt.Errorf("fim: scan_interval %v is below 1m", c.ScanInterval))
	}
	if c.FullRehashInterval < 0 || c.MaxFileSize < 0 || c.Workers < 0 || c.MaxWatches < 0 || c.RateLimit < 0 {
		errs = append(errs, errors.New("fim: negative full_rehash_interval, max_file_size, workers, max_watches or rate_limit"))
	}
	switch c.Realtime {
	case fimcore.BackendAuto, fimcore.BackendFanotify, fimcore.BackendInotify, fimcore.BackendOff:
	default:
		errs = append(errs, fmt.Errorf("fim: realtime %q is not auto, fanotify, inotify or off", c.Realtime))
	}
	if c.Debounce < 0 || c.Debounce > 1500*time.Millisecond {
		errs = append(errs, fmt.Errorf("fim: debounce %v outside 0..1.5s", c.Debounce))
	}
	if c.RateLimit > 0 && c.RateWindow <= 0 {
		errs = append(errs, errors.New("fim: rate_window must be positive with a rate_limit"))
	}
	return errors.Join(errs...)
}
