package store

import (
	"context"
	"slices"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
)

// Entity resolution across partners (issue 10). A SAME_AS is one partner's claim, under its own
// marking, that two records of one label describe one real-world person, business or place;
// neither record is touched, so no partner's fact changes owner. SAME_AS is symmetric: a claim is
// created from the smaller id to the larger (a merge moving one onto the kept record recreates it
// so), and linkSameAs and unlinkSameAs find the partner's claims between the pair in either
// direction, naming the pair in either order. A partner has one per pair, but after a merge of
// two records it had both claimed (docs/triage.md, "Merging two records of one partner"): then
// linkSameAs re-marks both and unlinkSameAs withdraws both. Traversals follow it only when asked
// (followSameAs).

// SameAsParams names the two records, in either order, the marking of the claim and why it is
// made (required, recorded in both records' histories).
type SameAsParams struct {
	A, B    string
	Marking Marking
	Reason  string
}

// sameAs is the model of SAME_AS.
var sameAs = func() *tg.Relationship {
	r, _ := tg.RelationshipOf(tg.RelSameAs)
	return r
}()

// LinkSameAs records the caller's partner's SAME_AS between two records it can see, or updates
// its marking when the partner made that claim already (every one it made, either way), with a LINKED version (or one of what
// changed) in both records' histories. One transaction.
func (s *Store) LinkSameAs(ctx context.Context, p SameAsParams) (*Link, error) {
	viewer, from, to, err := checkSameAs(ctx, p.A, p.B, p.Reason)
	if err != nil {
		return nil, err
	}
	marking, err := checkMarking(p.Marking, "marking")
	if err != nil {
		return nil, err
	}
	return writeTx(ctx, s, func(tx neo4j.ManagedTransaction) (*Link, error) {
		if err := s.prepareWrite(ctx, tx, viewer, marking); err != nil {
			return nil, err
		}
		if err := s.checkSameAsEnds(ctx, tx, p.A, p.B); err != nil {
			return nil, err
		}
		return s.writeLink(ctx, tx, sameAs, LinkParams{Type: tg.RelSameAs, From: from, To: to, Reason: &p.Reason}, map[string]any{}, marking, true)
	})
}

// UnlinkSameAs removes the caller's partner's SAME_AS between records a and b (in either order),
// stored either way, with an UNLINKED version in both histories; other partners' claims stay. It
// returns how many it removed (0 or 1, 2 after a merge: see the package comment). One transaction.
func (s *Store) UnlinkSameAs(ctx context.Context, a, b, reason string) (int, error) {
	viewer, from, to, err := checkSameAs(ctx, a, b, reason)
	if err != nil {
		return 0, err
	}
	return writeTx(ctx, s, func(tx neo4j.ManagedTransaction) (int, error) {
		if err := s.checkSameAsEnds(ctx, tx, a, b); err != nil {
			return 0, err
		}
		return s.removeLinks(ctx, tx, sameAs, viewer, from, to, &reason, true)
	})
}

// checkSameAs checks what is asked of a SAME_AS before any query: an authenticated writer, two
// distinct records and a reason. It returns the writer and the records in stored order.
func checkSameAs(ctx context.Context, a, b, reason string) (viewer, from, to string, err error) {
	if viewer, err = writer(ctx); err != nil {
		return "", "", "", err
	}
	if a == b {
		return "", "", "", tg.InvalidField("b", "must be another record than a")
	}
	if _, err := requiredReason(reason); err != nil {
		return "", "", "", err
	}
	return viewer, min(a, b), max(a, b), nil
}

// checkSameAsEnds makes sure that a and b exist, are visible to the caller (an invisible record
// is reported exactly like a missing one) and have one label that SAME_AS joins.
func (s *Store) checkSameAsEnds(ctx context.Context, tx neo4j.ManagedTransaction, a, b string) error {
	aLabels, bLabels, err := s.visibleLabels(ctx, tx, a, b)
	if err != nil {
		return err
	}
	if aLabels == nil {
		return &tg.Error{Code: tg.NotFound, Message: "no entity with this id", Field: "a"}
	}
	i := slices.IndexFunc(sameAs.From, func(l string) bool { return slices.Contains(aLabels, any(l)) })
	if i < 0 {
		return tg.InvalidField("a", "SAME_AS joins two records of one label among %s", strings.Join(sameAs.From, ", "))
	}
	if bLabels == nil {
		return &tg.Error{Code: tg.NotFound, Message: "no entity with this id", Field: "b"}
	}
	if label := sameAs.From[i]; !hasAnyLabel(bLabels, []string{label}) {
		return tg.InvalidField("b", "is not a %s like a (SAME_AS joins two records of one label)", label)
	}
	return nil
}
