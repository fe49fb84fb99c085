package store

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"

	tg "github.com/traffikgraph/traffikgraph"
)

// Directions of a supply chain.
const (
	// Upstream follows SUPPLIES back to the suppliers, their suppliers, and so on.
	Upstream = "UPSTREAM"
	// Downstream follows SUPPLIES on to the customers.
	Downstream = "DOWNSTREAM"
)

// SupplyTier is the businesses at one distance from the business asked about: tier 1 are its
// direct suppliers (or customers), tier 2 theirs, and so on.
type SupplyTier struct {
	Tier       int
	Businesses []*Business
}

// SupplyChain is a business's visible suppliers (or customers) by tier and the visible SUPPLIES
// relationships among them.
type SupplyChain struct {
	Business *Business
	Tiers    []*SupplyTier
	Edges    []*Link
	// Truncated says that TraversalLimits.MaxSupplyChainNodes or MaxSubgraphEdges cut the chain.
	Truncated bool
	// Derivation: as for a Subgraph.
	Derivation
}

// SupplyChainParams selects a supply chain.
type SupplyChainParams struct {
	BusinessID string
	// Direction is Upstream or Downstream.
	Direction string
	MaxTier   *int
}

// The reasons a supplier is tied to exploitation, with the weight each adds to its score.
const (
	RiskInvolvedInIncident           = "INVOLVED_IN_INCIDENT"
	RiskControlledByInvolvedPerson   = "CONTROLLED_BY_INVOLVED_PERSON"
	RiskSharesIdentifierWithInvolved = "SHARES_IDENTIFIER_WITH_INVOLVED_PARTY"
	RiskLocatedInHotspot             = "LOCATED_IN_HOTSPOT"
)

// riskEvidencePerReason bounds the paths returned for one reason of one supplier.
const riskEvidencePerReason = 3

var riskWeights = map[string]float64{
	RiskInvolvedInIncident:           0.6,
	RiskControlledByInvolvedPerson:   0.5,
	RiskSharesIdentifierWithInvolved: 0.3,
	RiskLocatedInHotspot:             0.2,
}

// harmlessRoles are the roles of an involvement that do not tie a party to exploitation. (The
// query says NOT IN them rather than IN the others, which also keeps Neo4j from answering it
// with a scan of the involved_in_role index over the whole graph instead of expanding from the
// supplier.)
var harmlessRoles = []string{"VICTIM", "WITNESS"}

// RiskReason is one reason a supplier is tied to exploitation, with a visible path from the
// supplier that proves it.
type RiskReason struct {
	Reason string
	Weight float64
	Path   *Path
}

// SupplierRisk is a supplier tied to exploitation.
type SupplierRisk struct {
	Supplier *Business
	Tier     int
	// Score is 1 - Π(1 - weight) over the supplier's distinct reasons: 0 < score < 1, higher
	// with more and stronger reasons.
	Score float64
	// SupplyPath is the SUPPLIES path from the business asked about to the supplier.
	SupplyPath *Path
	Reasons    []*RiskReason
}

// SupplyChainRisk is the suppliers within the tiers of a business that are tied to exploitation,
// riskiest first.
type SupplyChainRisk struct {
	Business  *Business
	Suppliers []*SupplierRisk
	Truncated bool
	// Derivation: as for a SupplyChain, and for the answer as a whole the markings of the
	// incidents (and their places and relationships) that made a supplier's city or region a
	// current hotspot: they are counted, not returned.
	Derivation
}

