package server

import (
	"encoding/json"
	"net/http"
)

// healthz answers 200 while the process can serve HTTP at all: a liveness probe.
func healthz(w http.ResponseWriter, _ *http.Request) {
	writeStatus(w, http.StatusOK, "ok")
}

func writeStatus(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"status":"` + text + `"}`)) // a failed write means the prober left
}

// writeUnready answers 503 with why the service is not ready, in words meant for anyone.
func writeUnready(w http.ResponseWriter, reason string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	body, _ := json.Marshal(map[string]string{"status": "unavailable", "reason": reason})
	_, _ = w.Write(body)
}
