package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
)

// Webhook headers.
const (
	// HeaderSignature carries "sha256=" and the hex HMAC-SHA256 of the body
	// under the shared secret.
	HeaderSignature = "X-Vigil-Signature"
	// HeaderEvent is "alert" or "digest".
	HeaderEvent = "X-Vigil-Event"
	// HeaderDelivery is a random ID, the same on every retry of a message.
	HeaderDelivery = "X-Vigil-Delivery"
)

// WebhookConfig configures a webhook channel.
type WebhookConfig struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	// Secret keys the HMAC-SHA256 signature; required.
	Secret string `yaml:"secret"`
	// Timeout bounds one attempt (default 10 s).
	Timeout time.Duration `yaml:"timeout"`
	// Attempts is the number of tries before giving up (default 4).
	Attempts int `yaml:"attempts"`
	// Backoff is the wait after the first failure, doubled after each
	// further one up to MaxBackoff (default 1 s).
	Backoff time.Duration `yaml:"backoff"`
	// Client sends the requests (default a client with Timeout); tests and
	// custom TLS set it.
	Client *http.Client `yaml:"-"`
}

// MaxBackoff caps the wait between webhook attempts.
const MaxBackoff = time.Minute

// Webhook posts each message as JSON.
type Webhook struct {
	cfg WebhookConfig
}

// NewWebhook checks cfg and returns the channel.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	var errs []error
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("webhook url %q is not an http(s) URL", cfg.URL))
	}
	if cfg.Secret == "" {
		errs = append(errs, errors.New("webhook needs a secret to sign its requests"))
	}
	if cfg.Timeout < 0 || cfg.Attempts < 0 || cfg.Backoff < 0 {
		errs = append(errs, errors.New("webhook timeout, attempts and backoff must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = "webhook " + u.Host
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Attempts == 0 {
		cfg.Attempts = 4
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	return &Webhook{cfg: cfg}, nil
}

// Name implements Channel.
func (w *Webhook) Name() string { return w.cfg.Name }

// DigestBody is the JSON a webhook receives for a digest.
type DigestBody struct {
	Digest bool           `json:"digest"`
	Total  int            `json:"total"`
	From   time.Time      `json:"from"`
	To     time.Time      `json:"to"`
	Alerts []detect.Alert `json:"alerts"`
}

// WebhookBody returns the JSON a webhook posts for m: the alert itself for a
// single alert, a DigestBody for a digest.
func WebhookBody(m Message) ([]byte, error) {
	if m.Digest {
		return json.Marshal(DigestBody{Digest: true, Total: m.Total, From: m.From, To: m.To, Alerts: m.Alerts})
	}
	if len(m.Alerts) != 1 {
		return nil, fmt.Errorf("message with %d alerts is not a digest", len(m.Alerts))
	}
	return json.Marshal(m.Alerts[0])
}

// Sign returns the signature header value of body under secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether sig (a HeaderSignature value) signs body under
// secret, in constant time.
func Verify(secret, body []byte, sig string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(sig))
}

// permanentError is a failure that retrying cannot fix (a 4xx answer).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Send implements Channel: it posts m, retrying network errors, timeouts,
// 408, 429 and 5xx answers with exponential backoff.
func (w *Webhook) Send(ctx context.Context, m Message) error {
	body, err := WebhookBody(m)
	if err != nil {
		return fmt.Errorf("encode webhook body: %w", err)
	}
	var id [16]byte
	_, _ = rand.Read(id[:])
	delivery := hex.EncodeToString(id[:])
	wait := w.cfg.Backoff
	for attempt := 1; ; attempt++ {
		retryAfter, err := w.post(ctx, body, delivery, m.Digest)
		if err == nil {
			return nil
		}
		var perm permanentError
		if errors.As(err, &perm) || attempt >= w.cfg.Attempts {
			return fmt.Errorf("webhook %s after %d attempts: %w", w.cfg.Name, attempt, err)
		}
		d := wait
		if retryAfter > 0 && retryAfter <= MaxBackoff {
			d = retryAfter
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("webhook %s: %w (last error: %v)", w.cfg.Name, ctx.Err(), err)
		case <-time.After(d):
		}
		wait = min(wait*2, MaxBackoff)
	}
}

// post makes one attempt; it returns the server's Retry-After when it gave
// one.
func (w *Webhook) post(ctx context.Context, body []byte, delivery string, digest bool) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return 0, permanentError{err}
	}
	kind := "alert"
	if digest {
		kind = "digest"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vigil-notify")
	req.Header.Set(HeaderEvent, kind)
	req.Header.Set(HeaderDelivery, delivery)
	req.Header.Set(HeaderSignature, Sign([]byte(w.cfg.Secret), body))
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return 0, nil
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		var ra time.Duration
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			ra = time.Duration(s) * time.Second
		}
		return ra, fmt.Errorf("server answered %s", resp.Status)
	default:
		return 0, permanentError{fmt.Errorf("server answered %s", resp.Status)}
	}
}
