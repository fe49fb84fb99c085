package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// DevExplorerClientID is the partner explorer's client id at the development issuer.
const DevExplorerClientID = "traffikgraph-explorer"

// devCodeLifetime is how long an authorization code may wait for its exchange: the browser
// redirects straight to the explorer, which exchanges it at once.
const devCodeLifetime = time.Minute

// maxPendingCodes bounds the codes kept in memory, so that a loop asking for codes it never
// exchanges cannot grow the issuer without bound.
const maxPendingCodes = 1000

// DevIssuerOption adjusts the development issuer.
type DevIssuerOption func(*DevIssuer)

// WithExplorer lets the partner explorer sign its users in with the authorization code flow and
// PKCE (S256): the issuer shows a persona chooser and redirects back with a code to exactly one
// of redirectURIs, the explorer's own /signed-in pages. The browser calls the token endpoint from
// the redirect URIs' origins, so those origins get CORS answers.
func WithExplorer(redirectURIs ...string) DevIssuerOption {
	return func(d *DevIssuer) {
		d.explorer.redirectURIs = append(d.explorer.redirectURIs, redirectURIs...)
	}
}

// devExplorer is the explorer as the development issuer's one authorization-code client.
type devExplorer struct {
	redirectURIs []string
	mu           sync.Mutex
	codes        map[string]pendingCode
}

// pendingCode is what an authorization code stands for until it is exchanged, once.
type pendingCode struct {
	persona       Persona
	scopes        []Scope
	redirectURI   string
	codeChallenge string
	nonce         string
	// openID is set when the request asked for openid: the exchange adds an ID token.
	openID  bool
	expires time.Time
}

// authorizeRequest is a validated authorization request (RFC 6749 4.1.1 with RFC 7636 PKCE).
type authorizeRequest struct {
	ClientID      string
	RedirectURI   string
	State         string
	Nonce         string
	Scope         string
	CodeChallenge string
	openID        bool
	apiScopes     []Scope
}

// codeChallengePattern is an S256 challenge: base64url of a SHA-256 digest, 43 characters.
var codeChallengePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// codeVerifierPattern is RFC 7636 section 4.1.
var codeVerifierPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// maxStateLength bounds the state and nonce echoed back.
const maxStateLength = 512

func (d *DevIssuer) origins() []string {
	var origins []string
	for _, redirect := range d.explorer.redirectURIs {
		if u, err := url.Parse(redirect); err == nil && !slices.Contains(origins, u.Scheme+"://"+u.Host) {
			origins = append(origins, u.Scheme+"://"+u.Host)
		}
	}
	return origins
}

