package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// Warm plans. Neo4j plans a query the first time it sees its text (and its parameters' types)
// and keeps the plan in its query cache; planning the larger traversals takes seconds on a cold
// server (supplyChainRisk 6.6 s on the demo world, more than the 10 s traversal timeout on a
// loaded machine), so the first partner to ask paid for it, and was told to ask for less.
// WarmPlans has Neo4j plan the store's fixed statements before the service reports ready: it
// calls the store's own methods with representative arguments, so that each builds exactly the
// text and parameter types a request builds, and under a plan-only context run sends each
// statement prefixed with EXPLAIN (planned and cached, nothing read or written) instead.

// PlanWarmup is what WarmPlans did.
type PlanWarmup struct {
	// Statements are the distinct Cypher texts planned, in the order first planned; Planned
	// names the calls that planned them ("supplyChainRisk as partner").
	Statements []string
	Planned    []string
	// Failed describes each call whose statement could not be planned (its Neo4j error).
	Failed []string
	// Elapsed is how long the warm-up took; Complete is false when its time ran out first.
	Elapsed  time.Duration
	Complete bool
}

// errPlanned ends a call under the plan-only context once its statement has been planned: the
// method's decoding of records never runs, and a method with several statements stops at the
// first (the store's reads have one).
var errPlanned = errors.New("planned, not run")

type planOnlyKey struct{}

// planRecorder collects the texts a warm-up planned.
type planRecorder struct {
	mu         sync.Mutex
	statements []string
}

func (p *planRecorder) add(cypher string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.Contains(p.statements, cypher) {
		p.statements = append(p.statements, cypher)
	}
}

// planOnly returns the recorder of a plan-only context, or nil.
func planOnly(ctx context.Context) *planRecorder {
	p, _ := ctx.Value(planOnlyKey{}).(*planRecorder)
	return p
}

// explain has Neo4j plan cypher with params, and returns errPlanned once it has.
func (p *planRecorder) explain(ctx context.Context, tx statementRunner, cypher string, params map[string]any) error {
	result, err := tx.Run(ctx, "EXPLAIN "+cypher, params)
	if err == nil {
		_, err = result.Consume(ctx)
	}
	if err != nil {
		return err
	}
	p.add(cypher)
	return errPlanned
}

// warmID stands for a node id in the warm-up's calls: EXPLAIN reads nothing, so no node need
// have it; it is a string, the type a request's id has.
const warmID = "plan-warm-up"

// warmCall is one store call of the warm-up, as a caller would make it.
type warmCall struct {
	name string
	call func(ctx context.Context) error
}

// warmCalls are the store's fixed statements in their common shapes: every traversal with its
// schema defaults, each label's page (default size; with totalCount; totalCount alone), a node
// by id, an entity's history, the audit page, the partner lookup of token verification and the audit write. The most
// expensive to plan come first, so that a warm-up cut short by its time has done those.
func (s *Store) warmCalls() []warmCall {
	result := func(_ any, err error) error { return err }
	calls := []warmCall{
		{"supplyChainRisk", func(ctx context.Context) error { return result(s.SupplyChainRisk(ctx, warmID, nil)) }},
		{"supplyChain upstream", func(ctx context.Context) error {
			return result(s.SupplyChain(ctx, SupplyChainParams{BusinessID: warmID, Direction: Upstream}))
		}},
		{"supplyChain downstream", func(ctx context.Context) error {
			return result(s.SupplyChain(ctx, SupplyChainParams{BusinessID: warmID, Direction: Downstream}))
		}},
		{"network", func(ctx context.Context) error { return result(s.Network(ctx, NetworkParams{ID: warmID})) }},
		{"shortestPath", func(ctx context.Context) error {
			return result(s.ShortestPath(ctx, PathParams{From: warmID, To: warmID + "-to"}))
		}},
		{"allShortestPaths", func(ctx context.Context) error {
			return result(s.AllShortestPaths(ctx, PathParams{From: warmID, To: warmID + "-to"}))
		}},
		{"linkedByIdentifiers", func(ctx context.Context) error {
			return result(s.LinkedByIdentifiers(ctx, LinkedByIdentifiersParams{ID: warmID}))
		}},
		{"network following SAME_AS", func(ctx context.Context) error {
			return result(s.Network(ctx, NetworkParams{ID: warmID, FollowSameAs: true}))
		}},
		{"shortestPath following SAME_AS", func(ctx context.Context) error {
			return result(s.ShortestPath(ctx, PathParams{From: warmID, To: warmID + "-to", FollowSameAs: true}))
		}},
		{"allShortestPaths following SAME_AS", func(ctx context.Context) error {
			return result(s.AllShortestPaths(ctx, PathParams{From: warmID, To: warmID + "-to", FollowSameAs: true}))
		}},
		{"linkedByIdentifiers following SAME_AS", func(ctx context.Context) error {
			return result(s.LinkedByIdentifiers(ctx, LinkedByIdentifiersParams{ID: warmID, FollowSameAs: true}))
		}},
		{"routesThrough", func(ctx context.Context) error {
			return result(s.RoutesThrough(ctx, RoutesThroughParams{LocationID: warmID}))
		}},
		{"routeFlows", func(ctx context.Context) error { return result(s.RouteFlows(ctx, RouteFlowsParams{})) }},
	}
	for _, granularity := range hotspotGranularities {
		calls = append(calls, warmCall{"hotspots " + granularity, func(ctx context.Context) error {
			return result(s.Hotspots(ctx, HotspotsParams{Granularity: granularity}))
		}})
	}
	for _, label := range tg.ResolvedLabels {
		calls = append(calls, warmCall{"duplicateCandidates " + label, func(ctx context.Context) error {
			return s.warmDuplicateCandidates(ctx, label)
		}})
	}
	calls = append(calls,
		warmCall{"search", func(ctx context.Context) error { return result(s.Search(ctx, SearchParams{Query: "warm up"})) }},
		warmCall{"node", func(ctx context.Context) error { return result(s.Get(ctx, warmID)) }},
	)
	for _, k := range tg.Labels {
		for _, shape := range []struct {
			name string
			p    ListParams
		}{
			{"page", ListParams{}},
			{"page with totalCount", ListParams{WithTotal: true}},
			{"totalCount", ListParams{WithTotal: true, CountOnly: true}},
		} {
			calls = append(calls, warmCall{k.Name + " " + shape.name, func(ctx context.Context) error {
				return result(s.List(ctx, k.Name, shape.p))
			}})
		}
	}
	return append(calls,
		warmCall{"history", func(ctx context.Context) error { return result(s.History(ctx, HistoryParams{ID: warmID})) }},
		warmCall{"history with totalCount", func(ctx context.Context) error {
			return result(s.History(ctx, HistoryParams{ID: warmID, WithTotal: true}))
		}},
		warmCall{"auditEvents", func(ctx context.Context) error { return result(s.AuditEvents(ctx, AuditParams{})) }},
		warmCall{"partner lookup", func(ctx context.Context) error {
			return result(s.PartnerRegistered(ctx, warmID, "warm-up"))
		}},
		warmCall{"audit write", s.warmAuditWrite},
	)
}

