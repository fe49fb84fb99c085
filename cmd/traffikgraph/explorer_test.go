package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/internal/testkit"
	"github.com/traffikgraph/traffikgraph/seed"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// explorerWorld is the demo world the browser test explores, in a namespace of its own so that
// it can be removed exactly, whatever else the test database holds.
var explorerWorld = seed.Options{Scale: seed.DefaultScale, Seed: 1, Namespace: "explorer-browser", Force: true}

// explorerWindow is the demo world's last year (the seed's "now" is 2025-06-01).
var explorerWindow = map[string]string{"from": "2024-06-01", "to": "2025-05-31"}

// explorerDefaultPeriod is the hotspot map's period when the URL names none: the 12 months up to
// the service's --explorer-period-end (TestServe gives seed.Today, as the embedded default does).
var explorerDefaultPeriod = map[string]string{"from": "2024-06-02", "to": "2025-06-01"}

// testExplorerInABrowser runs browser/explorer.mjs against the service at base: every persona
// signs in through the development issuer's code flow and uses every view. The fixtures it
// checks are picked through the API, as the personas' colleagues would share them, and the
// AMBER_STRICT record is written through the API as police. EXPLORER_SCREENSHOTS keeps the
// screenshots (docs/explorer.md shows the best).
func testExplorerInABrowser(t *testing.T, base, issuer string) {
	require.FileExists(t, "/usr/bin/chromium", "the browser test drives Debian's Chromium: apt-get update && apt-get install -y chromium")
	require.DirExists(t, "../../browser/node_modules/axe-core", "the browser test needs playwright-core and axe-core: npm ci --prefix browser")
	s := storetest.Open(t)
	_, err := seed.Generate(t.Context(), s.Driver(), s.Database(), explorerWorld)
	t.Cleanup(func() {
		_, err := seed.Remove(context.Background(), s.Driver(), s.Database(), explorerWorld)
		assert.NoError(t, err)
	})
	require.NoError(t, err)

	analyst, police, business := devToken(t, issuer, "analyst"), devToken(t, issuer, "police"), devToken(t, issuer, "business")
	screenshots := cmp.Or(os.Getenv("EXPLORER_SCREENSHOTS"), filepath.Join(t.TempDir(), "screenshots"))
	fixtures := map[string]any{
		"baseURL": base, "issuerURL": issuer, "screenshots": screenshots, "window": explorerWindow, "periodEnd": explorerDefaultPeriod,
		"person":   findablePerson(t, base, analyst),
		"business": harbourBusiness(t, base, analyst, business),
		"dense":    denseCountry(t, base, analyst),
		"strict":   writeStrictRecord(t, base, police),
	}
	path := filepath.Join(t.TempDir(), "fixtures.json")
	raw, err := json.Marshal(fixtures)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw, 0o600))

	cmd := exec.CommandContext(t.Context(), "node", "explorer.mjs", path)
	cmd.Dir = "../../browser"
	out, err := cmd.CombinedOutput()
	t.Logf("node explorer.mjs:\n%s", out)
	require.NoError(t, err, "the explorer failed checks in the browser")
	summary := regexp.MustCompile(`(?m)^(\d+) passed, 0 failed$`).FindSubmatch(out)
	require.NotNil(t, summary, "the script's summary line")
	assert.NotContains(t, string(out), "FAIL")
	for _, name := range []string{"public-hotspots", "search", "entity", "entity-bank", "network", "supply-chain", "supply-chains-business", "hotspots", "audit"} {
		assert.FileExists(t, filepath.Join(screenshots, name+".png"))
	}
}

// findablePerson is a GREEN person with a name whom the analyst's search for that name finds
// (names repeat in the synthetic world; the first page of hits must hold this one).
func findablePerson(t *testing.T, base, token string) map[string]string {
	t.Helper()
	body := post(t, base, token, `{ people(first: 20, where: {provenance: {tlp_in: [GREEN], sourcePartner_in: ["stt"]}}) { edges { node { id name } } } }`)
	edges, _ := testkit.Dig(body.Data, "people", "edges").([]any)
	for _, edge := range edges {
		id, _ := testkit.Dig(edge, "node", "id").(string)
		name, _ := testkit.Dig(edge, "node", "name").(string)
		if name == "" {
			continue
		}
		hits := post(t, base, token, fmt.Sprintf(`{ search(query: %q, types: [PERSON]) { node { id } } }`, name))
		if strings.Contains(fmt.Sprint(testkit.Dig(hits.Data, "search")), id) {
			return map[string]string{"id": id, "name": name}
		}
	}
	require.FailNow(t, "no GREEN person of stt that a search for its name finds", "%v", body)
	return nil
}

