package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
)

// TestServeRecoversFromAKilledNeo4j runs serve on its embedded default (its own Neo4j, not the
// shared test database), kills that Neo4j with SIGKILL and checks what an operator and a client
// see: /readyz says why it is not ready, GraphQL requests are refused at once with 503,
// Retry-After and UNAVAILABLE (a mutation told that nothing was written), and, without anyone
// restarting anything, /readyz turns 200 again and queries and mutations answer.
func TestServeRecoversFromAKilledNeo4j(t *testing.T) {
	dataDir := t.TempDir()
	// The jars the test command assembled: no second Maven download.
	dist, err := filepath.Abs("../../.data/test/neo4j-dist")
	require.NoError(t, err)
	require.DirExists(t, dist, "run through scripts/test.sh, which assembles the embedded Neo4j")
	require.NoError(t, os.Symlink(dist, filepath.Join(dataDir, "neo4j-dist")))

	addr, devAddr, metricsAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	withoutNeo4jURI := func(key string) string {
		if strings.HasPrefix(key, "NEO4J_") {
			return "" // the embedded default
		}
		return os.Getenv(key)
	}
	go func() {
		done <- serve(ctx, []string{"--addr", addr, "--dev-issuer-addr", devAddr, "--data", dataDir,
			"--neo4j-bolt", freeAddr(t), "--neo4j-http", freeAddr(t), "--neo4j-heap", "512m", "--neo4j-pagecache", "64m",
			"--demo-scale", "500", "--metrics-addr", metricsAddr}, withoutNeo4jURI, io.Discard, io.Discard, testLogger(t))
	}()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done, "serve stops cleanly")
	})
	base := "http://" + addr
	unready := waitServing(t, base, done)
	token := devToken(t, "http://"+devAddr, "analyst")
	const read = `{ partners(first: 1) { totalCount } }`
	const write = `mutation { upsertBusiness(externalRef: "recovery-test", input: {name: "Recovery Test Ltd (fictional)", jurisdiction: "GB"}, marking: {tlp: GREEN}) { id } }`

	t.Run("FirstTraversalAfterStartIsAnswered", func(t *testing.T) {
		// A fresh Neo4j plans the service's statements before /readyz turns ready, so the first
		// supplyChainRisk (seconds to plan cold) is answered within its timeout.
		assert.Contains(t, unready, "warming plans: Neo4j is planning the service's queries before requests need them (at most 2m0s)")
		assertSupplyChainRiskAnswered(t, base, token)
	})
	require.Empty(t, post(t, base, token, read).Errors)

	killEmbeddedNeo4j(t, filepath.Join(dataDir, "neo4j"))

	t.Run("ReadyzSaysWhy", func(t *testing.T) {
		// The probe may find the database gone a moment before the supervisor has seen its
		// process exit: the reason is generic until then.
		var body map[string]any
		require.Eventually(t, func() bool {
			status, got := getJSON(t, base+"/readyz")
			body = got
			reason, _ := got["reason"].(string)
			return status == http.StatusServiceUnavailable && strings.Contains(reason, "the embedded Neo4j is down")
		}, 30*time.Second, 50*time.Millisecond, "last answer: %v", body)
		assert.Equal(t, "unavailable", body["status"])
		assert.Contains(t, body["reason"], "is being restarted")
		assert.NotContains(t, body["reason"], "127.0.0.1", "no address for the prober")
	})

	for name, query := range map[string]string{"Query": read, "Mutation": write} {
		t.Run(name+"IsRefusedAtOnceWithRetryAfter", func(t *testing.T) {
			resp, body := postRaw(t, base, token, query)
			require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "body: %v", body)
			assert.Equal(t, "5", resp.Header.Get("Retry-After"))
			assert.Equal(t, "UNAVAILABLE", testkit.Dig(body, "errors", 0, "extensions", "code"))
			assert.Contains(t, testkit.Dig(body, "errors", 0, "message"), "nothing was read or written")
		})
	}

	t.Run("RecoversWithoutAHand", func(t *testing.T) {
		require.Eventually(t, func() bool { return getStatus(t, base+"/readyz") == http.StatusOK }, 11*time.Minute, 200*time.Millisecond)
		assert.Empty(t, post(t, base, token, read).Errors)
		written := post(t, base, token, write)
		assert.Empty(t, written.Errors)
		assert.NotEmpty(t, testkit.Dig(written.Data, "upsertBusiness", "id"))
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		metrics, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Contains(t, string(metrics), "traffikgraph_neo4j_embedded_restarts_total 1\n")
		assert.Regexp(t, `traffikgraph_refusals_total\{reason="unavailable"\} [1-9]`, string(metrics))
	})

	t.Run("FirstTraversalAfterTheRestartIsAnswered", func(t *testing.T) {
		// The restarted Neo4j's query cache is empty: the plans were warmed again before ready.
		assertSupplyChainRiskAnswered(t, base, token)
	})
}

// assertSupplyChainRiskAnswered asks for a demo business's supply-chain risk and expects an
// answer, not LIMIT_EXCEEDED or UNAVAILABLE.
func assertSupplyChainRiskAnswered(t *testing.T, base, token string) {
	t.Helper()
	client := testkit.Client{URL: base + "/graphql"}
	businesses := client.Post(t, testkit.Bearer(token), `{ businesses(first: 1) { edges { node { id } } } }`, nil)
	require.Empty(t, businesses.Errors)
	id, _ := testkit.Dig(businesses.Data, "businesses", "edges", 0, "node", "id").(string)
	require.NotEmpty(t, id, "the demo world has businesses")
	risk := client.Post(t, testkit.Bearer(token), `query($id: ID!) { supplyChainRisk(businessId: $id) { truncated
  suppliers { supplier { id } tier score reasons { kind weight path { length } } } } }`, map[string]any{"id": id})
	assert.Empty(t, risk.Errors)
	assert.NotNil(t, testkit.Dig(risk.Data, "supplyChainRisk"))
}

// waitServing waits until serve, which first starts its Neo4j, migrates, seeds (minutes on a
// busy machine) and warms its plans, answers /readyz with 200, and returns the reasons /readyz
// gave meanwhile.
func waitServing(t *testing.T, base string, done <-chan error) []string {
	t.Helper()
	var reasons []string
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("serve stopped before answering: %v", err)
		default:
		}
		if resp, err := http.Get(base + "/readyz"); err == nil {
			var body struct{ Reason string }
			_ = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return reasons
			}
			if !slices.Contains(reasons, body.Reason) {
				reasons = append(reasons, body.Reason)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("serve was not ready in time")
	return nil
}

// killEmbeddedNeo4j sends SIGKILL to the Java process of the embedded Neo4j whose home is home.
func killEmbeddedNeo4j(t *testing.T, home string) {
	t.Helper()
	cmdlines, err := filepath.Glob("/proc/[0-9]*/cmdline")
	require.NoError(t, err)
	killed := 0
	for _, path := range cmdlines {
		cmdline, err := os.ReadFile(path)
		if err != nil || !strings.Contains(string(cmdline), "--home-dir="+home+"\x00") {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		require.NoError(t, err)
		require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
		killed++
	}
	require.Equal(t, 1, killed, "one Neo4j process runs in %s", home)
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	status, _ := getJSON(t, url)
	return status
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// postRaw sends a GraphQL POST and returns the response with its decoded body.
func postRaw(t *testing.T, base, token, query string) (*http.Response, map[string]any) {
	t.Helper()
	payload, err := json.Marshal(map[string]any{"query": query})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(string(payload)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp, body
}

// testLogger writes the service's log into the test's output, where a failure can be read.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}
