package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// ctdcSample is the real CTDC sample beside the repository (../shared/data/ctdc from its
// root); tests run in the package's folder, two levels below the root.
var ctdcSample = filepath.Join("..", "..", "..", "shared", "data", "ctdc", "ctdc-global-k-anon-sample.csv")

// TestImportCTDC runs `traffikgraph import ctdc` through run, twice, as a partner of its own.
func TestImportCTDC(t *testing.T) {
	require.NotEmpty(t, os.Getenv("NEO4J_URI"), "NEO4J_URI must point at the test Neo4j (the README's test command sets it)")
	require.FileExists(t, ctdcSample, "the CTDC sample must be checked out beside the repository as ../shared/data/ctdc")
	partner := "test-import-" + uuid.NewString()[:8]
	removeImported(t, partner)

	importSample := func(t *testing.T) string {
		t.Helper()
		var stdout bytes.Buffer
		err := run(t.Context(), []string{"import", "ctdc", "--partner", partner, "--tlp", "AMBER", ctdcSample},
			os.Getenv, &stdout, io.Discard)
		require.NoError(t, err)
		return stdout.String()
	}

	t.Run("FirstImportCreatesEveryCase", func(t *testing.T) {
		out := importSample(t)
		assert.Regexp(t, `^read 1343 records in \S+: created 1343 incidents, 1343 victims, \d+ countries and \d+ relationships; `+
			`0 already imported, 0 rejected\n$`, out)
	})
	t.Run("SecondImportCreatesNothing", func(t *testing.T) {
		out := importSample(t)
		assert.Regexp(t, `^read 1343 records in \S+: created 0 incidents, 0 victims, 0 countries and 0 relationships; `+
			`1343 already imported, 0 rejected\n$`, out)
	})
}

func TestImportUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"NoFormat", []string{"import"}, "import: no format given"},
		{"UnknownFormat", []string{"import", "xlsx", "f.xlsx"}, `import: unknown format "xlsx"`},
		{"NoFile", []string{"import", "ctdc", "--partner", "p"}, "give exactly one FILE"},
		{"MissingFile", []string{"import", "ctdc", "no-such-file.csv"}, "no-such-file.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(t.Context(), tt.args, func(string) string { return "" }, io.Discard, io.Discard)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

// removeImported deletes, after the test, everything the partner contributed.
func removeImported(t *testing.T, partner string) {
	t.Helper()
	s := storetest.Open(t)
	t.Cleanup(func() {
		ctx := context.Background()
		_, err := neo4j.ExecuteQuery(ctx, s.Driver(), `
MATCH (n:Entity {sourcePartner: $partner})
DETACH DELETE n`, map[string]any{"partner": partner}, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithDatabase(s.Database()))
		assert.NoError(t, err)
	})
}
