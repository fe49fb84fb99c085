package store

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/resolution"
)

// Entity resolution's first half (docs/triage.md, "Duplicates"): pairs of records, among what
// the caller may see, that may describe one person, business or place, each with a score and
// its reasons. The records are read as the caller may read them (a personal value it may not
// read is null, so it is never compared), brought together by blocking keys in Go (package
// resolution) rather than compared pair by pair, and scored there; three statements in one
// session: the records, the neighbours of those paired, the nodes of the page.

// DefaultDuplicateMinScore is the score below which a pair is not a candidate unless asked.
const DefaultDuplicateMinScore = 0.5

// DuplicateParams selects candidate pairs.
type DuplicateParams struct {
	// Label is one of tg.ResolvedLabels.
	Label string
	// MinScore keeps the pairs scoring at least this (DefaultDuplicateMinScore when nil).
	MinScore *float64
	First    *int
	After    *string
}

// DuplicateReason is one reason a pair was scored on.
type DuplicateReason struct {
	Kind   string
	Weight float64
	// Similarity is the names' similarity (SIMILAR_NAME only).
	Similarity *float64
	// Evidence are the visible nodes both records share that prove it: identifiers, places,
	// incidents, parents.
	Evidence []Node
}

// DuplicateCandidate is a pair of visible records that may describe one thing.
type DuplicateCandidate struct {
	A, B Node
	// Score is between 0 and 1: the logistic of the reasons' weights (resolution.Score).
	Score   float64
	Reasons []*DuplicateReason
}

// DuplicatePage is one page of candidates, best first.
type DuplicatePage struct {
	Candidates      []*DuplicateCandidate
	Cursors         []string
	HasNextPage     bool
	HasPreviousPage bool
	// TotalCount is how many pairs score at least the minimum.
	TotalCount int
	// SkippedKeys counts the blocking keys too common to compare (resolution.DefaultMaxBlock).
	SkippedKeys int
	Derivation
}

// duplicateRecordsCypher reads every visible record of the label with what it is compared on,
// each value as the caller may read it, and whether it has any relationship that could be
// evidence (a degree check, no expansion). Parameters: the viewer's.
func duplicateRecordsCypher(label string) string {
	var fields string
	switch label {
	case tg.LabelPerson:
		fields = readable("n", "name") + ", " + readable("n", "aliases") + ", " + readable("n", "birthYear")
	case tg.LabelBusiness:
		fields = "n.name, n.jurisdiction, n.registrationNumber"
	case tg.LabelLocation:
		fields = readable("n", "name") + ", n.countryCode, n.kind, " + readable("n", "point")
	}
	return viewerPrelude + `MATCH (n:` + label + `)
WHERE ` + visible("n") + `
RETURN [n.id, n.tlp, EXISTS { (n)-[:` + evidenceTypes + `]->() }, ` + fields + `] AS r`
}

// evidenceTypes are the relationships whose ends two records may share as evidence.
const evidenceTypes = tg.RelLivesAt + `|` + tg.RelLocatedAt + `|` + tg.RelInvolvedIn + `|` + tg.RelWithin + `|` + tg.RelHasIdentifier

// duplicateEvidenceCypher reads, for the records $ids, the visible neighbours they are compared
// on: the locations they live or are located at, their incidents, the locations they lie
// within and their identifiers (values as the caller may read them), each with the markings of
// the node and the relationship that lead to it. Parameters: $ids and the viewer's.
var duplicateEvidenceCypher = viewerPrelude + `UNWIND $ids AS id
MATCH (n:` + tg.LabelEntity + ` {id: id})
RETURN id,
  [(n)-[r:` + tg.RelLivesAt + `|` + tg.RelLocatedAt + `]->(x:` + tg.LabelLocation + `) WHERE ` + visibleAll("r", "x") + ` | [x.id, r.tlp, x.tlp]] AS places,
  [(n)-[r:` + tg.RelInvolvedIn + `]->(x:` + tg.LabelIncident + `) WHERE ` + visibleAll("r", "x") + ` | [x.id, r.tlp, x.tlp]] AS incidents,
  [(n)-[r:` + tg.RelWithin + `]->(x:` + tg.LabelLocation + `) WHERE ` + visibleAll("r", "x") + ` | [x.id, r.tlp, x.tlp]] AS parents,
  [(n)-[r:` + tg.RelHasIdentifier + `]->(x:` + tg.LabelIdentifier + `) WHERE ` + visibleAll("r", "x") + ` | [x.id, r.tlp, x.tlp, x.kind, ` + readable("x", "value") + `]] AS identifiers`

