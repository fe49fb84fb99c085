// Package e2e_test runs traffikgraph end to end with a real OpenID Connect provider: the node
// `oidc-provider` in this folder issues each partner's access tokens over HTTP, and the service
// is wired exactly as `traffikgraph serve` wires it (store, schema, authenticator from an issuers
// file, HTTP server with the audit extension), against the Neo4j named by NEO4J_*.
//
// It needs Node 20+ and `npm ci --prefix e2e`; without them it fails, it does not skip.
package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
	"github.com/traffikgraph/traffikgraph/resolvers"
	"github.com/traffikgraph/traffikgraph/server"
	"github.com/traffikgraph/traffikgraph/store"
)

// audience is the API audience the provider's tokens carry and the service requires.
const audience = "https://api.traffikgraph.test"

// otherAudience is another API the provider issues tokens for.
const otherAudience = "https://other-api.example"

// everyScope is what the partners' clients may ask for; each test asks for the scopes it needs.
var everyScope = []string{
	"graph:read", "graph:read:pii", "graph:write", "supplychain:read",
	"reports:submit", "reports:triage", "audit:read", "admin",
}

// world is the running system and the data seeded into it. Partners A and B share a sharing
// group; C shares none with them. Their ids are unique to the run.
//
// Two issuers are trusted, as in a deployment where a partner brings its own identity provider:
// the hub's own (issuer), which speaks for A, B, C and ghost and may grant every scope, and
// partner D's own (partnerIssuer), which speaks for D and E and may not grant admin. E's Partner
// node names the hub's issuer, so the graph refuses partnerIssuer's tokens for it.
type world struct {
	api string
	// unauditable is the same service whose audit trail cannot be written.
	unauditable   string
	issuer        string
	partnerIssuer string
	A, B, C       string
	D, E          string
	ghost         string // a partner the provider names but that is not registered
	group         string
	store         *store.Store
	// nodes maps a seeded node's name (strictPerson...) to its id.
	nodes map[string]string

	clients map[string]client
	tokens  sync.Map
}

type client struct {
	ID      string `json:"client_id"`
	Secret  string `json:"client_secret"`
	Partner string `json:"partner"`
	Scope   string `json:"scope"`
	TTL     int    `json:"ttl"`
	// unexported: not sent to the provider
	scopes []string
	// ofPartnerIssuer puts the client at partner D's own provider instead of the hub's.
	ofPartnerIssuer bool
}

var env *world

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// run starts the provider and the service, seeds the world, runs the tests and cleans up.
func run(m *testing.M) (code int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	suffix := randomHex(6)
	w := &world{
		A: "e2e-a-" + suffix, B: "e2e-b-" + suffix, C: "e2e-c-" + suffix, D: "e2e-d-" + suffix, E: "e2e-e-" + suffix,
		ghost: "e2e-ghost-" + suffix, group: "e2e-g-" + suffix, nodes: map[string]string{},
	}
	w.clients = map[string]client{
		"a":        {ID: "partner-a", Partner: w.A, scopes: everyScope},
		"b":        {ID: "partner-b", Partner: w.B, scopes: everyScope},
		"c":        {ID: "partner-c", Partner: w.C, scopes: everyScope},
		"expiring": {ID: "partner-a-short-lived", Partner: w.A, scopes: []string{"graph:read"}, TTL: 1},
		// Another client of partner A: another subject of the same partner.
		"a-colleague": {ID: "partner-a-colleague", Partner: w.A, scopes: []string{"graph:read"}},
		"ghost":       {ID: "unregistered-partner", Partner: w.ghost, scopes: []string{"graph:read"}},
		"hub-as-d":    {ID: "hub-client-claiming-d", Partner: w.D, scopes: []string{"graph:read"}},
		// Partner D's own provider lets its clients ask for anything, admin included, and name any
		// partner: what a compromised or careless partner IdP does.
		"d":        {ID: "partner-d", Partner: w.D, scopes: everyScope, ofPartnerIssuer: true},
		"d-as-hub": {ID: "partner-d-claiming-a", Partner: w.A, scopes: everyScope, ofPartnerIssuer: true},
		"e":        {ID: "partner-e", Partner: w.E, scopes: everyScope, ofPartnerIssuer: true},
	}
	for name, c := range w.clients {
		c.Secret, c.Scope = randomHex(24), strings.Join(c.scopes, " ")
		if c.TTL == 0 {
			c.TTL = 300
		}
		w.clients[name] = c
	}

	var stopProvider func()
	if w.issuer, stopProvider, err = w.startProvider(ctx, false); err != nil {
		return 0, err
	}
	defer stopProvider()
	if w.partnerIssuer, stopProvider, err = w.startProvider(ctx, true); err != nil {
		return 0, err
	}
	defer stopProvider()

	if w.store, err = openStore(ctx, w.A); err != nil {
		return 0, err
	}
	defer w.store.Close(context.Background())
	defer func() { err = errors.Join(err, w.cleanup()) }()
	if err := w.seed(ctx); err != nil {
		return 0, err
	}

	api, err := w.startService(ctx, w.store)
	if err != nil {
		return 0, err
	}
	defer api.Close()
	w.api = api.URL

	// The same service, but its audit trail lives in a store whose driver is closed.
	broken, err := openStore(ctx, w.A)
	if err != nil {
		return 0, err
	}
	if err := broken.Close(ctx); err != nil {
		return 0, err
	}
	unauditable, err := w.startServiceWithAudit(ctx, w.store, broken)
	if err != nil {
		return 0, err
	}
	defer unauditable.Close()
	w.unauditable = unauditable.URL

	env = w
	return m.Run(), nil
}

