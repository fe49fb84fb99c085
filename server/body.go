package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// readBodyFirst reads the request's whole body (bounded by limitBody) into memory before the
// request takes a concurrency slot (concurrency.go). Read by the transport, after the slot, a body
// trickled a byte a second held the slot all along: eight such connections held every slot of
// the anonymous callers, four every slot of a partner. Now a slow client holds only its own
// connection. The body must arrive within timeout; a slower one gets 408 LIMIT_EXCEEDED and the
// connection is closed. While it arrives, the body holds a place in budget; without one, 429.
func readBodyFirst(timeout time.Duration, budget *bodyBudget) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength == 0 {
				next.ServeHTTP(w, r)
				return
			}
			release, ok := budget.reserve(r)
			if !ok {
				w.Header().Set("Retry-After", "1")
				// Not read: the connection cannot carry another request.
				w.Header().Set("Connection", "close")
				writeError(w, http.StatusTooManyRequests, traffikgraph.LimitExceeded,
					"too many request bodies arriving at once for your partner or address; send each body at once, and try again in 1 s")
				return
			}
			defer release()
			connection := http.NewResponseController(w)
			// The connection's own deadline: a body that stops arriving makes the read fail
			// rather than wait. Without support for it (not net/http's server), the server's
			// ReadTimeout still bounds the read.
			_ = connection.SetReadDeadline(time.Now().Add(timeout))
			body, err := io.ReadAll(r.Body)
			// Lifted once the body is in: net/http then watches the connection for the client
			// going away, and a deadline passing during execution would cancel the request.
			_ = connection.SetReadDeadline(time.Time{})
			if err != nil {
				refuseBody(w, r, err, timeout)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r)
		})
	}
}

func refuseBody(w http.ResponseWriter, r *http.Request, err error, timeout time.Duration) {
	mediaType := negotiateMediaType(r.Header.Get("Accept"))
	if tooLarge, ok := errors.AsType[*http.MaxBytesError](err); ok {
		writeTransportError(w, http.StatusRequestEntityTooLarge, mediaType, traffikgraph.LimitExceeded,
			fmt.Sprintf("request body exceeds %d bytes", tooLarge.Limit))
		return
	}
	// The rest of the body, if any, will not be read: the connection cannot carry another request.
	w.Header().Set("Connection", "close")
	if errors.Is(err, os.ErrDeadlineExceeded) {
		writeTransportError(w, http.StatusRequestTimeout, mediaType, traffikgraph.LimitExceeded,
			fmt.Sprintf("the request body did not arrive within %s; send it at once", timeout))
		return
	}
	writeTransportError(w, http.StatusBadRequest, mediaType, traffikgraph.BadUserInput, "could not read the request body")
}

// bodyBudget bounds the bodies arriving at once: a count per partner (or per address, for
// callers without a token), and their bytes, each body counted at the size it announces (or the
// largest allowed when it announces none). Callers without a token share a quarter of the bytes,
// so that a crowd of addresses cannot take the partners' share.
type bodyBudget struct {
	perCaller                int
	maxBytes, anonymousBytes int64
	largestBody              int64

	mu                       sync.Mutex
	arriving                 map[string]int
	bytes, bytesWithoutToken int64
}

func newBodyBudget(perCaller int, maxBytes, largestBody int64) *bodyBudget {
	return &bodyBudget{perCaller: perCaller, maxBytes: maxBytes, anonymousBytes: maxBytes / 4,
		largestBody: largestBody, arriving: map[string]int{}}
}

// reserve takes r's place in the budget, or reports that there is none; release gives it back.
func (b *bodyBudget) reserve(r *http.Request) (release func(), ok bool) {
	size := r.ContentLength
	if size < 0 || size > b.largestBody {
		size = b.largestBody
	}
	caller := auth.CallerFrom(r.Context())
	key, anonymous := "partner:"+caller.PartnerID, caller.Anonymous()
	if anonymous {
		key = "address:" + clientKey(r.RemoteAddr)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.arriving[key] >= b.perCaller || b.bytes+size > b.maxBytes ||
		(anonymous && b.bytesWithoutToken+size > b.anonymousBytes) {
		return nil, false
	}
	b.arriving[key]++
	b.bytes += size
	if anonymous {
		b.bytesWithoutToken += size
	}
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.arriving[key]--; b.arriving[key] == 0 {
			delete(b.arriving, key)
		}
		b.bytes -= size
		if anonymous {
			b.bytesWithoutToken -= size
		}
	}, true
}