// duplicateNodesCypher reads the visible nodes $ids. Parameters: $ids and the viewer's.
var duplicateNodesCypher = viewerPrelude + `UNWIND $ids AS id
MATCH (n:` + tg.LabelEntity + ` {id: id})
WHERE ` + visible("n") + `
RETURN ` + projection("n") + ` AS node`

// duplicateRecord is a record read for comparison, with the markings of what it was read from.
type duplicateRecord struct {
	resolution.Record
	tlp string
	// related says that it has relationships that could be evidence.
	related bool
	// evidenceMarkings holds, for each neighbour's id, the markings of it and of the
	// relationship to it.
	evidenceMarkings map[string][]string
}

// DuplicateCandidates returns the pairs of visible records of p.Label that score at least the
// minimum, best first (then by the ids), p.First of them after p.After.
func (s *Store) DuplicateCandidates(ctx context.Context, p DuplicateParams) (*DuplicatePage, error) {
	label := p.Label
	if !slices.Contains(tg.ResolvedLabels, label) {
		return nil, tg.InvalidField("type", "must be one of %s", strings.Join(tg.ResolvedLabels, ", "))
	}
	minScore := DefaultDuplicateMinScore
	if p.MinScore != nil {
		if minScore = *p.MinScore; minScore < 0 || minScore > 1 {
			return nil, tg.InvalidField("minScore", "must be between 0 and 1")
		}
	}
	first, err := bounded("first", p.First, DefaultResults, s.cfg.Traversal.MaxResults)
	if err != nil {
		return nil, err
	}
	var after *duplicateCursor
	if p.After != nil {
		if after, err = decodeDuplicateCursor(*p.After); err != nil {
			return nil, err
		}
	}
	params := viewerParams(ctx, nil)
	// The comparing is Go's work, which Neo4j's transaction timeout does not bound: the
	// traversal timeout bounds the whole, and a client gone stops it.
	timed, cancel := context.WithTimeout(ctx, s.cfg.Traversal.Timeout)
	defer cancel()
	page, err := readWithin(timed, s, txTimeout(timed, s.cfg.Traversal.Timeout), func(tx statementRunner) (*DuplicatePage, error) {
		return s.duplicateCandidates(timed, tx, label, params, minScore, first, after)
	})
	switch {
	case err == nil:
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		return nil, tg.Errorf(tg.LimitExceeded, "duplicate candidates did not finish in time")
	default:
		return nil, traversalError("duplicate candidates", err)
	}
	if params["pii"] == true {
		page.PersonalData = duplicatePersonalData[label]
	}
	return page, nil
}

// duplicatePersonalData are the personal properties compared for a caller who may read them.
var duplicatePersonalData = map[string][]string{
	tg.LabelPerson:   {tg.LabelIdentifier + ".value", tg.LabelPerson + ".aliases", tg.LabelPerson + ".birthYear", tg.LabelPerson + ".name"},
	tg.LabelBusiness: {tg.LabelIdentifier + ".value"},
	tg.LabelLocation: {tg.LabelLocation + ".name", tg.LabelLocation + ".point"},
}

// scoredPair is a pair of records (indexes) with its score and reasons.
type scoredPair struct {
	a, b    *duplicateRecord
	score   float64
	reasons []resolution.Reason
}