// startProvider runs provider.mjs on a free loopback port, with the clients of the hub's
// provider or (ofPartnerIssuer) of partner D's, and waits for its discovery document.
func (w *world) startProvider(ctx context.Context, ofPartnerIssuer bool) (issuer string, stop func(), err error) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", nil, errors.New("node (20+) is required for the end-to-end tests: install Node.js, then `npm ci --prefix e2e`")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "oidc-provider", "package.json")); err != nil {
		return "", nil, errors.New("oidc-provider is not installed: run `npm ci --prefix e2e` first")
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	issuer = fmt.Sprintf("http://127.0.0.1:%d", port)
	clients := make([]client, 0, len(w.clients))
	for _, c := range w.clients {
		if c.ofPartnerIssuer == ofPartnerIssuer {
			clients = append(clients, c)
		}
	}
	clientsJSON, err := json.Marshal(clients)
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command("node", "provider.mjs")
	cmd.Env = append(os.Environ(),
		"E2E_ISSUER="+issuer, fmt.Sprintf("E2E_PORT=%d", port),
		"E2E_AUDIENCE="+audience, "E2E_CLIENTS="+string(clientsJSON))
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("starting the OIDC provider: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	discovery := issuer + "/.well-known/openid-configuration"
	for {
		select {
		case err := <-exited:
			return "", nil, fmt.Errorf("the OIDC provider exited (%v):\n%s", err, output.String())
		case <-ctx.Done():
			stop()
			return "", nil, fmt.Errorf("the OIDC provider did not serve %s in time:\n%s", discovery, output.String())
		case <-time.After(50 * time.Millisecond):
		}
		if res, err := http.Get(discovery); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return issuer, stop, nil
			}
		}
	}
}

func openStore(ctx context.Context, triagePartner string) (*store.Store, error) {
	uri := os.Getenv("NEO4J_URI")
	if uri == "" {
		return nil, errors.New("NEO4J_URI must point at the test Neo4j: run the tests with `make test`, which starts it")
	}
	return store.Open(ctx, store.Config{
		URI:      uri,
		Username: os.Getenv("NEO4J_USERNAME"),
		Password: os.Getenv("NEO4J_PASSWORD"),
		Database: os.Getenv("NEO4J_DATABASE"),
		// Anonymous reports go to partner A, the hub's triage partner in this world.
		TriagePartner: triagePartner,
	})
}

// startService wires the service as cmd/traffikgraph/serve.go does, with an issuers file
// trusting the provider.
func (w *world) startService(ctx context.Context, s *store.Store) (*httptest.Server, error) {
	return w.startServiceWithAudit(ctx, s, s)
}