// withCORS answers the explorer's origins, which call discovery, the key set and the token
// endpoint from the browser; no other origin gets CORS headers.
func (d *DevIssuer) withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && slices.Contains(d.origins(), origin) {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Vary", "Origin")
			if r.Method == http.MethodOptions {
				w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
				w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Authorization")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// parseAuthorize validates an authorization request. A request with an unknown client or
// redirect URI is answered with an error page (errorPage true), never redirected: only a
// registered redirect URI may receive anything (RFC 6749 4.1.2.1). Other errors go back to the
// redirect URI as `error`.
func (d *DevIssuer) parseAuthorize(form url.Values) (req authorizeRequest, oauthError string, errorPage bool) {
	req = authorizeRequest{
		ClientID:      form.Get("client_id"),
		RedirectURI:   form.Get("redirect_uri"),
		State:         form.Get("state"),
		Nonce:         form.Get("nonce"),
		Scope:         form.Get("scope"),
		CodeChallenge: form.Get("code_challenge"),
	}
	switch {
	case len(d.explorer.redirectURIs) == 0:
		return req, "the development issuer has no explorer client", true
	case req.ClientID != DevExplorerClientID:
		return req, fmt.Sprintf("unknown client_id; the explorer's is %s", DevExplorerClientID), true
	case !slices.Contains(d.explorer.redirectURIs, req.RedirectURI):
		return req, fmt.Sprintf("redirect_uri must be one of the explorer's: %s", strings.Join(d.explorer.redirectURIs, ", ")), true
	case len(req.State) > maxStateLength || len(req.Nonce) > maxStateLength:
		return req, "state and nonce are at most 512 characters", true
	case form.Get("response_type") != "code":
		return req, "unsupported_response_type", false
	case form.Get("code_challenge_method") != "S256" || !codeChallengePattern.MatchString(req.CodeChallenge):
		return req, "invalid_request", false
	}
	for word := range strings.FieldsSeq(req.Scope) {
		switch {
		case word == "openid":
			req.openID = true
		case word == "profile":
		case slices.Contains(AllScopes, Scope(word)):
			req.apiScopes = append(req.apiScopes, Scope(word))
		default:
			return req, "invalid_scope", false
		}
	}
	return req, "", false
}

// serveAuthorize shows the persona chooser for a valid authorization request.
func (d *DevIssuer) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	req, problem, errorPage := d.parseAuthorize(r.URL.Query())
	if errorPage {
		d.writeChooser(w, http.StatusBadRequest, chooserPage{Problem: problem})
		return
	}
	if problem != "" {
		redirectWithError(w, r, req, problem)
		return
	}
	page := chooserPage{Request: req}
	for _, name := range d.sortedPersonaNames() {
		persona := d.personas[name]
		page.Personas = append(page.Personas, chooserPersona{Name: persona.Name, PartnerID: persona.PartnerID, Scopes: scopeList(grantedScopes(persona, req.apiScopes))})
	}
	d.writeChooser(w, http.StatusOK, page)
}

// serveAuthorizeChoice is the chooser's form: the chosen persona gets a code, sent to the
// redirect URI with the request's state.
func (d *DevIssuer) serveAuthorizeChoice(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		d.writeChooser(w, http.StatusBadRequest, chooserPage{Problem: "the body is not a form"})
		return
	}
	req, problem, errorPage := d.parseAuthorize(r.PostForm)
	if errorPage {
		d.writeChooser(w, http.StatusBadRequest, chooserPage{Problem: problem})
		return
	}
	if problem != "" {
		redirectWithError(w, r, req, problem)
		return
	}
	persona, ok := d.personas[r.PostForm.Get("persona")]
	if !ok {
		redirectWithError(w, r, req, "access_denied")
		return
	}
	code, err := d.explorer.issueCode(pendingCode{
		persona:       persona,
		scopes:        grantedScopes(persona, req.apiScopes),
		redirectURI:   req.RedirectURI,
		codeChallenge: req.CodeChallenge,
		nonce:         req.Nonce,
		openID:        req.openID,
		expires:       time.Now().Add(devCodeLifetime),
	})
	if err != nil {
		redirectWithError(w, r, req, "temporarily_unavailable")
		return
	}
	query := url.Values{"code": {code}, "iss": {d.url}}
	if req.State != "" {
		query.Set("state", req.State)
	}
	http.Redirect(w, r, req.RedirectURI+"?"+query.Encode(), http.StatusSeeOther)
}

// grantedScopes are the persona's scopes, narrowed to the API scopes asked for when any are.
func grantedScopes(persona Persona, asked []Scope) []Scope {
	if len(asked) == 0 {
		return persona.Scopes
	}
	var granted []Scope
	for _, scope := range persona.Scopes {
		if slices.Contains(asked, scope) {
			granted = append(granted, scope)
		}
	}
	return granted
}

func redirectWithError(w http.ResponseWriter, r *http.Request, req authorizeRequest, code string) {
	query := url.Values{"error": {code}}
	if req.State != "" {
		query.Set("state", req.State)
	}
	http.Redirect(w, r, req.RedirectURI+"?"+query.Encode(), http.StatusSeeOther)
}

func (e *devExplorer) issueCode(pending pendingCode) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	code := base64.RawURLEncoding.EncodeToString(raw)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	for key, other := range e.codes {
		if now.After(other.expires) {
			delete(e.codes, key)
		}
	}
	if len(e.codes) >= maxPendingCodes {
		return "", fmt.Errorf("too many codes waiting for their exchange")
	}
	if e.codes == nil {
		e.codes = make(map[string]pendingCode)
	}
	e.codes[code] = pending
	return code, nil
}

// redeem takes the code out: a code is exchanged once, whatever the outcome.
func (e *devExplorer) redeem(code string) (pendingCode, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	pending, ok := e.codes[code]
	delete(e.codes, code)
	return pending, ok && time.Now().Before(pending.expires)
}

// serveAuthorizationCode is the token endpoint's authorization_code grant (RFC 6749 4.1.3,
// RFC 7636 4.6): the code, for the same client and redirect URI, with the verifier whose S256
// digest is the challenge.
func (d *DevIssuer) serveAuthorizationCode(w http.ResponseWriter, r *http.Request) {
	form := r.PostForm
	if form.Get("client_id") != DevExplorerClientID || len(d.explorer.redirectURIs) == 0 {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", fmt.Sprintf("the authorization code grant is the explorer's (client_id %s)", DevExplorerClientID))
		return
	}
	pending, ok := d.explorer.redeem(form.Get("code"))
	verifier := form.Get("code_verifier")
	digest := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(digest[:])
	switch {
	case !ok:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "the code is unknown, used or expired")
		return
	case form.Get("redirect_uri") != pending.redirectURI:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
		return
	case !codeVerifierPattern.MatchString(verifier) || subtle.ConstantTimeCompare([]byte(challenge), []byte(pending.codeChallenge)) != 1:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge")
		return
	}
	token, err := d.signAccess(pending.persona, pending.scopes, DevExplorerClientID)
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "could not sign the token")
		return
	}
	body := map[string]any{
		"access_token": token,
		"token_type":   "Bearer",
		"expires_in":   int(DevTokenLifetime.Seconds()),
		"scope":        scopeList(pending.scopes),
	}
	if pending.openID {
		idToken, err := d.signIDToken(pending.persona, pending.nonce)
		if err != nil {
			writeOAuthError(w, http.StatusInternalServerError, "server_error", "could not sign the ID token")
			return
		}
		body["id_token"] = idToken
		body["scope"] = "openid " + scopeList(pending.scopes)
	}
	writeJSON(w, http.StatusOK, body)
}

