package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/store"
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

// EnsureDemoPartners creates the demo partners, sharing groups and memberships that do not
// exist yet and leaves existing ones untouched; it returns what it created.
func EnsureDemoPartners(ctx context.Context, driver neo4j.DriverWithContext, database string) (Stats, error) {
	directory := func(label, id string, props map[string]any) (map[string]any, error) {
		return store.CheckImportNode(label, store.ImportRow{ID: id, SourcePartner: PartnerSTT, Marking: store.Marking{Tlp: tg.TlpClear},
			CreatedAt: demoCreatedAt, UpdatedAt: demoCreatedAt, Props: props})
	}
	var partners, groups, members []any
	for _, p := range DemoPartners {
		row, err := directory(tg.LabelPartner, p.ID, map[string]any{"name": p.Name, "kind": p.Kind})
		if err != nil {
			return Stats{}, fmt.Errorf("seed: demo partner %s: %w", p.ID, err)
		}
		partners = append(partners, row)
	}
	for _, g := range DemoSharingGroups {
		row, err := directory(tg.LabelSharingGroup, g.ID, map[string]any{"name": g.Name, "description": g.Description})
		if err != nil {
			return Stats{}, fmt.Errorf("seed: demo group %s: %w", g.ID, err)
		}
		groups = append(groups, row)
		for _, m := range g.Members {
			props, err := store.CheckImportLink(tg.RelMemberOf, PartnerSTT, store.Marking{Tlp: tg.TlpClear}, demoCreatedAt, demoCreatedAt, nil)
			if err != nil {
				return Stats{}, fmt.Errorf("seed: demo membership %s: %w", g.ID, err)
			}
			members = append(members, map[string]any{"from": m, "to": g.ID, "props": props})
		}
	}

	var stats Stats
	for _, write := range []struct {
		cypher string
		rows   []any
	}{
		{store.MergeNodesCypher(tg.LabelPartner), partners},
		{store.MergeNodesCypher(tg.LabelSharingGroup), groups},
		{store.MergeLinksCypher(tg.RelMemberOf), members},
	} {
		res, err := neo4j.ExecuteQuery(ctx, driver, write.cypher, map[string]any{"rows": write.rows}, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithDatabase(database))
		if err != nil {
			return stats, fmt.Errorf("seed: merge demo partners: %w", err)
		}
		stats.Nodes += res.Summary.Counters().NodesCreated()
		stats.Relationships += res.Summary.Counters().RelationshipsCreated()
	}
	return stats, nil
}
