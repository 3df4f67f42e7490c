package notify

import (
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
)

// limiter is one channel's rate limit: a window opens at the first message
// after a quiet spell and admits limit messages; the alerts beyond are held
// and leave as one digest when the window ends. The digest does not count
// against the next window, so a channel gets at most limit+1 messages per
// window. It is a pure state machine over the times it is given.
type limiter struct {
	limit  int
	window time.Duration
	start  time.Time // zero: no window open
	sent   int
	held   []detect.Alert
	total  int // alerts held, including those beyond MaxDigestAlerts
}

// offer admits a: it returns the messages to send now, a digest of the
// previous window first when one is due.
func (l *limiter) offer(now time.Time, a detect.Alert) []Message {
	single := Message{Alerts: []detect.Alert{a}, Total: 1}
	if l.limit <= 0 {
		return []Message{single}
	}
	var out []Message
	if d, ok := l.due(now); ok {
		out = append(out, d)
	}
	if !l.start.IsZero() && !now.Before(l.start.Add(l.window)) {
		l.start = time.Time{}
	}
	if l.start.IsZero() {
		l.start, l.sent = now, 0
	}
	if l.sent < l.limit {
		l.sent++
		return append(out, single)
	}
	l.hold(now, a)
	return out
}

// hold keeps a for the digest of the current window (opening one if none
// is open).
func (l *limiter) hold(now time.Time, a detect.Alert) {
	if l.start.IsZero() {
		l.start, l.sent = now, l.limit
	}
	if len(l.held) < MaxDigestAlerts {
		l.held = append(l.held, a)
	}
	l.total++
}

// due returns the digest of the window when the window has ended and it
// held alerts; the window closes then.
func (l *limiter) due(now time.Time) (Message, bool) {
	if l.total == 0 || now.Before(l.start.Add(l.window)) {
		return Message{}, false
	}
	return l.flush(now)
}

// flush returns the digest of the held alerts now, whether or not the
// window has ended.
func (l *limiter) flush(now time.Time) (Message, bool) {
	if l.total == 0 {
		return Message{}, false
	}
	end := l.start.Add(l.window)
	if now.Before(end) {
		end = now
	}
	m := Message{Alerts: l.held, Digest: true, Total: l.total, From: l.start, To: end}
	l.held, l.total, l.start, l.sent = nil, 0, time.Time{}, 0
	return m, true
}
