package store

import (
	"context"
	"sync"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
)

// partnerCacheTTL is how long a registered partner is remembered. Authentication asks on every
// request; deleting a partner takes effect at once on this instance and within the TTL on others.
const partnerCacheTTL = 30 * time.Second

// partnerCache remembers the partners found registered, with the issuer each names (empty when
// any trusted issuer may act for it); unknown partners are always asked for, so a newly
// registered partner works at once.
type partnerCache struct {
	mu   sync.Mutex
	seen map[string]cachedPartner
}

type cachedPartner struct {
	issuer string
	at     time.Time
}

func (c *partnerCache) lookup(id string, now time.Time) (cachedPartner, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.seen[id]
	return p, ok && now.Sub(p.at) < partnerCacheTTL
}

func (c *partnerCache) remember(id, issuer string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]cachedPartner{}
	}
	c.seen[id] = cachedPartner{issuer: issuer, at: now}
}

func (c *partnerCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.seen, id)
}

// PartnerRegistered reports whether a partner is registered and tokens of issuer may act for it:
// a partner registered with an issuer accepts that issuer only. The authenticator refuses every
// other token.
func (s *Store) PartnerRegistered(ctx context.Context, partnerID, issuer string) (bool, error) {
	now := time.Now()
	p, ok := s.partners.lookup(partnerID, now)
	if !ok {
		found, err := readTx(ctx, s, func(tx statementRunner) ([]*neo4j.Record, error) {
			return s.run(ctx, tx, `MATCH (p:`+tg.LabelPartner+` {id: $id}) RETURN coalesce(p.issuer, '') AS issuer`, map[string]any{"id": partnerID})
		})
		if err != nil || len(found) == 0 {
			return false, err
		}
		registeredIssuer, _ := found[0].Get("issuer")
		p = cachedPartner{issuer: registeredIssuer.(string)}
		s.partners.remember(partnerID, p.issuer, now)
	}
	return p.issuer == "" || p.issuer == issuer, nil
}
