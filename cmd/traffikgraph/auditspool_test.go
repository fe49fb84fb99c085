package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeWithAnAuditSpool: with --audit-spool, a response's audit event is synced in the
// spool before the response, the auditor's trail holds it right after, and when the service
// stops everything spooled has been shipped to Neo4j.
func TestServeWithAnAuditSpool(t *testing.T) {
	require.NotEmpty(t, os.Getenv("NEO4J_URI"), "NEO4J_URI must point at the test Neo4j (the README's test command sets it)")
	ensureDemoPartners(t)
	spool := t.TempDir()
	addr, devAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, []string{"--addr", addr, "--dev-issuer", "on", "--dev-issuer-addr", devAddr, "--audit-spool", spool},
			os.Getenv, io.Discard, io.Discard, slog.New(slog.DiscardHandler))
	}()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			assert.NoError(t, <-done, "serve stops cleanly")
		}
	}
	t.Cleanup(stop)
	base := "http://" + addr
	waitServeReady(t, base, done)

	operation := fmt.Sprintf("SpoolProbe%d", time.Now().UnixNano())
	write := post(t, base, devToken(t, "http://"+devAddr, "analyst"),
		`mutation `+operation+` { upsertPerson(externalRef: "spool-probe", input: {name: "Spool Probe"}, marking: {tlp: GREEN}) { id } }`)
	require.Empty(t, write.Errors)

	spooled, err := os.ReadFile(filepath.Join(spool, "audit.jsonl"))
	require.NoError(t, err)
	require.Contains(t, string(spooled), `"operationName":"`+operation+`"`, "the event was synced in the spool before the response")
	require.NotContains(t, string(spooled), "Spool Probe", "the spool holds no value, like the event")

	trail := post(t, base, devToken(t, "http://"+devAddr, "admin"), `{ auditEvents(first: 50) { edges { node { operationName complete } } } }`)
	require.Empty(t, trail.Errors)
	assert.Contains(t, fmt.Sprint(trail.Data["auditEvents"]), "operationName:"+operation, "the trail read after the response holds its event")

	stop()
	cursor, err := os.ReadFile(filepath.Join(spool, "audit.shipped"))
	require.NoError(t, err)
	spooled, err = os.ReadFile(filepath.Join(spool, "audit.jsonl"))
	require.NoError(t, err)
	require.Equal(t, fmt.Sprint(len(spooled)), strings.TrimSpace(string(cursor)), "all that was spooled was shipped before serve returned")
}