// supplyChainCypher is the query of SupplyChain (risk false) and SupplyChainRisk (risk true): a
// breadth-first expansion from $id over visible SUPPLIES to visible businesses, tier by tier,
// the visible SUPPLIES among the businesses kept and, for risk, each supplier's reasons with the
// paths proving them. Parameters: $id, $limit, $probe, $edgeProbe, $maxEdges, $harmlessRoles,
// $hotspotSince, $hotspotMin, $evidence and the viewer's.
func supplyChainCypher(direction string, maxTier int, risk bool) string {
	step := "(f)<-[r:" + tg.RelSupplies + "]-(n:" + tg.LabelBusiness + ")"
	if direction == Downstream {
		step = "(f)-[r:" + tg.RelSupplies + "]->(n:" + tg.LabelBusiness + ")"
	}
	var b strings.Builder
	b.WriteString(viewerPrelude + `MATCH (root:` + tg.LabelBusiness + ` {id: $id})
WHERE ` + visible("root") + `
WITH peers, [root] AS seen, [root] AS frontier, [] AS levels
`)
	breadthFirst(&b, step, maxTier)
	b.WriteString("WITH peers, seen[0] AS root, seen[..$limit] AS kept, seen[$limit..] AS cut, size(seen) > $limit AS truncated, levels\n")
	edgesAmong(&b, tg.RelSupplies)
	risks := "[] AS risks"
	if risk {
		b.WriteString(riskReasonsCypher())
		risks = "risks"
	}
	b.WriteString(`RETURN ` + projection("root") + ` AS root,
       [level IN levels | [n IN level WHERE n IN kept | ` + projection("n") + `]] AS tiers,
       [r IN rels[..$maxEdges] | ` + linkProjection("r") + `] AS edges,
       truncated OR size(rels) > $maxEdges AS truncated,
       ` + beyondLimits("cut") + `,
       ` + risks)
	return b.String()
}

// riskReasonsCypher writes the subquery binding `risks`: for each supplier kept, the reasons it
// is tied to exploitation, each with at most $evidence visible paths proving it.
func riskReasonsCypher() string {
	hops := strconv.Itoa(maxWithinHops)
	return `CALL {
    WITH peers, kept, levels
    UNWIND range(0, size(levels) - 1) AS t
    UNWIND levels[t] AS supplier
    WITH peers, supplier, t + 1 AS tier
    WHERE supplier IN kept
    CALL {
        WITH peers, supplier
        MATCH p = (supplier)-[r:` + tg.RelInvolvedIn + `]->(i:` + tg.LabelIncident + `)
        WHERE NOT r.role IN $harmlessRoles AND ` + visibleAll("r", "i") + `
        RETURN '` + RiskInvolvedInIncident + `' AS kind, p, [] AS via
        LIMIT $evidence
      UNION
        WITH peers, supplier
        MATCH p = (supplier)<-[c:` + tg.RelOwns + `|` + tg.RelDirectorOf + `]-(person:` + tg.LabelPerson + `)-[r:` + tg.RelInvolvedIn + `]->(i:` + tg.LabelIncident + `)
        WHERE NOT r.role IN $harmlessRoles AND ` + visibleAll("c", "person", "r", "i") + `
        RETURN '` + RiskControlledByInvolvedPerson + `' AS kind, p, [] AS via
        LIMIT $evidence
      UNION
        WITH peers, supplier
        MATCH p = (supplier)-[h1:` + tg.RelHasIdentifier + `]->(id:` + tg.LabelIdentifier + `)<-[h2:` + tg.RelHasIdentifier + `]-(party:` + tg.LabelEntity + `)-[r:` + tg.RelInvolvedIn + `]->(i:` + tg.LabelIncident + `)
        WHERE party <> supplier AND NOT r.role IN $harmlessRoles
          AND ` + visibleAll("h1", "id", "h2", "party", "r", "i") + `
        RETURN '` + RiskSharesIdentifierWithInvolved + `' AS kind, p, [] AS via
        LIMIT $evidence
      UNION
        WITH peers, supplier
        MATCH p = (supplier)-[la:` + tg.RelLocatedAt + `]->(l:` + tg.LabelLocation + `)(()-[w:` + tg.RelWithin + `]->(u:` + tg.LabelLocation + `)
            WHERE ` + visibleAll("w", "u") + `){0,` + hops + `}(h:` + tg.LabelLocation + `)
        WHERE ` + visibleAll("la", "l") + ` AND h.kind IN ['CITY', 'REGION']
        CALL {
            WITH peers, h
            MATCH (h)((:` + tg.LabelLocation + `)<-[w2:` + tg.RelWithin + `]-(c:` + tg.LabelLocation + `)
                WHERE ` + visibleAll("w2", "c") + `){0,` + hops + `}(:` + tg.LabelLocation + `)<-[o:` + tg.RelOccurredAt + `]-(i:` + tg.LabelIncident + `)
            WHERE ` + visibleAll("o", "i") + `
              AND coalesce(i.occurredTo, i.occurredFrom) >= $hotspotSince
            WITH i, collect(DISTINCT ` + markingsOf([]string{"o", "i"}, "w2", "c") + `) AS counted
            RETURN count(i) AS recent, collect(DISTINCT ` + sensitiveIn("counted") + `) AS via
        }
        WITH p, via
        WHERE recent >= $hotspotMin
        RETURN '` + RiskLocatedInHotspot + `' AS kind, p, via
        LIMIT $evidence
    }
    WITH supplier, tier, collect({kind: kind, path: ` + pathProjection("p") + `, via: via}) AS reasons
    RETURN collect({id: supplier.id, tier: tier, reasons: reasons}) AS risks
}
`
}