// signIDToken signs an OpenID Connect ID token for the explorer: who signed in, for display. It
// is typed JWT, not at+jwt, and its audience is the explorer, so the API never takes it for an
// access token.
func (d *DevIssuer) signIDToken(persona Persona, nonce string) (string, error) {
	now := time.Now()
	claims := map[string]any{
		"iss":           d.url,
		"sub":           persona.Name,
		"aud":           DevExplorerClientID,
		"exp":           now.Add(DevTokenLifetime).Unix(),
		"iat":           now.Unix(),
		"auth_time":     now.Unix(),
		"jti":           uuid.NewString(),
		"name":          persona.Name,
		devPartnerClaim: persona.PartnerID,
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("dev issuer: encoding ID token claims: %w", err)
	}
	return d.signWith(d.idSigner, payload)
}

// chooserPage is the persona chooser, or an error page when Problem is set.
type chooserPage struct {
	Problem  string
	Request  authorizeRequest
	Personas []chooserPersona
}

type chooserPersona struct {
	Name, PartnerID, Scopes string
}

// chooserStyle is the page's only style, allowed by its hash in the page's policy.
const chooserStyle = `body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}` +
	`h1{font-size:1.5rem}ul{list-style:none;padding:0}li{margin:.5rem 0}` +
	`button{font:inherit;width:100%;text-align:left;padding:.75rem 1rem;border:1px solid #8c959f;border-radius:6px;background:#f6f8fa;cursor:pointer}` +
	`button:hover,button:focus{background:#ddf4ff;border-color:#0969da}strong{display:block}span{color:#4a535c;font-size:.9rem}` +
	`p.note{color:#4a535c;font-size:.9rem}`

var chooserTemplate = template.Must(template.New("chooser").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Choose a persona · traffikgraph development issuer</title>
<style>` + chooserStyle + `</style>
</head>
<body>
<main>
{{if .Problem}}
<h1>This sign-in request cannot be answered</h1>
<p>{{.Problem}}</p>
{{else}}
<h1>Sign in to the traffikgraph explorer as a demo persona</h1>
<p class="note">The development issuer runs on this machine only and signs a token for any persona
chosen here. A deployment signs its users in at the partners' own identity providers instead.</p>
<form method="post" action="/authorize">
<input type="hidden" name="response_type" value="code">
<input type="hidden" name="code_challenge_method" value="S256">
<input type="hidden" name="client_id" value="{{.Request.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.Request.RedirectURI}}">
<input type="hidden" name="state" value="{{.Request.State}}">
<input type="hidden" name="nonce" value="{{.Request.Nonce}}">
<input type="hidden" name="scope" value="{{.Request.Scope}}">
<input type="hidden" name="code_challenge" value="{{.Request.CodeChallenge}}">
<ul>
{{range .Personas}}<li><button type="submit" name="persona" value="{{.Name}}"><strong>{{.Name}}</strong><span>partner {{.PartnerID}} · {{.Scopes}}</span></button></li>
{{end}}</ul>
</form>
{{end}}
</main>
</body>
</html>
`))

var chooserStyleHash = func() string {
	digest := sha256.Sum256([]byte(chooserStyle))
	return "'sha256-" + base64.StdEncoding.EncodeToString(digest[:]) + "'"
}()

func (d *DevIssuer) writeChooser(w http.ResponseWriter, status int, page chooserPage) {
	var rendered bytes.Buffer
	if err := chooserTemplate.Execute(&rendered, page); err != nil {
		http.Error(w, "could not render the page", http.StatusInternalServerError)
		return
	}
	// The form posts here and the answer redirects to the explorer: form-action must allow both.
	formAction := append([]string{"'self'"}, d.origins()...)
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src "+chooserStyleHash+
		"; form-action "+strings.Join(formAction, " ")+"; frame-ancestors 'none'; base-uri 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write(rendered.Bytes()) // a write error means the browser went away
}
