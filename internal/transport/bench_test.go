package transport

import (
	"bytes"
	"compress/gzip"
	"encoding/gob"
	"io"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rules/eventmix"
	"github.com/vigil-sec/vigil/internal/spool"
)

// codec is one candidate wire format: encode a batch, decode it back.
type codec struct {
	name   string
	encode func([]event.Event) ([]byte, error)
	decode func([]byte) ([]event.Event, error)
}

func gzipped(level int, enc func([]event.Event) ([]byte, error), dec func([]byte) ([]event.Event, error)) (func([]event.Event) ([]byte, error), func([]byte) ([]event.Event, error)) {
	return func(evs []event.Event) ([]byte, error) {
			raw, err := enc(evs)
			if err != nil {
				return nil, err
			}
			var b bytes.Buffer
			w, _ := gzip.NewWriterLevel(&b, level)
			w.Write(raw)
			w.Close()
			return b.Bytes(), nil
		}, func(data []byte) ([]event.Event, error) {
			r, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				return nil, err
			}
			raw, err := io.ReadAll(io.LimitReader(r, MaxBatchBytes))
			if err != nil {
				return nil, err
			}
			return dec(raw)
		}
}

func zstdLevel(level zstd.EncoderLevel) func([]event.Event) ([]byte, error) {
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(1))
	return func(evs []event.Event) ([]byte, error) {
		raw, err := spool.EncodeNDJSON(evs)
		if err != nil {
			return nil, err
		}
		return enc.EncodeAll(raw, nil), nil
	}
}

func gobEncode(evs []event.Event) ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(evs)
	return b.Bytes(), err
}

func gobDecode(data []byte) ([]event.Event, error) {
	var evs []event.Event
	err := gob.NewDecoder(bytes.NewReader(data)).Decode(&evs)
	return evs, err
}

func codecs() []codec {
	gzFastEnc, gzFastDec := gzipped(gzip.BestSpeed, spool.EncodeNDJSON, decodeNDJSON)
	gzDefEnc, gzDefDec := gzipped(gzip.DefaultCompression, spool.EncodeNDJSON, decodeNDJSON)
	gobGzEnc, gobGzDec := gzipped(gzip.BestSpeed, gobEncode, gobDecode)
	zenc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	return []codec{
		{"json", spool.EncodeNDJSON, decodeNDJSON},
		{"json+gzip1", gzFastEnc, gzFastDec},
		{"json+gzip6", gzDefEnc, gzDefDec},
		{"json+zstd_fastest", EncodeBatch, DecodeBatch},
		{"json+zstd_default", zstdLevel(zstd.SpeedDefault), DecodeBatch},
		{"gob", gobEncode, gobDecode},
		{"gob+gzip1", gobGzEnc, gobGzDec},
		{"gob+zstd_fastest", func(evs []event.Event) ([]byte, error) {
			raw, err := gobEncode(evs)
			return zenc.EncodeAll(raw, nil), err
		}, func(data []byte) ([]event.Event, error) {
			raw, err := zstdDecoder().DecodeAll(data, nil)
			if err != nil {
				return nil, err
			}
			return gobDecode(raw)
		}},
	}
}

// batchOfMix is one runner-sized batch (512 events) of the rules
// benchmark's event mix (mostly exec events).
func batchOfMix() []event.Event {
	ptrs := eventmix.Events(512)
	evs := make([]event.Event, len(ptrs))
	for i, p := range ptrs {
		evs[i] = *p
	}
	return evs
}

// BenchmarkWire measures each candidate's encode and decode time per event
// and its size per event on the event mix.
func BenchmarkWire(b *testing.B) {
	evs := batchOfMix()
	for _, c := range codecs() {
		data, err := c.encode(evs)
		if err != nil {
			b.Fatal(err)
		}
		if got, err := c.decode(data); err != nil || len(got) != len(evs) {
			b.Fatalf("%s: %d events, %v", c.name, len(got), err)
		}
		b.Run(c.name+"/encode", func(b *testing.B) {
			for b.Loop() {
				c.encode(evs)
			}
			b.ReportMetric(float64(len(data))/float64(len(evs)), "B/event")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
		})
		b.Run(c.name+"/decode", func(b *testing.B) {
			for b.Loop() {
				c.decode(data)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
		})
	}
}
