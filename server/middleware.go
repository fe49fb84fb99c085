package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/traffikgraph/traffikgraph"
)

// accessRecord collects, while a request runs, what the access log line needs from inside
// GraphQL: the operation name, set by the handler's AroundOperations.
type accessRecord struct {
	operationName string
}

type accessRecordKey struct{}

// maxLoggedOperationName keeps a client-chosen operation name from bloating log lines.
const maxLoggedOperationName = 64

func recordOperationName(ctx context.Context, name string) {
	if record, ok := ctx.Value(accessRecordKey{}).(*accessRecord); ok {
		record.operationName = name[:min(len(name), maxLoggedOperationName)]
	}
}

// logAccess writes one structured line per request: method, path, status, duration, bytes,
// request id and GraphQL operation name. Never the body, the query string, variables or
// headers: they carry tokens and personal data. Probes log at debug so they do not drown the log.
func logAccess(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			record := &accessRecord{}
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r.WithContext(context.WithValue(r.Context(), accessRecordKey{}, record)))

			status := ww.Status()
			if status == 0 {
				status = http.StatusOK // nothing written: net/http sends 200
			}
			level := slog.LevelInfo
			switch {
			case status >= http.StatusInternalServerError:
				level = slog.LevelError
			case r.URL.Path == "/healthz" || r.URL.Path == "/readyz":
				level = slog.LevelDebug
			}
			attrs := []slog.Attr{
				slog.String("request_id", RequestID(r.Context())),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Duration("duration", time.Since(start)),
				slog.Int("bytes", ww.BytesWritten()),
			}
			if record.operationName != "" {
				attrs = append(attrs, slog.String("operation", record.operationName))
			}
			logger.LogAttrs(r.Context(), level, "request", attrs...)
		})
	}
}

// recoverPanics turns a panic outside GraphQL execution (which has its own recover function)
// into a logged stack and a 500 in the GraphQL error shape, keeping the process up.
func recoverPanics(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			defer func() {
				recovered := recover()
				if recovered == nil {
					return
				}
				if recovered == http.ErrAbortHandler {
					panic(recovered) // net/http's own signal to drop the connection quietly
				}
				logger.ErrorContext(r.Context(), "panic while serving a request",
					slog.String("request_id", RequestID(r.Context())),
					slog.String("panic", fmt.Sprint(recovered)),
					slog.String("stack", string(debug.Stack())))
				if ww.Status() == 0 {
					writeError(ww, http.StatusInternalServerError, traffikgraph.Internal, internalErrorMessage)
				}
			}()
			next.ServeHTTP(ww, r)
		})
	}
}

// limitDuration gives each request a context deadline, so resolvers and the Neo4j driver stop
// working for a client that can no longer be answered in time.
func limitDuration(timeout time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), timeout)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// limitBody refuses a body declared larger than maxBytes at once, and caps the reading of any
// other so that a body that lies about its length fails with *http.MaxBytesError (413 in the
// POST transport).
func limitBody(maxBytes int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > maxBytes {
				writeError(w, http.StatusRequestEntityTooLarge, traffikgraph.LimitExceeded,
					fmt.Sprintf("request body exceeds %d bytes", maxBytes))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
			next.ServeHTTP(w, r)
		})
	}
}

// apiContentSecurityPolicy suits responses that are data, never pages: nothing may load or frame.
const apiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'"

// secureHeaders sets what every response needs: no MIME sniffing, no framing, no referrer, no
// caching of answers that may hold restricted intelligence, HTTPS only once a browser has seen
// us over TLS. GraphiQL replaces the content security policy with its own.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", apiContentSecurityPolicy)
		h.Set("Strict-Transport-Security", "max-age=63072000")
		next.ServeHTTP(w, r)
	})
}
