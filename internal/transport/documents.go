package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vigil-sec/vigil/internal/store"
)

// Documents are an agent's latest state of a kind (its inventory, its scan
// report), sent whole; the server keeps only the newest per host and kind
// (store.PutDocument). They do not go through the event spool: a document
// that could not be sent is replaced by the next one.
const (
	PathDocuments = "/api/v1/agent/documents"

	DocInventory = "inventory" // inventory.Inventory as JSON
	DocScan      = "scan"      // scanreport.Report as JSON, without its inventory

	// ContentTypeDocument is the media type of a document body before
	// compression; it is sent with Content-Encoding: zstd.
	ContentTypeDocument = "application/json"
	// MaxDocumentBodyBytes bounds a compressed document body and
	// MaxDocumentBytes the document after decompression.
	MaxDocumentBodyBytes = 16 << 20
	MaxDocumentBytes     = MaxBatchBytes
)

// DocumentKindValid reports whether agents may send documents of kind.
func DocumentKindValid(kind string) bool { return kind == DocInventory || kind == DocScan }

// DocumentResponse is the answer to an accepted document.
type DocumentResponse struct {
	Kind  string    `json:"kind"`
	Bytes int       `json:"bytes"`
	At    time.Time `json:"at"`
}

// handleDocument stores POST /api/v1/agent/documents?kind=K as the host's
// latest document of that kind.
func (s *Server) handleDocument(w http.ResponseWriter, r *http.Request, host store.Host) {
	kind := r.URL.Query().Get("kind")
	if !DocumentKindValid(kind) {
		s.fail(w, http.StatusBadRequest, "kind must be "+DocInventory+" or "+DocScan+", got "+strconv.Quote(kind))
		return
	}
	body, ok := s.readZstdBody(w, r, "document", MaxDocumentBodyBytes)
	if !ok {
		return
	}
	doc, err := DecodeDocument(body)
	if err != nil {
		s.failDecode(w, err)
		return
	}
	now := s.opts.Now().UTC()
	if err := s.store.PutDocument(r.Context(), host.ID, kind, now, doc); err != nil {
		if r.Context().Err() == nil {
			s.log.Error("store document", "agent_id", host.ID, "kind", kind, "err", err)
		}
		s.fail(w, http.StatusServiceUnavailable, "document not stored, retry later")
		return
	}
	if s.opts.AfterDocument != nil {
		s.opts.AfterDocument(r.Context(), host.ID, kind)
	}
	writeJSON(w, http.StatusOK, DocumentResponse{Kind: kind, Bytes: len(doc), At: now})
}

// EncodeDocument compresses a JSON document for SendDocument.
func EncodeDocument(doc []byte) []byte {
	enc := encoders.Get().(*zstd.Encoder)
	defer encoders.Put(enc)
	return enc.EncodeAll(doc, make([]byte, 0, len(doc)/4))
}

// DecodeDocument decompresses a document body and checks that it is one
// JSON object. Too large is ErrBatchTooLarge, anything else ErrMalformed.
func DecodeDocument(body []byte) ([]byte, error) {
	raw, err := zstdDecoder().DecodeAll(body, nil)
	if err != nil {
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) {
			return nil, fmt.Errorf("%w: document over %d bytes decompressed", ErrBatchTooLarge, MaxDocumentBytes)
		}
		return nil, fmt.Errorf("%w: zstd: %w", ErrMalformed, err)
	}
	if len(raw) > MaxDocumentBytes {
		return nil, fmt.Errorf("%w: document of %d bytes decompressed", ErrBatchTooLarge, len(raw))
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
		return nil, fmt.Errorf("%w: the document is not one JSON object", ErrMalformed)
	}
	return raw, nil
}

// SendDocument sends the agent's latest document of kind (DocInventory,
// DocScan) and retries with capped backoff until the server stores it,
// refuses it for good (a 4xx answer other than 401/403/429: returned as a
// *StatusError), or ctx ends.
func (s *Shipper) SendDocument(ctx context.Context, kind string, doc []byte) error {
	if !DocumentKindValid(kind) {
		return fmt.Errorf("send document: unknown kind %q", kind)
	}
	body := EncodeDocument(doc)
	if len(body) > MaxDocumentBodyBytes {
		return fmt.Errorf("send %s: %d bytes compressed, over the limit of %d", kind, len(body), MaxDocumentBodyBytes)
	}
	backoff := minBackoff
	for {
		out, wait, err := s.postDocument(ctx, kind, body)
		switch out {
		case sent:
			return nil
		case rejected:
			return fmt.Errorf("send %s: %w", kind, err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("send %s: %w", kind, errors.Join(ctx.Err(), err))
		}
		if wait == 0 {
			wait = backoff
			backoff = min(2*backoff, s.opts.MaxBackoff)
		}
		s.log.Debug("document not delivered, retrying", "kind", kind, "in", wait, "err", err)
		if !sleep(ctx, wait) {
			return fmt.Errorf("send %s: %w", kind, errors.Join(ctx.Err(), err))
		}
	}
}

func (s *Shipper) postDocument(ctx context.Context, kind string, body []byte) (outcome, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.opts.ServerURL+PathDocuments+"?kind="+kind, bytes.NewReader(body))
	if err != nil {
		return rejected, 0, err
	}
	req.Header.Set("Content-Type", ContentTypeDocument)
	req.Header.Set("Content-Encoding", "zstd")
	res, err := s.client.Do(req)
	if err != nil {
		return retry, 0, err
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode == http.StatusOK:
		return sent, 0, nil
	case res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		return retry, retryAfter(res.Header.Get("Retry-After")), statusError(res.StatusCode, data)
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		return retry, s.opts.MaxBackoff, statusError(res.StatusCode, data)
	default:
		return rejected, 0, statusError(res.StatusCode, data)
	}
}
