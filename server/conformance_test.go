package server_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/server"
)

// conformanceDir holds the graphql-http audit (a Node.js project, installed with npm ci).
const conformanceDir = "../conformance"

// TestGraphQLOverHTTPConformance runs graphql-http's server audits, in a real node process over
// real HTTP, against this package's handler with introspection enabled (several audits query
// __type). Every MUST and SHOULD audit has to pass.
func TestGraphQLOverHTTPConformance(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		skipOrFailInCI(t, "node is not installed")
	}
	if _, err := os.Stat(filepath.Join(conformanceDir, "node_modules", "graphql-http")); err != nil {
		skipOrFailInCI(t, "graphql-http is not installed: run npm ci --prefix conformance")
	}
	h := startServer(t, withConfig(func(cfg *server.Config) { cfg.Introspection = true }))

	cmd := exec.CommandContext(t.Context(), node, "audit.mjs", h.url+"/graphql")
	cmd.Dir = conformanceDir
	out, err := cmd.CombinedOutput()
	t.Logf("node audit.mjs:\n%s", out)

	require.NoError(t, err, "the audit reports failures")
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	assert.Regexp(t, `^\d+ passed, 0 failed$`, lines[len(lines)-1])
	assert.Contains(t, string(out), "0 errors, 0 warnings, 0 notices")
}

// skipOrFailInCI skips where a developer has not set up Node, but fails in CI, where a silently
// skipped audit would hide a broken transport.
func skipOrFailInCI(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(reason)
	}
	t.Skip(reason)
}