func (w *world) startServiceWithAudit(ctx context.Context, s, auditStore *store.Store) (*httptest.Server, error) {
	dir, err := os.MkdirTemp("", "traffikgraph-e2e-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	issuersFile := filepath.Join(dir, "issuers.yaml")
	yaml := fmt.Sprintf(`issuers:
  - url: %s
    audience: %s
    requireAccessTokenType: true
    # No skew, so that a token one second past its expiry is refused.
    clockSkew: 0s
    partner:
      claim: partner
    hub: true
    grants: [%s]
    # ghost is listed but never registered: the graph refuses it.
    partners: [%s, %s, %s, %s]
  - url: %s
    audience: %s
    requireAccessTokenType: true
    partner:
      claim: partner
    grants: [graph:read, graph:read:pii, graph:write, reports:submit, audit:read]
    partners: [%s, %s]
`, w.issuer, audience, strings.Join(everyScope, ", "), w.A, w.B, w.C, w.ghost,
		w.partnerIssuer, audience, w.D, w.E)
	if err := os.WriteFile(issuersFile, []byte(yaml), 0o600); err != nil {
		return nil, err
	}
	issuers, err := auth.LoadIssuers(issuersFile)
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	authenticator, err := auth.NewAuthenticator(ctx, issuers, s, logger)
	if err != nil {
		return nil, err
	}
	cfg := server.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	handler := server.New(cfg, server.Deps{
		Schema:       resolvers.NewExecutableSchema(s),
		Auth:         authenticator,
		Ready:        s.Ping,
		PerOperation: resolvers.PerOperation(s),
		Logger:       logger,
		Extensions:   []graphql.HandlerExtension{resolvers.Audit(auditStore, logger)},
	})
	return httptest.NewServer(handler), nil
}

// seed registers partners A, B and C (A and B in one sharing group) and the nodes the tests
// read. Partner A contributes one person per marking; B one AMBER_STRICT person.
func (w *world) seed(ctx context.Context) error {
	_, err := neo4j.ExecuteQuery(ctx, w.store.Driver(), `
UNWIND $partners AS pid
CREATE (:Entity:Partner {id: pid, name: pid, kind: 'NGO', tlp: 'CLEAR', sourcePartner: pid, sharedWith: [], externalRefs: [],
        createdAt: datetime(), updatedAt: datetime()})
WITH count(*) AS created
CREATE (g:Entity:SharingGroup {id: $group, name: $group, tlp: 'CLEAR', sourcePartner: $a, sharedWith: [], externalRefs: [],
        createdAt: datetime(), updatedAt: datetime()})
WITH g
MATCH (p:Partner) WHERE p.id IN [$a, $b]
CREATE (p)-[:MEMBER_OF {tlp: 'CLEAR', sourcePartner: $a, sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()}]->(g)`,
		map[string]any{"partners": []string{w.A, w.B, w.C, w.D, w.E}, "group": w.group, "a": w.A, "b": w.B},
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(w.store.Database()))
	if err != nil {
		return fmt.Errorf("seeding partners: %w", err)
	}
	// D's node names its own issuer; E's names the hub's, though the issuers file lets D's
	// issuer speak for E: the graph's binding holds as well as the file's.
	_, err = neo4j.ExecuteQuery(ctx, w.store.Driver(), `
UNWIND $bindings AS binding
MATCH (p:Partner {id: binding.partner}) SET p.issuer = binding.issuer`,
		map[string]any{"bindings": []map[string]any{{"partner": w.D, "issuer": w.partnerIssuer}, {"partner": w.E, "issuer": w.issuer}}},
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(w.store.Database()))
	if err != nil {
		return fmt.Errorf("binding partners to issuers: %w", err)
	}
	asA := auth.WithCaller(ctx, auth.Caller{Issuer: "seed", Subject: "seed", PartnerID: w.A, Scopes: []auth.Scope{auth.ScopeGraphWrite}})
	asB := auth.WithCaller(ctx, auth.Caller{Issuer: "seed", Subject: "seed", PartnerID: w.B, Scopes: []auth.Scope{auth.ScopeGraphWrite}})
	people := []struct {
		name, personName string
		ctx              context.Context
		marking          store.Marking
	}{
		{"clearPerson", "Clear Person", asA, store.Marking{Tlp: "CLEAR"}},
		{"greenPerson", "Green Person", asA, store.Marking{Tlp: "GREEN"}},
		{"amberPerson", "Amber Person", asA, store.Marking{Tlp: "AMBER"}},
		{"strictPerson", "Strict Person", asA, store.Marking{Tlp: "AMBER_STRICT"}},
		{"redPerson", "Red Person", asA, store.Marking{Tlp: "RED", SharedWith: []string{w.C}}},
		{"strictPersonOfB", "Strict Person of B", asB, store.Marking{Tlp: "AMBER_STRICT"}},
	}
	for _, p := range people {
		node, err := w.store.Create(p.ctx, tg.LabelPerson, store.CreateParams{
			Properties: store.Patch{Set: map[string]any{"name": p.personName, "birthYear": int64(1990), "nationality": "GB"}}, Marking: p.marking,
		})
		if err != nil {
			return fmt.Errorf("seeding %s: %w", p.name, err)
		}
		w.nodes[p.name] = node.NodeID()
	}
	// The CLEAR person's associates: an AMBER_STRICT person over a CLEAR relationship, a GREEN
	// person over an AMBER_STRICT relationship, and an AMBER person over a CLEAR one.
	links := []struct {
		to      string
		marking store.Marking
	}{
		{"strictPerson", store.Marking{Tlp: "CLEAR"}},
		{"greenPerson", store.Marking{Tlp: "AMBER_STRICT"}},
		{"amberPerson", store.Marking{Tlp: "CLEAR"}},
	}
	for _, l := range links {
		if _, err := w.store.Link(asA, store.LinkParams{
			Type: tg.RelAssociateOf, From: w.nodes["clearPerson"], To: w.nodes[l.to],
			Properties: store.Patch{Set: map[string]any{"kind": "CRIMINAL_ASSOCIATE"}}, Marking: l.marking,
		}); err != nil {
			return fmt.Errorf("seeding the association to %s: %w", l.to, err)
		}
	}
	return nil
}

// cleanup deletes everything the run created: its partners' nodes, the group, and the audit
// events of its partners or about its nodes (anonymous submissions included).
func (w *world) cleanup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := neo4j.ExecuteQuery(ctx, w.store.Driver(), `
MATCH (n:Entity) WHERE n.sourcePartner IN $partners OR n.id IN $partners OR n.id = $group
WITH collect(n) AS nodes, collect(n.id) AS ids
CALL {
    WITH ids
    MATCH (e:AuditEvent)
    WHERE e.partner IN $partners OR any(id IN e.entityIds WHERE id IN ids)
    DETACH DELETE e
}
FOREACH (n IN nodes | DETACH DELETE n)`,
		map[string]any{"partners": []string{w.A, w.B, w.C, w.D, w.E}, "group": w.group},
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(w.store.Database()))
	if err != nil {
		return fmt.Errorf("cleaning up: %w", err)
	}
	return nil
}

