package main

import (
	"cmp"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/internal/testkit"
	"github.com/traffikgraph/traffikgraph/seed"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// TestServe starts the real service through run, as `traffikgraph serve` does, against the test
// Neo4j, and talks to it over HTTP like its users do.
func TestServe(t *testing.T) {
	require.NotEmpty(t, os.Getenv("NEO4J_URI"), "NEO4J_URI must point at the test Neo4j (the README's test command sets it)")
	ensureDemoPartners(t)
	addr, devAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--dev-issuer", "on", "--dev-issuer-addr", devAddr, "--introspection", "on",
			// The GraphQL-over-HTTP audit below sends many requests without a token.
			"--anonymous-burst", "100000",
			// The demo world's dates end at its fixed today, as with the embedded default.
			"--explorer-period-end", seed.Today.Format(time.DateOnly)},
			os.Getenv, io.Discard, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done, "serve stops cleanly")
	})
	base := "http://" + addr
	waitServeReady(t, base, done)

	t.Run("ReadyWhenNeo4jAnswers", func(t *testing.T) {
		resp, err := http.Get(base + "/readyz")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})

	t.Run("GraphQLOverHTTPConformance", func(t *testing.T) {
		// graphql-http's server audits in a real node process; every MUST and SHOULD must pass.
		cmd := exec.CommandContext(t.Context(), "node", "audit.mjs", base+"/graphql")
		cmd.Dir = "../../conformance"
		out, err := cmd.CombinedOutput()
		t.Logf("node audit.mjs:\n%s", out)
		require.NoError(t, err, "the audit reports failures (is graphql-http installed? npm ci --prefix conformance)")
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		assert.Regexp(t, `^\d+ passed, 0 failed$`, lines[len(lines)-1])
		assert.Contains(t, string(out), "0 errors, 0 warnings")
	})

	t.Run("PersonaTokenFromTheDevelopmentIssuerReadsTheGraph", func(t *testing.T) {
		token := devToken(t, "http://"+devAddr, "analyst")
		body := post(t, base, token, `{ partners(first: 50) { totalCount edges { node { id } } } }`)
		assert.Empty(t, body.Errors)
		total, _ := testkit.Dig(body.Data, "partners", "totalCount").(float64)
		assert.GreaterOrEqual(t, int(total), len(seed.DemoPartners))
	})

	t.Run("GraphiQLAnswersAQueryInABrowser", func(t *testing.T) {
		// A person's view: Debian's Chromium opens the embedded GraphiQL page (no CDN: requests off
		// the service's origin fail the script), pastes a persona token into the headers editor and
		// runs a query. GRAPHIQL_SCREENSHOT keeps the screenshot for a person to look at.
		require.FileExists(t, "/usr/bin/chromium", "the browser test drives Debian's Chromium: apt-get update && apt-get install -y chromium")
		require.DirExists(t, "../../browser/node_modules/playwright-core", "the browser test needs playwright-core: npm ci --prefix browser")
		screenshot := cmp.Or(os.Getenv("GRAPHIQL_SCREENSHOT"), filepath.Join(t.TempDir(), "graphiql.png"))
		token := devToken(t, "http://"+devAddr, "analyst")
		cmd := exec.CommandContext(t.Context(), "node", "graphiql.mjs", base+"/graphiql", token, screenshot)
		cmd.Dir = "../../browser"
		out, err := cmd.CombinedOutput()
		t.Logf("node graphiql.mjs:\n%s", out)
		require.NoError(t, err, "GraphiQL did not answer the query in the browser")
		summary := regexp.MustCompile(`(?m)^graphiql: ok: totalCount=(\d+) `).FindSubmatch(out)
		require.NotNil(t, summary, "the script's summary line")
		total, err := strconv.Atoi(string(summary[1]))
		require.NoError(t, err)
		assert.GreaterOrEqual(t, total, len(seed.DemoPartners))
		assert.FileExists(t, screenshot)
	})

	t.Run("ExplorerInABrowser", func(t *testing.T) {
		testExplorerInABrowser(t, base, "http://"+devAddr)
	})

	t.Run("AnonymousCallerIsForbiddenToReadTheGraph", func(t *testing.T) {
		body := post(t, base, "", `{ partners(first: 1) { totalCount } }`)
		require.NotEmpty(t, body.Errors)
		assert.Equal(t, "FORBIDDEN", body.Codes()[0])
	})

	t.Run("TamperedTokenIsUnauthenticated", func(t *testing.T) {
		token := devToken(t, "http://"+devAddr, "analyst")
		body := post(t, base, token[:len(token)-4]+"AAAA", `{ __typename }`)
		require.NotEmpty(t, body.Errors)
		assert.Equal(t, "UNAUTHENTICATED", body.Codes()[0])
	})
}

func ensureDemoPartners(t *testing.T) {
	t.Helper()
	s := storetest.Open(t)
	_, err := seed.EnsureDemoPartners(t.Context(), s.Driver(), s.Database())
	require.NoError(t, err)
}

// freeAddr is a free loopback address for the test's listeners.
func freeAddr(t *testing.T) string {
	t.Helper()
	addr := freeLoopbackAddr()
	require.NotEmpty(t, addr, "no free loopback port")
	return addr
}

// waitServeReady waits until the service answers /readyz with 200 (it answers 503 while Neo4j warms
// its plans, up to --warm-plans-for), failing early if run returned.
func waitServeReady(t *testing.T, base string, done <-chan error) {
	t.Helper()
	require.NoError(t, testkit.WaitReady(t.Context(), base+"/readyz", 4*time.Minute, done), "serve answers /readyz")
}

// devToken is a persona's token from the development issuer.
func devToken(t *testing.T, issuer, persona string) string {
	t.Helper()
	token, err := fetchToken(t.Context(), issuer, persona)
	require.NoError(t, err)
	return token
}

func post(t *testing.T, base, token, query string) testkit.Response {
	t.Helper()
	return testkit.Client{URL: base + "/graphql"}.Post(t, testkit.Bearer(token), query, nil)
}
