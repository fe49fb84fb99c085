package server_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/server"
	"github.com/traffikgraph/traffikgraph/server/servertest"
)

// holdRequests sends n `{ hold }` requests with header and returns once all n are being
// resolved; release lets them finish and returns their statuses (0 for a request that failed).
func (h *harness) holdRequests(t *testing.T, n int, header http.Header) (release func() []int) {
	t.Helper()
	statuses := make([]int, n)
	var done sync.WaitGroup
	for i := range n {
		done.Go(func() {
			req, err := http.NewRequest(http.MethodPost, h.url+"/graphql", strings.NewReader(`{"query":"{ hold }"}`))
			if err != nil {
				return
			}
			req.Header = header.Clone()
			req.Header.Set("Content-Type", jsonType)
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
				statuses[i] = res.StatusCode
			}
		})
	}
	for range n {
		<-h.schema.held
	}
	var once sync.Once
	release = func() []int {
		once.Do(func() { close(h.schema.releaseHeld) })
		done.Wait()
		return statuses
	}
	t.Cleanup(func() { release() })
	return release
}

func limitedConcurrency(partner, anonymous int) option {
	return withConfig(func(cfg *server.Config) {
		cfg.PartnerConcurrency, cfg.AnonymousConcurrency = partner, anonymous
		cfg.ConcurrencyWait = 10 * time.Millisecond
	})
}

// TestOnePartnerCannotHoldTheService: a partner with as many requests in flight as it may have
// gets 429 LIMIT_EXCEEDED with Retry-After for the next one, after a short wait for a slot, while
// other partners and anonymous callers are served; once its requests finish it is served again.
func TestOnePartnerCannotHoldTheService(t *testing.T) {
	h := startServer(t, limitedConcurrency(2, 2))
	analystHeader := http.Header{"Authorization": {analystToken}}
	release := h.holdRequests(t, 2, analystHeader)

	res, got := h.post(t, "{ hello }", nil, analystHeader.Clone())
	assert.Equal(t, http.StatusTooManyRequests, res.status)
	assert.Equal(t, "1", res.header.Get("Retry-After"))
	require.Equal(t, []string{"LIMIT_EXCEEDED"}, got.codes())
	assert.Equal(t, "too many requests in flight for your partner (at most 2 at once, all its callers together); try again in 1 s", got.Errors[0].Message)

	res, got = h.post(t, "{ hello }", nil, http.Header{"Authorization": {bankToken}})
	assert.Equal(t, http.StatusOK, res.status, "another partner is served")
	assert.JSONEq(t, `{"hello":"world"}`, string(got.Data))
	res, _ = h.post(t, "{ hello }", nil, nil)
	assert.Equal(t, http.StatusOK, res.status, "anonymous callers are served")

	assert.Equal(t, []int{http.StatusOK, http.StatusOK}, release())
	res, _ = h.post(t, "{ hello }", nil, analystHeader.Clone())
	assert.Equal(t, http.StatusOK, res.status, "slots are given back")
}

// TestAnonymousCallersShareOneConcurrencyBound: every caller without a token counts against one
// bound, whatever its address, so anonymous floods cannot hold the service either.
func TestAnonymousCallersShareOneConcurrencyBound(t *testing.T) {
	h := startServer(t, limitedConcurrency(2, 1))
	release := h.holdRequests(t, 1, http.Header{})

	res, got := h.post(t, "{ hello }", nil, nil)
	assert.Equal(t, http.StatusTooManyRequests, res.status)
	assert.Equal(t, "1", res.header.Get("Retry-After"))
	require.Equal(t, []string{"LIMIT_EXCEEDED"}, got.codes())
	assert.Equal(t, "too many requests without a token in flight (at most 1 at once, all such callers together); try again in 1 s", got.Errors[0].Message)

	res, _ = h.post(t, "{ hello }", nil, http.Header{"Authorization": {analystToken}})
	assert.Equal(t, http.StatusOK, res.status, "partners are served")
	assert.Equal(t, []int{http.StatusOK}, release())
}

