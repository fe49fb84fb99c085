package store

import (
	"context"
	"sync"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// partnerCacheTTL is how long a registered partner is remembered. Authentication asks on every
// request; deleting a partner takes effect at once on this instance and within the TTL on others.
const partnerCacheTTL = 30 * time.Second

// partnerCache remembers partners found registered; unknown partners are always asked for, so a
// newly registered partner works at once.
type partnerCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func (c *partnerCache) known(id string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.seen[id]
	return ok && now.Sub(at) < partnerCacheTTL
}

func (c *partnerCache) remember(id string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]time.Time{}
	}
	c.seen[id] = now
}

func (c *partnerCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.seen, id)
}

// PartnerExists reports whether a partner is registered; the authenticator refuses tokens for
// partners that are not.
func (s *Store) PartnerExists(ctx context.Context, partnerID string) (bool, error) {
	now := time.Now()
	if s.partners.known(partnerID, now) {
		return true, nil
	}
	exists, err := readTx(ctx, s, func(tx neo4j.ManagedTransaction) (bool, error) {
		records, err := s.run(ctx, tx, `MATCH (p:Partner {id: $id}) RETURN p.id AS id`, map[string]any{"id": partnerID})
		return len(records) > 0, err
	})
	if exists {
		s.partners.remember(partnerID, now)
	}
	return exists, err
}