// harbourBusiness is one of Harbour Hotels' own hotels whose supply chain both the business
// persona and the analyst read with tiers in it.
func harbourBusiness(t *testing.T, base, analyst, business string) map[string]string {
	t.Helper()
	body := post(t, base, analyst, `{ businesses(first: 20, where: {name_startsWith: "Harbour Hotels",
		provenance: {sourcePartner_in: ["biz-harbour-hotels"], tlp_in: [CLEAR, GREEN]}}) { edges { node { id name } } } }`)
	edges, _ := testkit.Dig(body.Data, "businesses", "edges").([]any)
	for _, edge := range edges {
		id, _ := testkit.Dig(edge, "node", "id").(string)
		query := fmt.Sprintf(`{ supplyChain(businessId: %q) { tiers { tier } } }`, id)
		ofBusiness, _ := testkit.Dig(post(t, base, business, query).Data, "supplyChain", "tiers").([]any)
		ofAnalyst, _ := testkit.Dig(post(t, base, analyst, query).Data, "supplyChain", "tiers").([]any)
		if len(ofBusiness) > 0 && len(ofAnalyst) > 0 {
			return map[string]string{"id": id}
		}
	}
	require.FailNow(t, "no Harbour Hotels business with a visible supply chain", "%v", body)
	return nil
}

// denseCountry is a country of the demo world whose network within 4 hops holds more than the
// network view's 250 entities, as the analyst sees it.
func denseCountry(t *testing.T, base, analyst string) map[string]string {
	t.Helper()
	body := post(t, base, analyst, `{ locations(first: 20, where: {kind_in: [COUNTRY], countryCode_in: ["US", "GB", "IN"]}) { edges { node { id } } } }`)
	edges, _ := testkit.Dig(body.Data, "locations", "edges").([]any)
	for _, edge := range edges {
		id, _ := testkit.Dig(edge, "node", "id").(string)
		network := post(t, base, analyst, fmt.Sprintf(`{ network(id: %q, depth: 4, limit: 250) { truncated } }`, id))
		if testkit.Dig(network.Data, "network", "truncated") == true {
			return map[string]string{"id": id}
		}
	}
	require.FailNow(t, "no country whose 4 hops hold more than 250 entities", "%v", body)
	return nil
}

// writeStrictRecord writes, as police through the API, an AMBER_STRICT person living at a CLEAR
// site police also writes, and deletes both when the test ends.
func writeStrictRecord(t *testing.T, base, police string) map[string]string {
	t.Helper()
	// Letters only, so that the search treats the name as two words of its own.
	suffix := strings.Map(func(r rune) rune { return 'a' + (r % 26) }, uuid.NewString()[:8])
	name := "Quillfeather Strictmark" + suffix
	ref := "browser-test-" + suffix
	site := post(t, base, police, fmt.Sprintf(`mutation { upsertLocation(externalRef: %q,
		input: {name: "Explorer test site %s", kind: SITE, countryCode: "GB", point: {latitude: 53.8, longitude: -1.55}},
		marking: {tlp: CLEAR}) { id } }`, ref, suffix))
	siteID, _ := testkit.Dig(site.Data, "upsertLocation", "id").(string)
	require.NotEmpty(t, siteID, "%v", site)
	person := post(t, base, police, fmt.Sprintf(`mutation { upsertPerson(externalRef: %q, input: {name: %q}, marking: {tlp: AMBER_STRICT}) { id } }`, ref, name))
	personID, _ := testkit.Dig(person.Data, "upsertPerson", "id").(string)
	require.NotEmpty(t, personID, "%v", person)
	t.Cleanup(func() {
		post(t, base, police, fmt.Sprintf(`mutation { deletePerson(id: %q) { deleted } }`, personID))
		post(t, base, police, fmt.Sprintf(`mutation { deleteLocation(id: %q) { deleted } }`, siteID))
	})
	linked := post(t, base, police, fmt.Sprintf(`mutation { link(input: {type: LIVES_AT, from: %q, to: %q}, marking: {tlp: AMBER_STRICT}) { type } }`, personID, siteID))
	require.Equal(t, "LIVES_AT", testkit.Dig(linked.Data, "link", "type"), "%v", linked)
	return map[string]string{"id": personID, "name": name, "siteId": siteID}
}
