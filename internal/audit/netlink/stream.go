package netlink

// Message is one audit record as received: its type (AUDIT_SYSCALL = 1300,
// AUDIT_EXECVE = 1309, ...) and its text ("audit(1700000000.123:42): ...")
// with trailing NUL bytes removed.
type Message struct {
	Type uint16
	Data []byte
}

// StreamOptions configure Listen.
type StreamOptions struct {
	// Mode is ModeOwner or ModeObserver (resolve ModeAuto with DetectMode).
	Mode Mode
	// RcvBuf is the socket receive buffer in bytes (default 16 MiB), forced
	// past rmem_max with SO_RCVBUFFORCE when running as root.
	RcvBuf int
	// Queue bounds the messages waiting for the consumer (default 16384);
	// beyond it messages are dropped and counted, never waited for.
	Queue int
	// BacklogLimit and BacklogWaitTime are set in owner mode when non-zero.
	BacklogLimit    uint32
	BacklogWaitTime uint32
	// RateLimit, when non-nil, is set in owner mode (0 = unlimited).
	RateLimit *uint32
}

// Stats are the stream's counters since Listen.
type Stats struct {
	Received uint64 // messages put in the queue
	Dropped  uint64 // messages dropped because the queue was full
	NoBufs   uint64 // ENOBUFS from the socket: the kernel dropped records for us
	Foreign  uint64 // datagrams not from the kernel, ignored
	Errors   uint64 // other receive errors
}

const (
	defaultRcvBuf = 16 << 20
	defaultQueue  = 16384
	// recvBufLen holds the largest audit record (MAX_AUDIT_MESSAGE_LENGTH is
	// 8970) with room to spare.
	recvBufLen = 64 << 10
)
