package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
)

// DemoPartner is a partner organisation that exists in every seeded graph. The development
// OIDC issuer mints tokens for these ids, so the ids are a contract.
type DemoPartner struct {
	ID   string
	Name string
	Kind string // Partner.kind of docs/graph-model.md
}

// DemoSharingGroup is a sharing group of demo partners (AMBER data flows inside it).
type DemoSharingGroup struct {
	ID          string
	Name        string
	Description string
	Members     []string // DemoPartner ids
}

// Ids of the demo partners.
const (
	PartnerSTT              = "stt"
	PartnerSafeHaven        = "ngo-safehaven"
	PartnerNorthshirePolice = "police-northshire"
	PartnerMeridianBank     = "bank-meridian"
	PartnerHarbourHotels    = "biz-harbour-hotels"
)

// DemoPartners are created (MERGE, never duplicated) by every seed, at every scale.
var DemoPartners = []DemoPartner{
	{ID: PartnerSTT, Name: "STOP THE TRAFFIK (demo)", Kind: "NGO"},
	{ID: PartnerSafeHaven, Name: "Safe Haven Network (fictional)", Kind: "NGO"},
	{ID: PartnerNorthshirePolice, Name: "Northshire Police (fictional)", Kind: "LAW_ENFORCEMENT"},
	{ID: PartnerMeridianBank, Name: "Meridian Bank (fictional)", Kind: "FINANCIAL"},
	{ID: PartnerHarbourHotels, Name: "Harbour Hotels (fictional)", Kind: "BUSINESS"},
}

// DemoSharingGroups are created with DemoPartners.
var DemoSharingGroups = []DemoSharingGroup{
	{
		ID: "hub-core", Name: "Data hub core",
		Description: "Intelligence hub partners sharing AMBER data across sectors (demo).",
		Members:     []string{PartnerSTT, PartnerNorthshirePolice, PartnerMeridianBank},
	},
	{
		ID: "shelters", Name: "Shelters",
		Description: "NGOs running shelters and survivor support (demo).",
		Members:     []string{PartnerSTT, PartnerSafeHaven},
	},
}

// demoCreatedAt is the fixed creation time of the demo partners, so that reseeding never
// changes them.
var demoCreatedAt = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const mergePartnersCypher = `
UNWIND $partners AS p
MERGE (n:` + tg.LabelEntity + `:` + tg.LabelPartner + ` {id: p.id})
ON CREATE SET n.name = p.name, n.kind = p.kind, n.tlp = 'CLEAR', n.sourcePartner = $owner,
  n.sharedWith = [], n.externalRefs = [], n.createdAt = $createdAt, n.updatedAt = $createdAt`

const mergeGroupsCypher = `
UNWIND $groups AS g
MERGE (s:` + tg.LabelEntity + `:` + tg.LabelSharingGroup + ` {id: g.id})
ON CREATE SET s.name = g.name, s.description = g.description, s.tlp = 'CLEAR',
  s.sourcePartner = $owner, s.sharedWith = [], s.externalRefs = [],
  s.createdAt = $createdAt, s.updatedAt = $createdAt
WITH s, g
UNWIND g.members AS memberID
MATCH (p:` + tg.LabelPartner + ` {id: memberID})
MERGE (p)-[m:` + tg.RelMemberOf + `]->(s)
ON CREATE SET m.tlp = 'CLEAR', m.sourcePartner = $owner, m.sharedWith = [],
  m.createdAt = $createdAt, m.updatedAt = $createdAt`

// EnsureDemoPartners creates the demo partners, sharing groups and memberships that do not
// exist yet and leaves existing ones untouched; it returns what it created.
func EnsureDemoPartners(ctx context.Context, driver neo4j.DriverWithContext, database string) (Stats, error) {
	partners := make([]map[string]any, len(DemoPartners))
	for i, p := range DemoPartners {
		partners[i] = map[string]any{"id": p.ID, "name": p.Name, "kind": p.Kind}
	}
	groups := make([]map[string]any, len(DemoSharingGroups))
	for i, g := range DemoSharingGroups {
		groups[i] = map[string]any{"id": g.ID, "name": g.Name, "description": g.Description, "members": g.Members}
	}
	params := map[string]any{"partners": partners, "groups": groups, "owner": PartnerSTT, "createdAt": demoCreatedAt}

	var stats Stats
	for _, cypher := range []string{mergePartnersCypher, mergeGroupsCypher} {
		res, err := neo4j.ExecuteQuery(ctx, driver, cypher, params, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithDatabase(database))
		if err != nil {
			return stats, fmt.Errorf("seed: merge demo partners: %w", err)
		}
		stats.Nodes += res.Summary.Counters().NodesCreated()
		stats.Relationships += res.Summary.Counters().RelationshipsCreated()
	}
	return stats, nil
}
