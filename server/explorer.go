package server

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/traffikgraph/traffikgraph/auth"
)

// explorerFiles is the partner explorer, built from explorer/ (npm run build) and committed, so
// that building the binary needs no Node; `make check` rebuilds it and fails on any difference.
//
//go:embed explorer/dist
var explorerFiles embed.FS

// explorerAssetsPath is where the explorer's script and style are served; its index.html names it.
const explorerAssetsPath = "/explorer/assets/"

var explorerPage = newEmbeddedPage(explorerFiles, "explorer/dist/index.html", "explorer/dist", explorerAssetsPath)

// explorerRoutes are the explorer's views: each URL can be shared, so each serves the page.
var explorerRoutes = []string{"/", "/signed-in", "/search", "/entity/{id}", "/network/{id}", "/supply-chain", "/supply-chain/{id}", "/hotspots", "/audit"}

// explorerIssuer is what the explorer needs to sign in at an issuer (the endpoints come from
// the issuer's discovery document), and how the issuer names the partner, to show it.
type explorerIssuer struct {
	URL             string            `json:"url"`
	ClientID        string            `json:"clientId"`
	Scope           string            `json:"scope"`
	AuthorizeParams map[string]string `json:"authorizeParams,omitempty"`
	PartnerClaim    string            `json:"partnerClaim,omitempty"`
	Partner         string            `json:"partner,omitempty"`
}

type explorerConfig struct {
	Issuers  []explorerIssuer `json:"issuers"`
	GraphiQL string           `json:"graphiql"`
	// PeriodEnd is Config.ExplorerPeriodEnd.
	PeriodEnd string `json:"periodEnd,omitempty"`
}

// explorerSignIn lists the issuers that name an explorer client id: the only ones the explorer
// offers, and the only other origins its page may call (their discovery, keys and token
// endpoints, which live at the issuer's origin).
func explorerSignIn(issuers []auth.IssuerConfig) (config explorerConfig, origins []string) {
	config = explorerConfig{Issuers: []explorerIssuer{}, GraphiQL: "/graphiql"}
	for _, issuer := range issuers {
		if issuer.Explorer.ClientID == "" {
			continue
		}
		config.Issuers = append(config.Issuers, explorerIssuer{
			URL:             issuer.URL,
			ClientID:        issuer.Explorer.ClientID,
			Scope:           issuer.Explorer.Scope,
			AuthorizeParams: issuer.Explorer.AuthorizeParams,
			PartnerClaim:    issuer.Partner.Claim,
			Partner:         issuer.Partner.Fixed,
		})
		if u, err := url.Parse(issuer.URL); err == nil && !slices.Contains(origins, u.Scheme+"://"+u.Host) {
			origins = append(origins, u.Scheme+"://"+u.Host)
		}
	}
	return config, origins
}

// explorerContentSecurityPolicy allows the page its own script and style only (no inline script
// or style at all), the API, and the issuers' origins for sign-in. It may not be framed, change
// its base URL or post forms; sign-in leaves the page by navigation, not by a form.
func explorerContentSecurityPolicy(issuerOrigins []string) string {
	connect := strings.Join(append([]string{"'self'"}, issuerOrigins...), " ")
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src " + connect + "; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
}

// mountExplorer serves the explorer's page at each of its views, its assets and its config.
func mountExplorer(r chi.Router, issuers []auth.IssuerConfig, periodEnd string) {
	config, origins := explorerSignIn(issuers)
	config.PeriodEnd = periodEnd
	body, err := json.Marshal(config)
	if err != nil {
		panic(fmt.Sprintf("server: encoding the explorer's config: %v", err))
	}
	page := explorerPage.page(explorerContentSecurityPolicy(origins))
	for _, route := range explorerRoutes {
		r.Method(http.MethodGet, route, page)
	}
	r.Method(http.MethodGet, explorerAssetsPath+"*", explorerPage.assetFiles())
	r.Get("/explorer/config.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body) // a write error means the client has gone
	})
}