func (s *Store) duplicateCandidates(ctx context.Context, tx statementRunner, label string, params map[string]any,
	minScore float64, first int, after *duplicateCursor) (*DuplicatePage, error) {
	records, err := s.run(ctx, tx, duplicateRecordsCypher(label), params)
	if err != nil {
		return nil, err
	}
	all := make([]*duplicateRecord, len(records))
	for i, r := range records {
		all[i] = decodeDuplicateRecord(label, r.Values[0].([]any))
	}
	compared := recordsOf(all)
	blocking, err := resolution.Pairs(ctx, compared, resolution.DefaultMaxBlock)
	if err != nil {
		return nil, err
	}
	byID, err := s.duplicateEvidence(ctx, tx, all, blocking.Pairs, params)
	if err != nil {
		return nil, err
	}
	rarity := resolution.NewRarity(compared)
	var scored []scoredPair
	for i, pair := range blocking.Pairs {
		if i%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		a, b := byID[all[pair[0]].ID], byID[all[pair[1]].ID]
		if a.ID > b.ID {
			a, b = b, a
		}
		if score, reasons := resolution.Score(&a.Record, &b.Record, rarity); score >= minScore {
			scored = append(scored, scoredPair{a: a, b: b, score: score, reasons: reasons})
		}
	}
	slices.SortFunc(scored, func(x, y scoredPair) int {
		return cmp.Or(cmp.Compare(y.score, x.score), strings.Compare(x.a.ID, y.a.ID), strings.Compare(x.b.ID, y.b.ID))
	})
	page := &DuplicatePage{TotalCount: len(scored), SkippedKeys: blocking.SkippedKeys}
	start := 0
	if after != nil {
		if start = slices.IndexFunc(scored, after.before); start < 0 {
			start = len(scored)
		}
	}
	end := min(start+first, len(scored))
	page.HasNextPage, page.HasPreviousPage = end < len(scored), start > 0
	var counted []string
	for _, pair := range scored {
		counted = append(counted, pair.markings()...)
	}
	page.field("totalCount", unionMarkings(counted, nil))
	if page.HasNextPage {
		page.field("pageInfo.hasNextPage", unionMarkings(scored[end].markings(), nil))
	}
	return page, s.fillDuplicatePage(ctx, tx, page, scored[start:end], params)
}

func recordsOf(all []*duplicateRecord) []*resolution.Record {
	out := make([]*resolution.Record, len(all))
	for i, r := range all {
		out[i] = &r.Record
	}
	return out
}

// markings are the markings of the pair's records and of the evidence its reasons name.
func (p scoredPair) markings() []string {
	out := []string{p.a.tlp, p.b.tlp}
	for _, r := range p.reasons {
		for _, id := range r.Evidence {
			out = append(out, p.a.evidenceMarkings[id]...)
			out = append(out, p.b.evidenceMarkings[id]...)
		}
	}
	return out
}

// duplicateEvidence reads the neighbours of the records paired into them, and returns the
// records paired by id: only of pairs both of whose records have relationships that could be
// evidence, since a pair shares evidence only then.
func (s *Store) duplicateEvidence(ctx context.Context, tx statementRunner, all []*duplicateRecord, pairs [][2]int,
	params map[string]any) (map[string]*duplicateRecord, error) {
	byID := map[string]*duplicateRecord{}
	related := map[string]bool{}
	for _, pair := range pairs {
		a, b := all[pair[0]], all[pair[1]]
		byID[a.ID], byID[b.ID] = a, b
		if a.related && b.related {
			related[a.ID], related[b.ID] = true, true
		}
	}
	if len(related) == 0 {
		return byID, nil
	}
	rows, err := s.run(ctx, tx, duplicateEvidenceCypher, viewerParams(ctx, map[string]any{"ids": slices.Sorted(maps.Keys(related))}))
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		m := row.AsMap()
		r := byID[m["id"].(string)]
		r.evidenceMarkings = map[string][]string{}
		neighbours := func(v any) []string {
			var ids []string
			for _, item := range v.([]any) {
				x := item.([]any)
				id := x[0].(string)
				ids = append(ids, id)
				r.evidenceMarkings[id] = append(r.evidenceMarkings[id], stringOf(x[1]), stringOf(x[2]))
			}
			return ids
		}
		r.Places, r.Incidents, r.Parents = neighbours(m["places"]), neighbours(m["incidents"]), neighbours(m["parents"])
		for _, item := range m["identifiers"].([]any) {
			x := item.([]any)
			id := x[0].(string)
			r.Identifiers = append(r.Identifiers, resolution.Identifier{ID: id, Kind: stringOf(x[3]), Value: stringOf(x[4])})
			r.evidenceMarkings[id] = append(r.evidenceMarkings[id], stringOf(x[1]), stringOf(x[2]))
		}
	}
	return byID, nil
}

