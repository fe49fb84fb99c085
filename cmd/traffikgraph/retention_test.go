package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/store"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// TestRetentionCommand runs `traffikgraph retention` as its users do; what each rule removes is
// tested in store (TestRetention).
func TestRetentionCommand(t *testing.T) {
	s := storetest.Open(t)
	nodes := func() int64 {
		res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), `MATCH (n) RETURN count(n) AS n`, nil,
			neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
		require.NoError(t, err)
		n, _ := res.Records[0].Get("n")
		return n.(int64)
	}

	t.Run("ADryRunPrintsEachRuleAndChangesNothing", func(t *testing.T) {
		before := nodes()
		var out bytes.Buffer
		require.NoError(t, run(t.Context(), []string{"retention", "--retain-dismissed-reports", "0"}, os.Getenv, &out, io.Discard))
		require.Regexp(t, `(?m)^unlinkedAnonymousReports\s+kept 12mo\s+due \(before \d{4}-\d\d-\d\d\): \d+$`, out.String())
		require.Regexp(t, `(?m)^dismissedReports\s+kept for ever$`, out.String())
		require.Regexp(t, `(?m)^auditEvents\s+kept 6y\s+due \(before \d{4}-\d\d-\d\d\): \d+$`, out.String())
		require.Contains(t, out.String(), "dry run: nothing removed")
		require.Equal(t, before, nodes())
	})

	t.Run("ABadPeriodIsRefused", func(t *testing.T) {
		err := run(t.Context(), []string{"retention", "--retain-audit-events", "forever"}, os.Getenv, io.Discard, io.Discard)
		require.ErrorContains(t, err, "retention period")
		getenv := func(name string) string {
			if name == "TRAFFIKGRAPH_RETAIN_UNLINKED_REPORTS" {
				return "12 months"
			}
			return os.Getenv(name)
		}
		err = run(t.Context(), []string{"retention"}, getenv, io.Discard, io.Discard)
		require.ErrorContains(t, err, "TRAFFIKGRAPH_RETAIN_UNLINKED_REPORTS")
	})
}

// TestRetentionRunsOnASchedule: `serve --retention-every` applies the policy on its ticker,
// logging each run's summary, and stops with the service.
func TestRetentionRunsOnASchedule(t *testing.T) {
	s := storetest.Open(t)
	receipt, err := s.SubmitReport(context.Background(), store.Submission{Text: "scheduled retention test: an old story no one linked",
		Language: "en", Channel: "WEB"})
	require.NoError(t, err)
	exists := func() bool {
		res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), `MATCH (r:Report {id: $id}) RETURN count(r) AS n`,
			map[string]any{"id": receipt.ReceiptID}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
		require.NoError(t, err)
		n, _ := res.Records[0].Get("n")
		return n.(int64) == 1
	}
	// Submitted long ago: due under the default policy (12 months for unlinked anonymous reports).
	_, err = neo4j.ExecuteQuery(context.Background(), s.Driver(), `MATCH (r:Report {id: $id}) SET r.submittedAt = datetime('2001-01-01T00:00:00Z')`,
		map[string]any{"id": receipt.ReceiptID}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
	require.NoError(t, err)
	require.True(t, exists())

	var f retentionFlags
	require.NoError(t, f.register(flag.NewFlagSet("serve", flag.ContinueOnError), func(string) string { return "" }))
	logs := &lockedBuffer{}
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		runRetentionEvery(ctx, 100*time.Millisecond, s, f, slog.New(slog.NewJSONHandler(logs, nil)))
	}()
	require.Eventually(t, func() bool { return !exists() }, time.Minute, 50*time.Millisecond, "a scheduled run removed the due report")
	require.True(t, logs.hasLine(func(line map[string]any) bool {
		removed, _ := line["unlinkedAnonymousReports"].(float64)
		return line["msg"] == "retention run" && removed >= 1
	}), "the run logged its summary")
	cancel()
	require.Eventually(t, func() bool {
		select {
		case <-stopped:
			return true
		default:
			return false
		}
	}, time.Minute, 10*time.Millisecond, "the runner stops with the service")
}