func (s *Store) supplyChainParams(ctx context.Context, businessID, direction string, maxTier *int) (int, map[string]any, error) {
	lim := s.cfg.Traversal
	if direction != Upstream && direction != Downstream {
		return 0, nil, tg.InvalidField("direction", "must be %s or %s", Upstream, Downstream)
	}
	tiers, err := bounded("maxTier", maxTier, DefaultSupplyTier, lim.MaxSupplyTier)
	if err != nil {
		return 0, nil, err
	}
	limit := lim.MaxSupplyChainNodes + 1 // the business itself and its suppliers
	params := viewerParams(ctx, map[string]any{
		"id": businessID, "limit": limit, "probe": limit + 1,
		"maxEdges": lim.MaxSubgraphEdges, "edgeProbe": lim.MaxSubgraphEdges + 1,
		"harmlessRoles": harmlessRoles, "evidence": riskEvidencePerReason, "hotspotMin": lim.RiskHotspotMinIncidents,
		"hotspotSince": dbtype.Date(time.Now().UTC().Add(-lim.RiskHotspotWindow)),
	})
	return tiers, params, nil
}

// decodeSupplyChain decodes the common part of supplyChainCypher's record; byID gets every node.
func decodeSupplyChain(r *neo4j.Record, byID map[string]Node) (*SupplyChain, error) {
	m := r.AsMap()
	root, err := decodeNode(m["root"])
	if err != nil {
		return nil, err
	}
	byID[root.NodeID()] = root
	chain := &SupplyChain{Business: root.(*Business), Truncated: m["truncated"] == true}
	chain.deriveBeyondLimits(m)
	levels, _ := m["tiers"].([]any)
	for i, level := range levels {
		nodes, err := decodeNodes(level, byID)
		if err != nil {
			return nil, err
		}
		if len(nodes) == 0 {
			break // nothing further out either
		}
		tier := &SupplyTier{Tier: i + 1}
		for _, n := range nodes {
			tier.Businesses = append(tier.Businesses, n.(*Business))
		}
		chain.Tiers = append(chain.Tiers, tier)
	}
	if chain.Edges, err = decodeLinks(m["edges"], byID); err != nil {
		return nil, err
	}
	return chain, nil
}

// SupplyChain returns the visible businesses up to p.MaxTier SUPPLIES away from the business, by
// tier, and the visible SUPPLIES among them. A business the caller cannot see has an empty
// chain (nil). One query.
func (s *Store) SupplyChain(ctx context.Context, p SupplyChainParams) (*SupplyChain, error) {
	tiers, params, err := s.supplyChainParams(ctx, p.BusinessID, p.Direction, p.MaxTier)
	if err != nil {
		return nil, err
	}
	return traverse(ctx, s, "supply chain", supplyChainCypher(p.Direction, tiers, false), params, func(records []*neo4j.Record) (*SupplyChain, error) {
		if len(records) == 0 {
			return nil, nil
		}
		return decodeSupplyChain(records[0], map[string]Node{})
	})
}

