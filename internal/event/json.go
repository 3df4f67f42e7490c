package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxEventBytes bounds one serialised event accepted by Decode.
const MaxEventBytes = 4 << 20

// ErrTooLarge is returned by Decode for input longer than MaxEventBytes.
var ErrTooLarge = errors.New("event larger than limit")

// Decode parses one JSON event. It rejects input longer than MaxEventBytes
// and anything after the object. Unknown fields are ignored, so that a server
// accepts events from a newer agent; Decode does not validate (call
// Validate).
func Decode(data []byte) (Event, error) {
	var e Event
	if len(data) > MaxEventBytes {
		return e, fmt.Errorf("decode event: %d bytes: %w", len(data), ErrTooLarge)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&e); err != nil {
		return Event{}, fmt.Errorf("decode event: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Event{}, errors.New("decode event: data after the object")
	}
	return e, nil
}
