package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// readyCheckTimeout bounds a readiness probe, shorter than any orchestrator's probe timeout.
const readyCheckTimeout = 3 * time.Second

// healthz answers 200 while the process can serve HTTP at all: a liveness probe.
func healthz(w http.ResponseWriter, _ *http.Request) {
	writeStatus(w, http.StatusOK, "ok")
}

// readyz answers 200 when ready (Neo4j answers) and 503 otherwise, so a load balancer sends
// traffic only to instances that can serve it. Why it is not ready goes to the log, not to the
// unauthenticated prober.
func readyz(ready func(context.Context) error, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyCheckTimeout)
		defer cancel()
		if err := ready(ctx); err != nil {
			logger.WarnContext(ctx, "not ready",
				slog.String("request_id", RequestID(ctx)), slog.Any("error", err))
			writeStatus(w, http.StatusServiceUnavailable, "unavailable")
			return
		}
		writeStatus(w, http.StatusOK, "ok")
	}
}

func writeStatus(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"status":"` + text + `"}`)) // a failed write means the prober left
}
