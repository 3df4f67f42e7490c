// Package transport carries events and control messages between a vigil
// agent and its server over HTTPS with mutual TLS.
//
// Agent side: Enroll obtains a client certificate with an enrollment token
// and pins the server's CA; Shipper implements collector.Output on top of
// the disk spool and sends batches, heartbeats and long-polls for policies
// and tasks. Server side: NewServer returns the http.Handler for
// /api/v1/enroll and /api/v1/agent/..., which stores batches through
// store.Store and answers only once they are committed.
//
// The wire format is NDJSON (one ECS event per line, the agent's own JSON)
// compressed with zstd; docs/transport.md has the protocol and the
// measurements behind the choice.
package transport

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/vigil-sec/vigil/internal/bufpool"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/spool"
)

// Protocol constants.
const (
	PathEnroll    = "/api/v1/enroll"
	PathEnrollCA  = "/api/v1/enroll/ca"
	PathEvents    = "/api/v1/agent/events"
	PathHeartbeat = "/api/v1/agent/heartbeat"
	PathPoll      = "/api/v1/agent/poll"

	// HeaderSeq carries a batch's sequence number.
	HeaderSeq = "Vigil-Batch-Seq"
	// ContentTypeEvents is the media type of a batch body before
	// compression; the body is sent with Content-Encoding: zstd.
	ContentTypeEvents = "application/x-ndjson"

	// MaxBodyBytes bounds a compressed batch body.
	MaxBodyBytes = 16 << 20
	// MaxBatchBytes bounds a batch after decompression.
	MaxBatchBytes = 64 << 20
	// MaxBatchEvents bounds the events of one batch.
	MaxBatchEvents = 100_000
)

// Errors of DecodeBatch.
var (
	ErrBatchTooLarge = errors.New("batch too large")
	ErrMalformed     = errors.New("malformed batch")
)

var (
	encoders = sync.Pool{New: func() any {
		e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		if err != nil {
			panic(err) // only invalid options fail
		}
		return e
	}}
	decoderOnce sync.Once
	decoder     *zstd.Decoder
)

func zstdDecoder() *zstd.Decoder {
	decoderOnce.Do(func() {
		d, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(MaxBatchBytes), zstd.WithDecoderConcurrency(0))
		if err != nil {
			panic(err) // only invalid options fail
		}
		decoder = d
	})
	return decoder
}

// EncodeBatch encodes events as a batch body: NDJSON compressed with zstd.
// It is the spool's encoder, so a spooled record is sent as it is.
func EncodeBatch(events []event.Event) ([]byte, error) {
	raw, err := spool.EncodeNDJSON(events)
	if err != nil {
		return nil, fmt.Errorf("encode batch: %w", err)
	}
	enc := encoders.Get().(*zstd.Encoder)
	defer encoders.Put(enc)
	return enc.EncodeAll(raw, make([]byte, 0, len(raw)/4)), nil
}

// rawBufs holds decompression buffers for DecodeBatch: a coalesced request
// decompresses to several MB, which a new slice reached by doubling, copying
// as it grew. The decoded events share no memory with the buffer (event's
// tests check it), so it is reused once they are decoded. A bounded pool,
// not a sync.Pool: under full ingest the collector runs several times a
// second and a sync.Pool kept nearly nothing.
var rawBufs = bufpool.New(64 << 20)

// DecodeBatch decodes a batch body. Any malformed event rejects the whole
// batch with an error naming its line; empty lines are ignored.
func DecodeBatch(body []byte) ([]event.Event, error) {
	raw, err := zstdDecoder().DecodeAll(body, rawBufs.Get())
	defer func() { rawBufs.Put(raw) }()
	if err != nil {
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) {
			return nil, fmt.Errorf("%w: more than %d bytes decompressed", ErrBatchTooLarge, MaxBatchBytes)
		}
		return nil, fmt.Errorf("%w: zstd: %w", ErrMalformed, err)
	}
	if len(raw) > MaxBatchBytes {
		return nil, fmt.Errorf("%w: %d bytes decompressed", ErrBatchTooLarge, len(raw))
	}
	return decodeNDJSON(raw)
}

func decodeNDJSON(raw []byte) ([]event.Event, error) {
	events := make([]event.Event, 0, bytes.Count(raw, []byte{'\n'})+1)
	var dec event.Decoder
	for line := 1; len(raw) > 0; line++ {
		var l []byte
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			l, raw = raw[:i], raw[i+1:]
		} else {
			l, raw = raw, nil
		}
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		if len(events) == MaxBatchEvents {
			return nil, fmt.Errorf("%w: more than %d events", ErrBatchTooLarge, MaxBatchEvents)
		}
		ev, err := dec.Decode(l)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrMalformed, line, err)
		}
		events = append(events, ev)
	}
	return events, nil
}
