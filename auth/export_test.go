package auth

import (
	"context"
	"log/slog"
	"time"
)

// NewAuthenticatorWithKeyClock is NewAuthenticator with the key sets' cooldown, maximum age and
// clock set by the test, so that "at most one fetch per cooldown" is tested without waiting.
func NewAuthenticatorWithKeyClock(ctx context.Context, issuers []IssuerConfig, partners PartnerRegistry, logger *slog.Logger,
	cooldown, maxAge time.Duration, now func() time.Time) (*Authenticator, error) {
	return newAuthenticator(ctx, issuers, partners, logger, keySetPolicy{cooldown: cooldown, maxAge: maxAge, now: now})
}

// RememberedTokens is how many verified tokens the Authenticator keeps (verifiedTokens).
func RememberedTokens(a *Authenticator) int { return a.verified.size() }