// TestAnonymousReportsHaveSlotsOfTheirOwn: callers without a token reading (public hotspots)
// fill only the slots of reads; a mutation (submitting a report) still takes one of its own, and
// a mutation named among other operations too. Reads stay bounded meanwhile.
func TestAnonymousReportsHaveSlotsOfTheirOwn(t *testing.T) {
	h := startServer(t, limitedConcurrency(2, 1))
	release := h.holdRequests(t, 1, http.Header{})

	res, got := h.post(t, "mutation { touch }", nil, nil)
	assert.Equal(t, http.StatusOK, res.status, "a report is taken while reads fill theirs: %+v", got.Errors)
	json := http.Header{"Content-Type": {"application/json"}}
	res = h.do(t, http.MethodPost, "/graphql", json, `{"query":"query Read { hello } mutation Report { touch }","operationName":"Report"}`)
	assert.Equal(t, http.StatusOK, res.status, "the operation named is the mutation: %s", res.body)

	res = h.do(t, http.MethodPost, "/graphql", json, `{"query":"query Read { hello } mutation Report { touch }","operationName":"Read"}`)
	assert.Equal(t, http.StatusTooManyRequests, res.status, "a read named beside a mutation is a read")
	assert.Equal(t, []string{"LIMIT_EXCEEDED"}, decodeGraphQL(t, res.body).codes())
	assert.Equal(t, []int{http.StatusOK}, release())
}

// TestRootFieldsOfOneOperationShareFewConnections: the root fields of a query resolve
// concurrently, each with its own Neo4j query; at most RootFieldParallelism of one operation run
// at a time, so a request with many aliases holds a bounded share of the connection pool.
func TestRootFieldsOfOneOperationShareFewConnections(t *testing.T) {
	h := startServer(t, withConfig(func(cfg *server.Config) {
		cfg.RootFieldParallelism = 2
		cfg.RequestTimeout = 500 * time.Millisecond
	}))
	// Nothing releases the holds: each waits for the request's deadline, long enough for all
	// three to be waiting at once if nothing bounded them.
	_, got := h.post(t, "{ a: hold b: hold c: hold }", nil, http.Header{"Authorization": {analystToken}})
	assert.Equal(t, int32(2), h.schema.mostHeld.Load())
	assert.Equal(t, []string{"UNAVAILABLE", "UNAVAILABLE", "UNAVAILABLE"}, got.codes(), "each ran into the deadline")
}

// TestSlowBodiesHoldNoSlot: the body is read whole before the request takes a concurrency slot,
// so clients trickling their bodies, as many as there are slots, hold only their connections: a
// normal request of the same partner, and of an anonymous caller, is served meanwhile. Once their
// bodies are in, they are served too.
func TestSlowBodiesHoldNoSlot(t *testing.T) {
	h := startServer(t, limitedConcurrency(2, 2))
	const body = `{"query":"{ hello }"}`
	var tricklers []*servertest.Trickler
	for _, authorization := range []string{"", "", analystToken, analystToken} {
		tricklers = append(tricklers, servertest.StartTrickling(t, h.url, authorization, body))
	}

	res, got := h.post(t, "{ hello }", nil, nil)
	assert.Equal(t, http.StatusOK, res.status, "an anonymous caller is served: %+v", got.Errors)
	res, got = h.post(t, "{ hello }", nil, http.Header{"Authorization": {analystToken}})
	assert.Equal(t, http.StatusOK, res.status, "the partner is served: %+v", got.Errors)

	for _, tr := range tricklers {
		res, body := tr.Finish(t)
		assert.Equal(t, http.StatusOK, res.StatusCode)
		assert.JSONEq(t, `{"hello":"world"}`, string(decodeGraphQL(t, body).Data))
	}
}