// SupplyChainRisk returns the visible suppliers up to maxTier tiers upstream of the business
// that are tied to exploitation through visible data: involved in an incident (in a role other
// than victim or witness), owned or directed by a person so involved, sharing an identifier with
// a party so involved, or located in a city or region with at least
// TraversalLimits.RiskHotspotMinIncidents visible incidents within RiskHotspotWindow. Each
// reason comes with the paths that prove it; nil when the caller cannot see the business. One
// query.
func (s *Store) SupplyChainRisk(ctx context.Context, businessID string, maxTier *int) (*SupplyChainRisk, error) {
	tiers, params, err := s.supplyChainParams(ctx, businessID, Upstream, maxTier)
	if err != nil {
		return nil, err
	}
	return traverse(ctx, s, "supply chain risk", supplyChainCypher(Upstream, tiers, true), params, func(records []*neo4j.Record) (*SupplyChainRisk, error) {
		if len(records) == 0 {
			return nil, nil
		}
		byID := map[string]Node{}
		chain, err := decodeSupplyChain(records[0], byID)
		if err != nil {
			return nil, err
		}
		result := &SupplyChainRisk{Business: chain.Business, Truncated: chain.Truncated, Derivation: chain.Derivation}
		raw, _ := records[0].Get("risks")
		items, _ := raw.([]any)
		for _, item := range items {
			m := item.(map[string]any)
			supplier, _ := byID[m["id"].(string)].(*Business)
			if supplier == nil {
				continue // cut from the chain by the node limit
			}
			risk := &SupplierRisk{Supplier: supplier, Tier: int(m["tier"].(int64)), SupplyPath: supplyPath(chain, supplier.ID)}
			kinds := map[string]bool{}
			for _, reason := range m["reasons"].([]any) {
				rm := reason.(map[string]any)
				path, err := decodePath(rm["path"])
				if err != nil {
					return nil, err
				}
				kind := rm["kind"].(string)
				risk.Reasons = append(risk.Reasons, &RiskReason{Reason: kind, Weight: riskWeights[kind], Path: path})
				kinds[kind] = true
				result.Markings = unionMarkings(result.Markings, decodeMarkings(rm["via"]))
			}
			safe := 1.0
			for kind := range kinds {
				safe *= 1 - riskWeights[kind]
			}
			risk.Score = math.Round((1-safe)*1000) / 1000
			result.Suppliers = append(result.Suppliers, risk)
		}
		sortRisks(result.Suppliers)
		return result, nil
	})
}

// sortRisks orders suppliers riskiest first, then nearest first.
func sortRisks(risks []*SupplierRisk) {
	slices.SortFunc(risks, func(a, b *SupplierRisk) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Tier, b.Tier); c != 0 {
			return c
		}
		return strings.Compare(a.Supplier.ID, b.Supplier.ID)
	})
}

// supplyPath walks the chain's SUPPLIES from the supplier back, one tier at a time, to the
// business at its root, and returns that path from the root. It is nil only when the edge limit
// cut a SUPPLIES the walk needs.
func supplyPath(chain *SupplyChain, supplierID string) *Path {
	tierOf := map[string]int{chain.Business.ID: 0}
	for _, t := range chain.Tiers {
		for _, b := range t.Businesses {
			tierOf[b.ID] = t.Tier
		}
	}
	var nodes []Node
	var links []*Link
	current := supplierID
	for tierOf[current] > 0 {
		var next *Link
		for _, e := range chain.Edges {
			// Upstream: the supplier at tier t SUPPLIES its customer at tier t-1.
			if t, ok := tierOf[e.To.NodeID()]; ok && e.From.NodeID() == current && t == tierOf[current]-1 {
				next = e
				break
			}
		}
		if next == nil {
			return nil
		}
		nodes = append(nodes, next.From)
		links = append(links, next)
		current = next.To.NodeID()
	}
	nodes = append(nodes, chain.Business)
	// Built from the supplier back; the path reads from the root.
	for i, j := 0, len(nodes)-1; i < j; i, j = i+1, j-1 {
		nodes[i], nodes[j] = nodes[j], nodes[i]
	}
	for i, j := 0, len(links)-1; i < j; i, j = i+1, j-1 {
		links[i], links[j] = links[j], links[i]
	}
	return &Path{Nodes: nodes, Relationships: links}
}
