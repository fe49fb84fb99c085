package store

import (
	"context"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
)

// IdentifierTie is a person or business tied to an entity through identifiers both hold.
type IdentifierTie struct {
	// Party is the *Person or *Business tied to the entity.
	Party Node
	// Identifiers are the visible identifiers that tie them: one node when both hold the same
	// identifier, or the entity's and the party's own when partners recorded the same normalised
	// kind and value separately.
	Identifiers []*Identifier
	// SharedValues is how many distinct identifier values they share (for a caller who may not
	// read personal data, how many identifiers).
	SharedValues int
	// Derivation names the markings of everything that tied any party to the entity (the entity,
	// identifiers, HAS_IDENTIFIER relationships, parties), those cut by the limit included (the
	// ranking compares them all).
	Derivation
}

// IdentifierTies are the parties tied to an entity through identifiers, those sharing most
// first. For a caller who may read personal data they were matched on identifier values, which
// the Derivation names (Identifier.value) whether or not any party was found.
type IdentifierTies struct {
	Ties []*IdentifierTie
	Derivation
}

// LinkedByIdentifiersParams selects the parties tied to an entity through shared identifiers.
type LinkedByIdentifiersParams struct {
	ID string
	// Kinds restricts the identifiers that count (PHONE, EMAIL...); none means every kind.
	Kinds []string
	// FollowSameAs counts the identifiers of the records visibly SAME_AS the entity (one hop) as
	// the entity's own; those records are no ties of it.
	FollowSameAs bool
	First        *int
}

// linkedByIdentifiersCypher is the query of LinkedByIdentifiers. Identifiers are the same when
// they are the same node or, for callers who may read personal data, have the same kind and
// normalised value (the Identifier(value) index finds those): matching values is a search on
// personal data; so is counting them, so without it the identifiers shared are counted, not
// their values. Every holder, identifier and HAS_IDENTIFIER on the way must be visible; every row
// carries the markings of all of them, for every party tied.
//
// With followSameAs the entity's `selves` are the entity and the records one visible SAME_AS
// away from it (one hop: a claim about a claim is not followed), whose identifiers count as the
// entity's and which are no ties of it; every row carries the markings of those SAME_AS and
// records too, as the answer was computed through them. Parameters: $id, $kinds (null for all),
// $limit and the viewer's.
func linkedByIdentifiersCypher(followSameAs bool) string {
	selves := "WITH peers, e, [e] AS selves, [] AS sameAs\n"
	if followSameAs {
		selves = `OPTIONAL MATCH (e)-[s:` + tg.RelSameAs + `]-(twin:` + tg.LabelEntity + `)
WHERE ` + visibleAll("s", "twin") + `
WITH peers, e, collect(twin) AS twins, collect(s) AS sameAs
WITH peers, e, [e] + twins AS selves, sameAs + twins AS sameAs
`
	}
	return viewerPrelude + `MATCH (e:` + tg.LabelEntity + ` {id: $id})
WHERE (e:` + tg.LabelPerson + ` OR e:` + tg.LabelBusiness + `) AND ` + visible("e") + `
` + selves + `UNWIND selves AS self
MATCH (self)-[h1:` + tg.RelHasIdentifier + `]->(i1:` + tg.LabelIdentifier + `)
WHERE ` + visibleAll("h1", "i1") + `
  AND ($kinds IS NULL OR i1.kind IN $kinds)
MATCH (i2:` + tg.LabelIdentifier + ` {value: i1.value})
WHERE i2.kind = i1.kind AND (i2 = i1 OR $pii) AND ` + visible("i2") + `
MATCH (i2)<-[h2:` + tg.RelHasIdentifier + `]-(party:` + tg.LabelEntity + `)
WHERE NOT party IN selves AND (party:` + tg.LabelPerson + ` OR party:` + tg.LabelBusiness + `)
  AND ` + visibleAll("h2", "party") + `
WITH party, count(DISTINCT CASE WHEN $pii THEN [i1.kind, i1.value] ELSE [i1.id] END) AS shared, collect(DISTINCT i1) + collect(DISTINCT i2) AS tying,
     collect(DISTINCT ` + markingsOf([]string{"e", "h1", "i1", "i2", "h2", "party"}, "sameAs") + `) AS via
WITH collect({party: party, shared: shared, tying: tying}) AS ties, collect(DISTINCT ` + sensitiveIn("via") + `) AS markings
UNWIND ties AS tie
WITH tie.party AS party, tie.shared AS shared, tie.tying AS tying, markings
ORDER BY shared DESC, party.id
LIMIT $limit
WITH party, shared, reduce(acc = [], t IN tying | CASE WHEN t IN acc THEN acc ELSE acc + [t] END) AS tying, markings
RETURN ` + projection("party") + ` AS party, shared, [ti IN tying | ` + projection("ti") + `] AS identifiers, markings
ORDER BY shared DESC, party.id`
}

// LinkedByIdentifiers returns the people and businesses that share identifiers with the entity
// id (a person or a business), those sharing most first, with the identifiers that tie them.
// One query.
func (s *Store) LinkedByIdentifiers(ctx context.Context, p LinkedByIdentifiersParams) (*IdentifierTies, error) {
	first, err := bounded("first", p.First, DefaultResults, s.cfg.Traversal.MaxResults)
	if err != nil {
		return nil, err
	}
	params := viewerParams(ctx, map[string]any{"id": p.ID, "kinds": nil, "limit": first})
	if len(p.Kinds) > 0 {
		params["kinds"] = p.Kinds
	}
	return traverse(ctx, s, "linked by identifiers", linkedByIdentifiersCypher(p.FollowSameAs), params, func(records []*neo4j.Record) (*IdentifierTies, error) {
		result := &IdentifierTies{Ties: make([]*IdentifierTie, 0, len(records))}
		if params["pii"] == true {
			result.PersonalData = []string{tg.LabelIdentifier + ".value"}
		}
		for _, r := range records {
			partyRaw, _ := r.Get("party")
			party, err := decodeNode(partyRaw)
			if err != nil {
				return nil, err
			}
			idsRaw, _ := r.Get("identifiers")
			nodes, err := decodeNodes(idsRaw, map[string]Node{})
			if err != nil {
				return nil, err
			}
			shared, _ := r.Get("shared")
			markings, _ := r.Get("markings")
			tie := &IdentifierTie{Party: party, SharedValues: int(shared.(int64)), Derivation: Derivation{Markings: decodeMarkings(markings)}}
			for _, n := range nodes {
				tie.Identifiers = append(tie.Identifiers, n.(*Identifier))
			}
			result.Ties = append(result.Ties, tie)
		}
		return result, nil
	})
}
