package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/vigil-sec/vigil/internal/notify"
)

// maxNotifyFile bounds the notifications file and secret files.
const maxNotifyFile = 1 << 20

// NotifyFile is the notifications file (`vigil server --notify FILE`):
//
//	routes:
//	  - min_level: high        # informational, low, medium, high, critical; empty: all
//	    limit: 10              # messages per window, the rest in a digest (0: no limit)
//	    window: 10m
//	    webhook: {name: chat, url: "https://hooks.example/x", secret_file: /etc/vigil/webhook.secret}
//	  - min_level: critical
//	    email: {host: smtp.example, port: 587, username: vigil, password_file: /etc/vigil/smtp.pass,
//	            from: vigil@example, to: [oncall@example]}
//	  - syslog: {network: udp, address: "127.0.0.1:514"}
//
// Each route has exactly one channel. Secrets are never written in the file:
// secret_file and password_file name files that must be owned by the server's
// user and not readable by group or others (mode 0600 or 0400); a trailing
// newline is dropped.
type NotifyFile struct {
	Routes []NotifyRoute `yaml:"routes"`
}

// NotifyRoute is one route of a NotifyFile.
type NotifyRoute struct {
	MinLevel string               `yaml:"min_level"`
	Limit    int                  `yaml:"limit"`
	Window   time.Duration        `yaml:"window"`
	Webhook  *webhookChannel      `yaml:"webhook"`
	Email    *emailChannel        `yaml:"email"`
	Syslog   *notify.SyslogConfig `yaml:"syslog"`
}

type webhookChannel struct {
	notify.WebhookConfig `yaml:",inline"`
	SecretFile           string `yaml:"secret_file"`
}

type emailChannel struct {
	notify.EmailConfig `yaml:",inline"`
	PasswordFile       string `yaml:"password_file"`
}

// LoadNotify reads a notifications file and returns its router (not yet
// running). Errors name the file and the route.
func LoadNotify(file string, log *slog.Logger) (*notify.Router, error) {
	data, err := readBounded(file)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	var nf NotifyFile
	if err := yaml.UnmarshalWithOptions(data, &nf, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("notifications %s: %w", file, err)
	}
	var routes []notify.Route
	var errs []error
	for i, r := range nf.Routes {
		ch, err := r.channel()
		if err != nil {
			errs = append(errs, fmt.Errorf("notifications %s: route %d: %w", file, i+1, err))
			continue
		}
		routes = append(routes, notify.Route{Channel: ch, MinLevel: r.MinLevel, Limit: r.Limit, Window: r.Window})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	router, err := notify.NewRouter(routes, notify.Options{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("notifications %s: %w", file, err)
	}
	return router, nil
}

func (r NotifyRoute) channel() (notify.Channel, error) {
	n := 0
	for _, set := range []bool{r.Webhook != nil, r.Email != nil, r.Syslog != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("want exactly one of webhook, email, syslog; got %d", n)
	}
	switch {
	case r.Webhook != nil:
		cfg := r.Webhook.WebhookConfig
		if cfg.Secret != "" {
			return nil, errors.New("webhook: write the secret into a file and name it with secret_file, not secret")
		}
		if r.Webhook.SecretFile == "" {
			return nil, errors.New("webhook: secret_file is required (the HMAC key)")
		}
		s, err := ReadSecretFile(r.Webhook.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("webhook: %w", err)
		}
		cfg.Secret = s
		return notify.NewWebhook(cfg)
	case r.Email != nil:
		cfg := r.Email.EmailConfig
		if cfg.Password != "" {
			return nil, errors.New("email: write the password into a file and name it with password_file, not password")
		}
		if r.Email.PasswordFile != "" {
			s, err := ReadSecretFile(r.Email.PasswordFile)
			if err != nil {
				return nil, fmt.Errorf("email: %w", err)
			}
			cfg.Password = s
		}
		return notify.NewEmail(cfg)
	default:
		return notify.NewSyslog(*r.Syslog)
	}
}

// ReadSecretFile reads a secret from a regular file that group and others
// cannot access (mode 0600 or stricter); one trailing newline is dropped.
func ReadSecretFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("secret file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("secret file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return "", fmt.Errorf("secret file %s has mode %04o: group and others must have no access (chmod 600)", path, perm)
	}
	data, err := readBounded(path)
	if err != nil {
		return "", fmt.Errorf("secret file: %w", err)
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	if s == "" {
		return "", fmt.Errorf("secret file %s is empty", path)
	}
	return s, nil
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxNotifyFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxNotifyFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxNotifyFile)
	}
	return data, nil
}