// TestASlowBodyIsRefused: a body that has not arrived within the body timeout gets 408
// LIMIT_EXCEEDED, and the connection is closed.
func TestASlowBodyIsRefused(t *testing.T) {
	h := startServer(t, withConfig(func(cfg *server.Config) { cfg.BodyTimeout = 100 * time.Millisecond }))
	res, body := servertest.StartTrickling(t, h.url, analystToken, `{"query":"{ hello }"}`).Answer(t)
	got := decodeGraphQL(t, body)

	assert.Equal(t, http.StatusRequestTimeout, res.StatusCode)
	assert.True(t, res.Close, "Connection: close")
	require.Equal(t, []string{"LIMIT_EXCEEDED"}, got.codes())
	assert.Equal(t, "the request body did not arrive within 100ms; send it at once", got.Errors[0].Message)
}

// TestBodiesArrivingAtOnceAreBounded: a body is read whole before its request takes a slot, so
// the bodies arriving at once are bounded instead, before any byte is read (3,000 half-sent
// bodies of one partner held 1.8 GB): a count per partner, all its callers together, and per
// address without a token; and their bytes, of which callers without a token use at most a
// quarter. Over a bound: 429 LIMIT_EXCEEDED with Retry-After, while others are served.
func TestBodiesArrivingAtOnceAreBounded(t *testing.T) {
	const hello = `{"query":"{ hello }"}`
	// padded is a body of about size bytes asking { hello }.
	padded := func(size int) string {
		return `{"query":"{ hello }` + strings.Repeat(" ", size-len(hello)) + `"}`
	}
	refused := func(t *testing.T, res httpResponse, got graphQLResponse) {
		t.Helper()
		assert.Equal(t, http.StatusTooManyRequests, res.status)
		assert.Equal(t, "1", res.header.Get("Retry-After"))
		assert.Equal(t, []string{"LIMIT_EXCEEDED"}, got.codes())
	}

	t.Run("per partner and per address", func(t *testing.T) {
		h := startServer(t, withConfig(func(cfg *server.Config) { cfg.BodiesPerCaller = 2 }))
		var tricklers []*servertest.Trickler
		for _, authorization := range []string{analystToken, colleagueToken, "", ""} {
			tricklers = append(tricklers, servertest.StartTrickling(t, h.url, authorization, hello))
		}
		res, got := h.post(t, "{ hello }", nil, http.Header{"Authorization": {analystToken}})
		refused(t, res, got)
		res, got = h.post(t, "{ hello }", nil, nil)
		refused(t, res, got)
		res, got = h.post(t, "{ hello }", nil, http.Header{"Authorization": {bankToken}})
		assert.Equal(t, http.StatusOK, res.status, "another partner is served: %+v", got.Errors)

		for _, tr := range tricklers {
			res, _ := tr.Finish(t)
			assert.Equal(t, http.StatusOK, res.StatusCode)
		}
		res, got = h.post(t, "{ hello }", nil, http.Header{"Authorization": {analystToken}})
		assert.Equal(t, http.StatusOK, res.status, "served once its bodies are in: %+v", got.Errors)
		res, got = h.post(t, "{ hello }", nil, nil)
		assert.Equal(t, http.StatusOK, res.status, "served once its bodies are in: %+v", got.Errors)
	})

	t.Run("their bytes", func(t *testing.T) {
		h := startServer(t, withConfig(func(cfg *server.Config) {
			cfg.MaxBodyBytes, cfg.BodyBytesInFlight = 1000, 4000
		}))
		// Without a token: a quarter, 1,000 bytes.
		servertest.StartTrickling(t, h.url, "", padded(900))
		res, got := h.post(t, "{ hello }"+strings.Repeat(" ", 200), nil, nil)
		refused(t, res, got)
		// Partners: the rest.
		for range 3 {
			servertest.StartTrickling(t, h.url, analystToken, padded(900))
		}
		res, got = h.post(t, "{ hello }"+strings.Repeat(" ", 400), nil, http.Header{"Authorization": {bankToken}})
		refused(t, res, got)
		res, got = h.post(t, "{ hello }", nil, http.Header{"Authorization": {bankToken}})
		assert.Equal(t, http.StatusOK, res.status, "a body that fits is served: %+v", got.Errors)
	})
}