// token returns an access token the provider issued to the named client for the API, with
// the given scopes (cached per client and scopes).
func (w *world) token(t *testing.T, clientName string, scopes ...string) string {
	t.Helper()
	key := clientName + "|" + strings.Join(scopes, " ")
	if cached, ok := w.tokens.Load(key); ok {
		return cached.(string)
	}
	token := w.fetchToken(t, clientName, audience, scopes...)
	w.tokens.Store(key, token)
	return token
}

// fetchToken asks the provider's token endpoint for a client-credentials access token for
// resource.
func (w *world) fetchToken(t *testing.T, clientName, resource string, scopes ...string) string {
	t.Helper()
	c, ok := w.clients[clientName]
	require.True(t, ok, "no client %q", clientName)
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {resource}, "scope": {strings.Join(scopes, " ")}}
	issuer := w.issuer
	if c.ofPartnerIssuer {
		issuer = w.partnerIssuer
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, issuer+"/token", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(c.ID, c.Secret)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
	require.Equal(t, http.StatusOK, res.StatusCode, "token endpoint: %s", body.Error)
	require.NotEmpty(t, body.AccessToken)
	return body.AccessToken
}

// query posts a GraphQL request to the service with the given Authorization header value
// ("" for none).
func query(t *testing.T, api, authorization, document string, variables map[string]any) testkit.Response {
	t.Helper()
	header := http.Header{}
	if authorization != "" {
		header.Set("Authorization", authorization)
	}
	return queryWithHeader(t, api, header, document, variables)
}

