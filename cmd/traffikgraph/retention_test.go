package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"

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
