package seed

import (
	"context"
	"fmt"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/store"
)

// demoCorrection is a change a demo partner's analyst makes to one of its seeded entities.
type demoCorrection struct {
	kind    kind
	partner string
	// change returns the patch and marking to apply to the entity as generated, and the reason.
	change func(generated map[string]any) (store.Patch, *store.Marking, string)
}

// demoCorrections: incidents a victim count corrected and then graded and shared wider, people
// given an alias (personal data: redacted in their history for callers without graph:read:pii),
// a business's website found.
var demoCorrections = []demoCorrection{
	{kindIncident, PartnerSTT, func(g map[string]any) (store.Patch, *store.Marking, string) {
		return store.Patch{Set: map[string]any{"victimCount": g["victimCount"].(int64) + 1}}, nil,
			"a further victim identified in a follow-up interview"
	}},
	{kindIncident, PartnerSTT, func(map[string]any) (store.Patch, *store.Marking, string) {
		return store.Patch{}, &store.Marking{Tlp: tg.TlpAmber, Grading: new("1AP")}, "confirmed by the police; shared with the hub's groups"
	}},
	{kindIncident, PartnerNorthshirePolice, func(g map[string]any) (store.Patch, *store.Marking, string) {
		return store.Patch{Set: map[string]any{"summary": g["summary"].(string) + " The victims were found at work on the site."}}, nil,
			"a raid confirmed the report"
	}},
	{kindPerson, PartnerSTT, func(g map[string]any) (store.Patch, *store.Marking, string) {
		return store.Patch{Set: map[string]any{"aliases": []string{"Synthetic alias of person " + g["id"].(string)[:8]}}}, nil,
			"alias from a shelter's case file"
	}},
	{kindPerson, PartnerNorthshirePolice, func(map[string]any) (store.Patch, *store.Marking, string) {
		return store.Patch{}, &store.Marking{Tlp: tg.TlpAmber, Grading: new("2BP")}, "graded after a second source"
	}},
	{kindBusiness, PartnerSTT, func(g map[string]any) (store.Patch, *store.Marking, string) {
		return store.Patch{Set: map[string]any{"website": "https://example.org/synthetic/" + g["id"].(string)[:8]}}, nil,
			"website found in a company registry"
	}},
}

// DemoHistory gives a few entities of the world of opts a history out of the box: for each of
// demoCorrections, the first GREEN entity of its kind that its partner contributed (the same one
// for two corrections of a kind and partner, so it has a longer history) is changed
// through the store, as that partner's analyst, so that each change is a version exactly as an
// API write makes one. Like the bench's personas, the analyst is a caller made in-process: no
// request carries it. It returns the number of entities changed; run it once, after Generate.
func DemoHistory(ctx context.Context, s *store.Store, opts Options) (int, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return 0, err
	}
	w := newWorld(opts)
	changed := 0
	for _, c := range demoCorrections {
		for i := range w.counts[c.kind] {
			generated, _ := w.generate(c.kind, i)
			id := generated["id"].(string)
			if generated["sourcePartner"] != c.partner || generated["tlp"] != tg.TlpGreen {
				continue
			}
			analyst := auth.WithCaller(ctx, auth.Caller{Issuer: "seed", Subject: "demo-analyst@" + c.partner, PartnerID: c.partner,
				Scopes: []auth.Scope{auth.ScopeGraphRead, auth.ScopeGraphWrite}})
			patch, marking, reason := c.change(generated)
			if _, err := s.Update(analyst, c.kind.label, id, patch, marking, &reason); err != nil {
				return changed, fmt.Errorf("seed: demo history of %s %s: %w", c.kind.label, id, err)
			}
			changed++
			break
		}
	}
	return changed, nil
}
