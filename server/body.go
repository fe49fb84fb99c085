package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/traffikgraph/traffikgraph"
)

// readBodyFirst reads the request's whole body (bounded by limitBody) into memory before the
// request takes a concurrency slot (concurrency.go). Read by the transport, after the slot, a body
// trickled a byte a second held the slot all along: eight such connections held every slot of
// the anonymous callers, four every slot of a partner. Now a slow client holds only its own
// connection. The body must arrive within timeout; a slower one gets 408 LIMIT_EXCEEDED and the
// connection is closed.
func readBodyFirst(timeout time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
