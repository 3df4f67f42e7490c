// Package bufpool keeps a bounded free list of large byte buffers.
//
// sync.Pool empties on every garbage collection, and under full ingest the
// collector runs several times a second, so multi-megabyte batch buffers
// kept there were made again for nearly every batch. A Pool keeps buffers
// across collections up to a total size, and lets them go once no buffer
// has been asked for during a while, so that an idle process holds none.
package bufpool

import (
	"sync"
	"time"
)

// idle is how long a pool keeps its buffers without a Get.
const idle = 30 * time.Second

// Pool is a bounded free list of byte buffers; safe for concurrent use.
type Pool struct {
	mu       sync.Mutex
	free     [][]byte
	kept     int // bytes of capacity in free
	maxBytes int
	lastGet  time.Time
	trimmer  *time.Timer // armed while free holds buffers
}

// New returns a pool that keeps buffers of up to maxBytes in all.
func New(maxBytes int) *Pool { return &Pool{maxBytes: maxBytes} }

// Get returns an empty buffer: the last one kept, or nil (append allocates).
func (p *Pool) Get() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastGet = time.Now()
	n := len(p.free)
	if n == 0 {
		return nil
	}
	b := p.free[n-1]
	p.free[n-1] = nil
	p.free = p.free[:n-1]
	p.kept -= cap(b)
	return b
}

// Put gives b back for reuse; nothing may use b afterwards. A buffer that
// would take the pool past its size is left to the collector.
func (p *Pool) Put(b []byte) {
	if cap(b) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.kept+cap(b) > p.maxBytes {
		return
	}
	p.free = append(p.free, b[:0])
	p.kept += cap(b)
	if p.trimmer == nil {
		p.trimmer = time.AfterFunc(idle, p.trim)
	}
}

// trim lets the kept buffers go if none was asked for during idle, and
// looks again later otherwise.
func (p *Pool) trim() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if since := time.Since(p.lastGet); since < idle {
		p.trimmer.Reset(idle - since)
		return
	}
	clear(p.free)
	p.free, p.kept, p.trimmer = nil, 0, nil
}