// warmDuplicateCandidates plans the three statements of DuplicateCandidates for the label (a
// call of it stops at the first, and reads the others' parameters from the first's answer).
func (s *Store) warmDuplicateCandidates(ctx context.Context, label string) error {
	params := viewerParams(ctx, nil)
	_, err := readWithin(ctx, s, txTimeout(ctx, s.cfg.Traversal.Timeout), func(tx statementRunner) (any, error) {
		for _, statement := range []struct {
			cypher string
			params map[string]any
		}{
			{duplicateRecordsCypher(label), params},
			{duplicateEvidenceCypher, viewerParams(ctx, map[string]any{"ids": []string{warmID}})},
			{duplicateNodesCypher, viewerParams(ctx, map[string]any{"ids": []string{warmID}})},
		} {
			if _, err := s.run(ctx, tx, statement.cypher, statement.params); !errors.Is(err, errPlanned) {
				return nil, err
			}
		}
		return nil, errPlanned
	})
	return err
}

// warmAuditWrite plans the audit writer's statement with an event of the shape RecordAudit
// writes, as auditWriter.commit runs it.
func (s *Store) warmAuditWrite(ctx context.Context) error {
	warm, partner := "warm-up", warmID
	record := auditRecord{ID: warmID, At: time.Now().UTC(), Issuer: &warm, Subject: &warm, Partner: &partner,
		OperationType: "query", RootFields: []string{"node"}, EntityIDs: []string{warmID}}
	return s.audit.commitToNeo4j(ctx, []auditRecord{record})
}

// warmCallers are the callers whose statements differ in text or parameter types: a partner
// holding every scope, one without personal data (search and identifier ties read other
// properties), and an anonymous caller (its $viewer is null).
var warmCallers = []auth.Caller{
	{Issuer: "warm-up", Subject: "warm-up", PartnerID: warmID, Scopes: auth.AllScopes},
	{Issuer: "warm-up", Subject: "warm-up", PartnerID: warmID, Scopes: []auth.Scope{auth.ScopeGraphRead, auth.ScopeSupplyChainRead}},
	{},
}

var warmCallerNames = []string{"partner", "partner without personal data", "anonymous"}

// WarmPlans has Neo4j plan the store's fixed statements (warmCalls, as each of warmCallers),
// within ctx: it stops when ctx ends, and says so (Complete false). A call the caller may not
// make (FORBIDDEN, before any statement) is skipped; one whose statement Neo4j refuses is
// reported in Failed and does not stop the others.
func (s *Store) WarmPlans(ctx context.Context) *PlanWarmup {
	started := time.Now()
	recorder := &planRecorder{}
	warmup := &PlanWarmup{Complete: true}
	for i, caller := range warmCallers {
		who := warmCallerNames[i]
		callerCtx := context.WithValue(auth.WithCaller(ctx, caller), planOnlyKey{}, recorder)
		for _, c := range s.warmCalls() {
			err := c.call(callerCtx)
			switch {
			case errors.Is(err, errPlanned):
				warmup.Planned = append(warmup.Planned, c.name+" as "+who)
			case ctx.Err() != nil:
				warmup.Complete = false
			case tg.ErrorCode(err) == tg.Forbidden:
			default:
				warmup.Failed = append(warmup.Failed, fmt.Sprintf("%s as %s: %v", c.name, who, err))
			}
			if !warmup.Complete {
				break
			}
		}
		if !warmup.Complete {
			break
		}
	}
	warmup.Statements, warmup.Elapsed = recorder.statements, time.Since(started)
	return warmup
}