// queryWithHeader posts a GraphQL request with exactly the given headers (an empty value is sent
// as a header present but empty).
func queryWithHeader(t *testing.T, api string, header http.Header, document string, variables map[string]any) testkit.Response {
	t.Helper()
	return testkit.Client{URL: api + "/graphql"}.Post(t, header, document, variables)
}

// as queries the service with a token of the named client holding scopes.
func (w *world) as(t *testing.T, clientName string, scopes ...string) func(document string, variables map[string]any) testkit.Response {
	bearer := "Bearer " + w.token(t, clientName, scopes...)
	return func(document string, variables map[string]any) testkit.Response {
		t.Helper()
		return query(t, w.api, bearer, document, variables)
	}
}

// anonymous queries the service without a token.
func (w *world) anonymous(t *testing.T) func(document string, variables map[string]any) testkit.Response {
	return func(document string, variables map[string]any) testkit.Response {
		t.Helper()
		return query(t, w.api, "", document, variables)
	}
}

// edgeIDs returns the node ids of a connection's edges.
func edgeIDs(connection any) []string {
	ids := []string{}
	edges, _ := testkit.Dig(connection, "edges").([]any)
	for _, e := range edges {
		ids = append(ids, testkit.Dig(e, "node", "id").(string))
	}
	return ids
}

// auditEventsAbout returns, as partner A's admin auditor sees them, the audit events that name
// the entity.
func (w *world) auditEventsAbout(t *testing.T, entityID string) []map[string]any {
	t.Helper()
	got := w.as(t, "a", "audit:read", "admin")(`query($id: ID!) {
  auditEvents(first: 100, where: {entityId: $id}) {
    edges { node { id issuer subject partner operationName operationType rootFields entityIds piiFields complete } }
  }
}`, map[string]any{"id": entityID})
	require.Empty(t, got.Errors)
	var events []map[string]any
	for _, e := range testkit.Dig(got.Data, "auditEvents", "edges").([]any) {
		events = append(events, testkit.Dig(e, "node").(map[string]any))
	}
	return events
}

// withOperationName keeps only the events of the named operation.
func withOperationName(events []map[string]any, name string) []map[string]any {
	var out []map[string]any
	for _, e := range events {
		if e["operationName"] == name {
			out = append(out, e)
		}
	}
	return out
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// tamper changes one character of a JWT's payload, so that its signature no longer matches.
func tamper(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	forged := strings.Replace(string(payload), `"scope":"graph:read"`, `"scope":"graph:read admin"`, 1)
	require.NotEqual(t, string(payload), forged, "the token carries the scope to forge")
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(forged))
	return strings.Join(parts, ".")
}

