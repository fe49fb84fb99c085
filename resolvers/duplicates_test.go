package resolvers_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
	"github.com/traffikgraph/traffikgraph/store"
)

// TestDuplicateCandidatesOverGraphQL: the scope, the typed pairs and reasons, the redaction of a
// caller without graph:read:pii, and the audit of what the answer was computed from.
func TestDuplicateCandidatesOverGraphQL(t *testing.T) {
	h := newHarness(t)
	h.callers["supply"] = auth.Caller{Issuer: "test", Subject: "sue", PartnerID: h.A, Scopes: []auth.Scope{auth.ScopeSupplyChainRead}}
	create := func(partner, label, tlp string, input map[string]any) string {
		ctx := auth.WithCaller(context.Background(), auth.Caller{Issuer: "test", Subject: "setup", PartnerID: partner, Scopes: []auth.Scope{auth.ScopeGraphWrite}})
		n, err := h.store.Create(ctx, label, store.CreateParams{Properties: store.Patch{Set: input}, Marking: store.Marking{Tlp: tlp}})
		require.NoError(t, err)
		return n.NodeID()
	}
	family := "Qx" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	mine := create(h.A, tg.LabelPerson, "GREEN", map[string]any{"name": "Zorra " + family, "birthYear": 1980})
	theirs := create(h.B, tg.LabelPerson, "AMBER", map[string]any{"name": strings.ToUpper(family) + ", Zorra", "birthYear": 1980})

	const query = `query Dupes($type: DuplicateType!) { duplicateCandidates(type: $type, first: 500) {
  totalCount skippedKeys pageInfo { hasNextPage endCursor }
  edges { cursor node { score a { id ... on Person { name } } b { id ... on Person { name } }
    reasons { kind weight similarity evidence { id } } } } } }`
	pairOf := func(resp testkit.Response) map[string]any {
		edges, _ := testkit.Dig(resp.Data, "duplicateCandidates", "edges").([]any)
		for _, e := range edges {
			node := e.(map[string]any)["node"].(map[string]any)
			a, b := testkit.Dig(node, "a", "id"), testkit.Dig(node, "b", "id")
			if (a == mine && b == theirs) || (a == theirs && b == mine) {
				return node
			}
		}
		return nil
	}

	for _, token := range []string{"", "supply"} {
		t.Run("FORBIDDEN without graph:read ("+token+")", func(t *testing.T) {
			resp := h.do(token, query, map[string]any{"type": "PERSON"})
			assert.Equal(t, []string{"FORBIDDEN"}, resp.Codes())
		})
	}
	t.Run("a partner of the group finds the pair, with its reasons, and the answer is audited", func(t *testing.T) {
		resp := h.do("a", query, map[string]any{"type": "PERSON"})
		require.Empty(t, resp.Errors)
		pair := pairOf(resp)
		require.NotNil(t, pair)
		score, err := pair["score"].(json.Number).Float64()
		require.NoError(t, err)
		assert.Greater(t, score, 0.9)
		kinds := []any{}
		for _, r := range pair["reasons"].([]any) {
			kinds = append(kinds, r.(map[string]any)["kind"])
		}
		assert.ElementsMatch(t, []any{"SIMILAR_NAME", "SAME_BIRTH_YEAR"}, kinds)
		assert.Contains(t, []any{"Zorra " + family, strings.ToUpper(family) + ", Zorra"}, testkit.Dig(pair, "a", "name"))

		events := eventsOf(h.auditEvents(h.A), "Dupes")
		require.Len(t, events, 1)
		assert.Contains(t, events[0]["markings"], "AMBER")
		assert.Contains(t, events[0]["piiFields"], "Person.name")
		assert.Contains(t, events[0]["entityIds"], theirs)
	})
	t.Run("the query of docs/triage.md finds the pair", func(t *testing.T) {
		_, sections := triagePage(t)
		queries := graphqlBlocks(sections["Finding duplicates"])
		require.Len(t, queries, 1)
		var after any
		for page := 0; ; page++ {
			resp := h.do("a", queries[0], map[string]any{"after": after})
			require.Empty(t, resp.Errors)
			if pairOf(resp) != nil {
				break
			}
			require.Equal(t, true, testkit.Dig(resp.Data, "duplicateCandidates", "pageInfo", "hasNextPage"), "the pair is on a page")
			after = testkit.Dig(resp.Data, "duplicateCandidates", "pageInfo", "endCursor")
		}
	})
	t.Run("without graph:read:pii people are not paired", func(t *testing.T) {
		resp := h.do("a-no-pii", query, map[string]any{"type": "PERSON"})
		require.Empty(t, resp.Errors)
		assert.Nil(t, pairOf(resp))
	})
	t.Run("a partner outside the group does not see the AMBER record", func(t *testing.T) {
		resp := h.do("c", query, map[string]any{"type": "PERSON"})
		require.Empty(t, resp.Errors)
		assert.Nil(t, pairOf(resp))
	})
	t.Run("a bad type is a validation error", func(t *testing.T) {
		resp := h.do("a", query, map[string]any{"type": "INCIDENT"})
		assert.NotEmpty(t, resp.Errors)
		assert.Nil(t, resp.Data["duplicateCandidates"])
	})
}
