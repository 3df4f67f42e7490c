// Package notify sends alerts to people and systems: a webhook (JSON signed
// with HMAC-SHA256), e-mail over SMTP (STARTTLS, authentication, plain text
// and HTML) and syslog (RFC 5424 over UDP, or TCP with octet-counted
// framing). A Router routes each new alert to the channels whose minimum
// level it reaches, and rate-limits each channel: at most Limit messages per
// Window; the alerts beyond go out as one digest at the end of the window.
// See docs/alerts.md.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
)

// MaxDigestAlerts bounds the alerts a digest lists; Total counts them all.
const MaxDigestAlerts = 100

// Message is what a channel sends: one alert, or a digest of the alerts a
// rate limit held back.
type Message struct {
	// Alerts holds the one alert, or the first MaxDigestAlerts of a digest.
	Alerts []detect.Alert
	// Digest marks a digest.
	Digest bool
	// Total is the number of alerts a digest stands for (at least
	// len(Alerts)); 1 for a single alert.
	Total int
	// From and To bound a digest's rate-limit window.
	From, To time.Time
}

// Channel delivers messages. Send retries as the channel sees fit and
// returns an error only when the message could not be delivered; it must
// return promptly once ctx is done.
type Channel interface {
	Name() string
	Send(ctx context.Context, m Message) error
}

// Route sends alerts of at least MinLevel to Channel, at most Limit messages
// per Window.
type Route struct {
	Channel Channel
	// MinLevel is the lowest Sigma level sent ("" sends every level).
	MinLevel string
	// Limit is the number of messages per Window (0: no limit).
	Limit int
	// Window is the rate-limit window (default DefaultWindow).
	Window time.Duration
}

// DefaultWindow is the rate-limit window of a route that sets a limit
// without a window.
const DefaultWindow = 10 * time.Minute

// DefaultQueue is the number of messages a channel may have waiting; when
// its queue is full, further alerts go into the next digest.
const DefaultQueue = 256

// Options tune a Router.
type Options struct {
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Queue is the per-channel queue length (default DefaultQueue).
	Queue int
}

// Router routes alerts to channels. Notify may be called from any
// goroutine; Run does the sending.
type Router struct {
	routes []*route
	log    *slog.Logger
	now    func() time.Time
}

type route struct {
	Route
	min   int
	q     chan Message
	mu    sync.Mutex
	lim   limiter
	stats Stats
}

// Stats counts what a channel did.
type Stats struct {
	Sent, Failed, Digests, Held int
}

// NewRouter checks the routes and returns a router. Errors name the route.
func NewRouter(routes []Route, opts Options) (*Router, error) {
	r := &Router{log: opts.Logger, now: opts.Now}
	if r.log == nil {
		r.log = slog.Default()
	}
	r.log = r.log.With("component", "notify")
	if r.now == nil {
		r.now = time.Now
	}
	qlen := opts.Queue
	if qlen <= 0 {
		qlen = DefaultQueue
	}
	var errs []error
	for i, rt := range routes {
		if rt.Channel == nil {
			errs = append(errs, fmt.Errorf("route %d: no channel", i))
			continue
		}
		min := -1
		if rt.MinLevel != "" {
			if min = detect.LevelRank(rt.MinLevel); min < 0 {
				errs = append(errs, fmt.Errorf("route %d (%s): min level %q is not a Sigma level", i, rt.Channel.Name(), rt.MinLevel))
			}
		}
		if rt.Limit < 0 || rt.Window < 0 {
			errs = append(errs, fmt.Errorf("route %d (%s): negative limit or window", i, rt.Channel.Name()))
		}
		if rt.Window == 0 {
			rt.Window = DefaultWindow
		}
		r.routes = append(r.routes, &route{Route: rt, min: min, q: make(chan Message, qlen),
			lim: limiter{limit: rt.Limit, window: rt.Window}})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// Notify queues a for every route whose minimum level it reaches; it never
// blocks. It makes Router a detect.Notifier.
func (r *Router) Notify(a detect.Alert) {
	now := r.now()
	level := detect.LevelRank(a.Rule.Level)
	for _, rt := range r.routes {
		if level < rt.min {
			continue
		}
		rt.mu.Lock()
		msgs := rt.lim.offer(now, a)
		for _, m := range msgs {
			select {
			case rt.q <- m:
			default:
				// Queue full: the alerts wait for the next digest.
				for _, x := range m.Alerts {
					rt.lim.hold(now, x)
				}
			}
		}
		rt.mu.Unlock()
	}
}

// Stats returns the counters of each channel by name.
func (r *Router) Stats() map[string]Stats {
	out := map[string]Stats{}
	for _, rt := range r.routes {
		rt.mu.Lock()
		s := rt.stats
		s.Held = rt.lim.total
		rt.mu.Unlock()
		out[rt.Channel.Name()] = s
	}
	return out
}

// Run sends queued messages and due digests until ctx is done; then it
// sends what is still queued and a final digest of the held alerts (each
// bounded by a short grace period) and returns after every channel's
// goroutine has stopped.
func (r *Router) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, rt := range r.routes {
		wg.Go(func() { r.runRoute(ctx, rt) })
	}
	wg.Wait()
	return nil
}

// ShutdownGrace bounds the sends Run makes after its context is done.
const ShutdownGrace = 5 * time.Second

func (r *Router) runRoute(ctx context.Context, rt *route) {
	tick := min(max(rt.Window/20, 10*time.Millisecond), time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case m := <-rt.q:
			r.send(ctx, rt, m)
		case <-t.C:
			rt.mu.Lock()
			m, ok := rt.lim.due(r.now())
			rt.mu.Unlock()
			if ok {
				r.send(ctx, rt, m)
			}
		case <-ctx.Done():
			gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownGrace)
			defer cancel()
			for {
				select {
				case m := <-rt.q:
					r.send(gctx, rt, m)
					continue
				default:
				}
				break
			}
			rt.mu.Lock()
			m, ok := rt.lim.flush(r.now())
			rt.mu.Unlock()
			if ok {
				r.send(gctx, rt, m)
			}
			return
		}
	}
}

func (r *Router) send(ctx context.Context, rt *route, m Message) {
	err := rt.Channel.Send(ctx, m)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if err != nil {
		rt.stats.Failed++
		r.log.Error("notification not delivered", "channel", rt.Channel.Name(), "alerts", m.Total, "digest", m.Digest, "err", err)
		return
	}
	rt.stats.Sent++
	if m.Digest {
		rt.stats.Digests++
	}
}