// TestEndToEnd walks the access model with real tokens from the provider.
func TestEndToEnd(t *testing.T) {
	w := env
	const people = `query People($partners: [ID!]) {
  people(first: 50, where: {provenance: {sourcePartner_in: $partners}}) { totalCount edges { node { id name } } }
}`
	partners := map[string]any{"partners": []any{w.A, w.B}}

	t.Run("PartnersAAndBSeeExactlyWhatTheirMarkingsAllow", func(t *testing.T) {
		want := map[string][]string{
			"a": {"clearPerson", "greenPerson", "amberPerson", "strictPerson", "redPerson"},
			"b": {"clearPerson", "greenPerson", "amberPerson", "strictPersonOfB"},
			"c": {"clearPerson", "greenPerson", "redPerson"},
		}
		for clientName, names := range want {
			got := w.as(t, clientName, "graph:read")(people, partners)
			require.Empty(t, got.Errors, clientName)
			var ids []string
			for _, n := range names {
				ids = append(ids, w.nodes[n])
			}
			assert.ElementsMatch(t, ids, edgeIDs(testkit.Dig(got.Data, "people")), clientName)
			assert.EqualValues(t, len(ids), testkit.Dig(got.Data, "people", "totalCount"), clientName)
		}
	})

	t.Run("NodeByIDFollowsTheSameMarkings", func(t *testing.T) {
		const node = `query($id: ID!) { node(id: $id) { id } }`
		for name, seenByB := range map[string]bool{
			"clearPerson": true, "greenPerson": true, "amberPerson": true, "strictPerson": false, "redPerson": false,
		} {
			got := w.as(t, "b", "graph:read")(node, map[string]any{"id": w.nodes[name]})
			require.Empty(t, got.Errors)
			if seenByB {
				assert.Equal(t, w.nodes[name], testkit.Dig(got.Data, "node", "id"), name)
			} else {
				assert.Nil(t, got.Data["node"], name)
			}
		}
	})

	t.Run("PersonalDataIsRedactedWithoutGraphReadPII", func(t *testing.T) {
		got := w.as(t, "a", "graph:read")(`query($id: ID!) { node(id: $id) { ... on Person { id name birthYear nationality } } }`,
			map[string]any{"id": w.nodes["clearPerson"]})
		require.Empty(t, got.Errors)
		assert.Nil(t, testkit.Dig(got.Data, "node", "name"))
		assert.Nil(t, testkit.Dig(got.Data, "node", "birthYear"))
		assert.Equal(t, "GB", testkit.Dig(got.Data, "node", "nationality"))
		assert.ElementsMatch(t, []string{"node.name", "node.birthYear"}, got.Redacted())
	})

	t.Run("PersonalDataIsReturnedWithGraphReadPII", func(t *testing.T) {
		got := w.as(t, "a", "graph:read", "graph:read:pii")(`query($id: ID!) { node(id: $id) { ... on Person { name } } }`,
			map[string]any{"id": w.nodes["clearPerson"]})
		require.Empty(t, got.Errors)
		assert.Equal(t, "Clear Person", testkit.Dig(got.Data, "node", "name"))
		assert.Empty(t, got.Redacted())
	})

	t.Run("AMissingScopeIsForbiddenForThatFieldOnly", func(t *testing.T) {
		got := w.as(t, "a", "graph:read")(`{ partners(first: 1) { totalCount } auditEvents { totalCount } }`, nil)
		assert.Equal(t, "FORBIDDEN", got.CodeAt("auditEvents"))
		assert.Nil(t, got.Data["auditEvents"])
		assert.NotNil(t, got.Data["partners"], "the rest of the response is answered")
	})

	t.Run("BrokenTokensAreRefusedWith401", func(t *testing.T) {
		valid := w.token(t, "a", "graph:read")
		expiring := w.fetchToken(t, "expiring", audience, "graph:read")
		wrongAudience := w.fetchToken(t, "a", otherAudience, "graph:read")
		unregistered := w.fetchToken(t, "ghost", audience, "graph:read")
		// The short-lived token lives one second; the issuer allows no clock skew.
		time.Sleep(2 * time.Second)
		for name, header := range map[string]string{
			"a tampered token":                 "Bearer " + tamper(t, valid),
			"an expired token":                 "Bearer " + expiring,
			"a token for another API":          "Bearer " + wrongAudience,
			"a token for an unknown partner":   "Bearer " + unregistered,
			"a malformed Authorization header": "Token " + valid,
		} {
			got := query(t, w.api, header, `{ partners(first: 1) { totalCount } }`, nil)
			assert.Equal(t, http.StatusUnauthorized, got.Status, name)
			assert.Equal(t, []string{"UNAUTHENTICATED"}, got.Codes(), name)
			assert.Nil(t, got.Data, name)
		}
		for name, value := range map[string]string{"an empty Authorization header": "", "a blank Authorization header": "   "} {
			got := queryWithHeader(t, w.api, http.Header{"Authorization": {value}}, `{ partners(first: 1) { totalCount } }`, nil)
			assert.Equal(t, http.StatusUnauthorized, got.Status, name)
			assert.Equal(t, []string{"UNAUTHENTICATED"}, got.Codes(), name)
			assert.NotEmpty(t, got.Header.Get("WWW-Authenticate"), name)
			assert.Nil(t, got.Data, name)
		}
	})

	t.Run("AnonymousCallerCanSubmitAReportAndGetsOnlyAReceipt", func(t *testing.T) {
		got := w.anonymous(t)(`mutation Submit($input: SubmitReportInput!) { submitReport(input: $input) { receiptId receivedAt } }`,
			map[string]any{"input": map[string]any{
				"text": "A man keeps the workers' passports at the car wash.", "language": "en", "channel": "APP",
				"approxLocation": map[string]any{"latitude": 53.480759, "longitude": -2.242631},
			}})
		require.Empty(t, got.Errors)
		receipt := testkit.Dig(got.Data, "submitReport").(map[string]any)
		assert.Len(t, receipt, 2, "the receipt id and time, nothing about the data")
		id := receipt["receiptId"].(string)

		triage := w.as(t, "a", "graph:read", "graph:read:pii", "reports:triage")(
			`query($id: ID!) { node(id: $id) { ... on Report { status text approxLocation { latitude longitude } provenance { tlp sourcePartner } } } }`,
			map[string]any{"id": id})
		require.Empty(t, triage.Errors)
		assert.Equal(t, "NEW", testkit.Dig(triage.Data, "node", "status"))
		assert.Equal(t, "AMBER_STRICT", testkit.Dig(triage.Data, "node", "provenance", "tlp"))
		assert.Equal(t, w.A, testkit.Dig(triage.Data, "node", "provenance", "sourcePartner"))
		assert.Equal(t, 53.48, testkit.Dig(triage.Data, "node", "approxLocation", "latitude"))
		assert.Equal(t, -2.24, testkit.Dig(triage.Data, "node", "approxLocation", "longitude"))

		other := w.as(t, "b", "graph:read", "graph:read:pii")(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
		require.Empty(t, other.Errors)
		assert.Nil(t, other.Data["node"], "a partner of the triage partner's group does not see the report")

		events := withOperationName(w.auditEventsAbout(t, id), "Submit")
		require.Len(t, events, 1, "the submission is audited")
		assert.Nil(t, events[0]["partner"])
		assert.Nil(t, events[0]["subject"])
		assert.Equal(t, "mutation", events[0]["operationType"])
	})

	t.Run("AnonymousCallerGetsNothingElse", func(t *testing.T) {
		// Anonymous requests ask one question at a time, so each field is asked alone.
		for field, query := range map[string]string{
			"node":          `query($id: ID!) { node(id: $id) { id } }`,
			"people":        `{ people { totalCount } }`,
			"partners":      `{ partners { totalCount } }`,
			"sharingGroups": `{ sharingGroups { id } }`,
			"auditEvents":   `{ auditEvents { totalCount } }`,
		} {
			var vars map[string]any
			if field == "node" {
				vars = map[string]any{"id": w.nodes["clearPerson"]}
			}
			got := w.anonymous(t)(query, vars)
			assert.Equal(t, "FORBIDDEN", got.CodeAt(field), field)
			assert.Nil(t, got.Data[field], field)
		}
	})

	t.Run("ReadingSensitiveDataIsAuditedWithIDsAndFieldNamesNeverValues", func(t *testing.T) {
		got := w.as(t, "b", "graph:read", "graph:read:pii")(`query ReadAmber($id: ID!) { node(id: $id) { ... on Person { id name } } }`,
			map[string]any{"id": w.nodes["amberPerson"]})
		require.Empty(t, got.Errors)
		require.Equal(t, "Amber Person", testkit.Dig(got.Data, "node", "name"))

		events := withOperationName(w.auditEventsAbout(t, w.nodes["amberPerson"]), "ReadAmber")
		require.Len(t, events, 1)
		e := events[0]
		assert.Equal(t, w.B, e["partner"])
		assert.Equal(t, w.clients["b"].ID, e["subject"])
		assert.Equal(t, w.issuer, e["issuer"])
		assert.Equal(t, "query", e["operationType"])
		assert.Equal(t, []any{"node"}, e["rootFields"])
		assert.Equal(t, []any{w.nodes["amberPerson"]}, e["entityIds"])
		assert.Equal(t, []any{"Person.name"}, e["piiFields"])
		encoded, err := json.Marshal(e)
		require.NoError(t, err)
		assert.NotContains(t, string(encoded), "Amber Person", "an audit event never holds personal data")
	})

	t.Run("ReadingPersonalDataOfAClearNodeIsAudited", func(t *testing.T) {
		got := w.as(t, "c", "graph:read", "graph:read:pii")(`query ReadClearPII($id: ID!) { node(id: $id) { ... on Person { name } } }`,
			map[string]any{"id": w.nodes["clearPerson"]})
		require.Empty(t, got.Errors)
		events := withOperationName(w.auditEventsAbout(t, w.nodes["clearPerson"]), "ReadClearPII")
		require.Len(t, events, 1)
		assert.Equal(t, w.C, events[0]["partner"])
	})

	t.Run("ReadingOnlyClearAndGreenDataWithoutPersonalDataIsNotAudited", func(t *testing.T) {
		got := w.as(t, "c", "graph:read")(`query ReadGreen($id: ID!) { node(id: $id) { ... on Person { id nationality } } }`,
			map[string]any{"id": w.nodes["greenPerson"]})
		require.Empty(t, got.Errors)
		require.NotNil(t, got.Data["node"])
		assert.Empty(t, withOperationName(w.auditEventsAbout(t, w.nodes["greenPerson"]), "ReadGreen"))
	})

	t.Run("EveryMutationIsAudited", func(t *testing.T) {
		got := w.as(t, "a", "graph:write")(`mutation CreateClear { createBusiness(input: {name: "Audited Ltd"}, marking: {tlp: CLEAR}) { id } }`, nil)
		require.Empty(t, got.Errors)
		id := testkit.Dig(got.Data, "createBusiness", "id").(string)
		events := withOperationName(w.auditEventsAbout(t, id), "CreateClear")
		require.Len(t, events, 1, "a write of CLEAR data is audited too")
		assert.Equal(t, "mutation", events[0]["operationType"])
		assert.Equal(t, true, events[0]["complete"])
	})

	t.Run("ARefusedWriteIsAuditedWithItsTarget", func(t *testing.T) {
		got := w.as(t, "b", "graph:write")(`mutation DeleteOthers($id: ID!) { deletePerson(id: $id) { deleted } }`,
			map[string]any{"id": w.nodes["amberPerson"]})
		require.Equal(t, "FORBIDDEN", got.CodeAt("deletePerson"))
		events := withOperationName(w.auditEventsAbout(t, w.nodes["amberPerson"]), "DeleteOthers")
		require.Len(t, events, 1)
		assert.Equal(t, w.B, events[0]["partner"])
		assert.Equal(t, false, events[0]["complete"])
	})

	t.Run("WhenTheAuditCannotBeWrittenNoDataLeaves", func(t *testing.T) {
		bearer := "Bearer " + w.token(t, "b", "graph:read", "graph:read:pii")
		got := query(t, w.unauditable, bearer, `query($id: ID!) { node(id: $id) { ... on Person { name } } }`,
			map[string]any{"id": w.nodes["amberPerson"]})
		assert.Equal(t, []string{"UNAVAILABLE"}, got.Codes())
		assert.Nil(t, got.Data)
		assert.Nil(t, got.Extensions)

		unaudited := query(t, w.unauditable, bearer, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": w.nodes["greenPerson"]})
		assert.Empty(t, unaudited.Errors, "a response that needs no audit is still answered")
	})

	t.Run("ARequestErrorPassesTheAuditWithoutExecuting", func(t *testing.T) {
		got := w.as(t, "a", "graph:read")(`{ noSuchField }`, nil)
		assert.Equal(t, http.StatusOK, got.Status, "a validation error, not a failure of the audit")
		assert.NotEmpty(t, got.Errors)
		assert.Nil(t, got.Data)
	})

	t.Run("AnAuditorSeesItsOwnPartnersEventsOnly", func(t *testing.T) {
		got := w.as(t, "b", "audit:read")(`query($a: ID!) {
  own: auditEvents(first: 100) { edges { node { partner } } }
  other: auditEvents(where: {partner: $a}) { totalCount }
}`, map[string]any{"a": w.A})
		edges := testkit.Dig(got.Data, "own", "edges").([]any)
		require.NotEmpty(t, edges)
		for _, e := range edges {
			assert.Equal(t, w.B, testkit.Dig(e, "node", "partner"))
		}
		assert.Equal(t, "FORBIDDEN", got.CodeAt("other"))
	})
}
