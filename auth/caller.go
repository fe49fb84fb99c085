// Package auth turns OIDC access tokens into Callers: who is asking, for which partner, with
// which scopes. It knows nothing of GraphQL, HTTP routing or the graph store.
package auth

import (
	"context"
	"slices"
)

// Scope is a permission carried by an access token.
type Scope string

// The scopes of docs/design.md ("Who sees what"); docs/access.md says what each grants.
const (
	ScopeGraphRead       Scope = "graph:read"
	ScopeGraphReadPII    Scope = "graph:read:pii"
	ScopeGraphWrite      Scope = "graph:write"
	ScopeSupplyChainRead Scope = "supplychain:read"
	ScopeReportsSubmit   Scope = "reports:submit"
	ScopeReportsTriage   Scope = "reports:triage"
	ScopeAuditRead       Scope = "audit:read"
	ScopeAdmin           Scope = "admin"
)

// AllScopes lists every scope the service knows, in a stable order.
var AllScopes = []Scope{
	ScopeGraphRead, ScopeGraphReadPII, ScopeGraphWrite, ScopeSupplyChainRead,
	ScopeReportsSubmit, ScopeReportsTriage, ScopeAuditRead, ScopeAdmin,
}

// Caller is the verified identity behind a request. The zero value is the anonymous caller.
// A Caller is only ever built from a verified token (or by tests, in-process).
type Caller struct {
	Issuer    string
	Subject   string
	PartnerID string
	Scopes    []Scope
}

// Anonymous reports whether no verified token stands behind the caller.
func (c Caller) Anonymous() bool { return c.PartnerID == "" }

// Has reports whether the caller holds the scope. Anonymous callers hold none.
func (c Caller) Has(s Scope) bool {
	return !c.Anonymous() && slices.Contains(c.Scopes, s)
}

type callerKey struct{}

// WithCaller returns a context carrying the caller.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller in ctx, or the anonymous caller when there is none.
func CallerFrom(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey{}).(Caller)
	return c
}