// fillDuplicatePage reads the nodes of the page's pairs and of their evidence, as the caller may
// read them, and writes the page's candidates and cursors; a pair one of whose records is no
// longer visible is left out.
func (s *Store) fillDuplicatePage(ctx context.Context, tx statementRunner, page *DuplicatePage, pairs []scoredPair, params map[string]any) error {
	var ids []string
	for _, pair := range pairs {
		ids = append(ids, pair.a.ID, pair.b.ID)
		for _, r := range pair.reasons {
			ids = append(ids, r.Evidence...)
		}
		page.Markings = unionMarkings(page.Markings, pair.markings())
	}
	nodes := map[string]Node{}
	if len(ids) > 0 {
		slices.Sort(ids)
		rows, err := s.run(ctx, tx, duplicateNodesCypher, viewerParams(ctx, map[string]any{"ids": slices.Compact(ids)}))
		if err != nil {
			return err
		}
		for _, row := range rows {
			n, err := decodeNode(row.Values[0])
			if err != nil {
				return fmt.Errorf("duplicate candidates: %w", err)
			}
			nodes[n.NodeID()] = n
		}
	}
	for _, pair := range pairs {
		a, b := nodes[pair.a.ID], nodes[pair.b.ID]
		if a == nil || b == nil {
			continue
		}
		c := &DuplicateCandidate{A: a, B: b, Score: pair.score}
		for _, r := range pair.reasons {
			reason := &DuplicateReason{Kind: r.Kind, Weight: r.Weight, Similarity: r.Similarity, Evidence: []Node{}}
			for _, id := range r.Evidence {
				if n := nodes[id]; n != nil {
					reason.Evidence = append(reason.Evidence, n)
				}
			}
			c.Reasons = append(c.Reasons, reason)
		}
		page.Candidates = append(page.Candidates, c)
		page.Cursors = append(page.Cursors, duplicateCursor{score: pair.score, a: pair.a.ID, b: pair.b.ID}.encode())
	}
	return nil
}

// decodeDuplicateRecord reads one row of duplicateRecordsCypher: id, marking, related, then the
// label's own fields.
func decodeDuplicateRecord(label string, row []any) *duplicateRecord {
	r := &duplicateRecord{Record: resolution.Record{ID: row[0].(string)}, tlp: stringOf(row[1]), related: row[2] == true}
	own := row[3:] // the label's own fields
	words := func(kind resolution.Kind, values ...any) [][]string {
		var out [][]string
		for _, v := range values {
			if w := resolution.Words(stringOf(v), kind); len(w) > 0 {
				out = append(out, w)
			}
		}
		return out
	}
	switch label {
	case tg.LabelPerson:
		aliases, _ := own[1].([]any)
		aliases = aliases[:min(len(aliases), resolution.MaxNames-1)]
		r.Names, r.Aliases = words(resolution.PersonName, own[0]), words(resolution.PersonName, aliases...)
		if year, ok := own[2].(int64); ok {
			r.BirthYear = int(year)
		}
	case tg.LabelBusiness:
		r.Names = words(resolution.BusinessName, own[0])
		r.Scope = stringOf(own[1])
		r.Registration = strings.ToUpper(strings.Join(strings.Fields(stringOf(own[2])), ""))
	case tg.LabelLocation:
		r.Names = words(resolution.PlaceName, own[0])
		r.Scope, r.Kind = stringOf(own[1]), stringOf(own[2])
		if pt, ok := own[3].(neo4j.Point2D); ok {
			r.Point = &resolution.Point{Latitude: pt.Y, Longitude: pt.X}
		}
	}
	return r
}

// duplicateCursor is the position of a pair in the order of DuplicateCandidates.
type duplicateCursor struct {
	score float64
	a, b  string
}

func (c duplicateCursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte("dup|" + strconv.FormatFloat(c.score, 'f', -1, 64) + "|" + c.a + "|" + c.b))
}

// before says whether the cursor's pair comes before p in the order.
func (c duplicateCursor) before(p scoredPair) bool {
	return cmp.Or(cmp.Compare(p.score, c.score), strings.Compare(c.a, p.a.ID), strings.Compare(c.b, p.b.ID)) < 0
}

func decodeDuplicateCursor(after string) (*duplicateCursor, error) {
	bad := tg.InvalidField("after", "is not a cursor of duplicateCandidates")
	raw, err := base64.RawURLEncoding.DecodeString(after)
	if err != nil {
		return nil, bad
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 4 || parts[0] != "dup" {
		return nil, bad
	}
	score, err := strconv.ParseFloat(parts[1], 64)
	if err != nil {
		return nil, bad
	}
	return &duplicateCursor{score: score, a: parts[2], b: parts[3]}, nil
}
