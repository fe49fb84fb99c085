package store

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// Period is how long a fact is kept, in calendar years, months and days; the zero Period keeps
// it for ever. It is a flag.Value: "12mo", "6y", "90d", "1y6mo", or "0" for ever.
type Period struct{ Years, Months, Days int }

var periodPattern = regexp.MustCompile(`^(?:(\d+)y)?(?:(\d+)mo)?(?:(\d+)d)?$`)

// ParsePeriod reads a Period as Period.String writes it.
func ParsePeriod(s string) (Period, error) {
	if s == "0" {
		return Period{}, nil
	}
	m := periodPattern.FindStringSubmatch(s)
	if m == nil || s == "" {
		return Period{}, fmt.Errorf("a retention period is years, months and days such as 6y, 12mo, 90d or 1y6mo (0 keeps for ever), not %q", s)
	}
	var parts [3]int
	for i, raw := range m[1:] {
		if raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil {
				return Period{}, fmt.Errorf("retention period %q: %w", s, err)
			}
			parts[i] = n
		}
	}
	return Period{Years: parts[0], Months: parts[1], Days: parts[2]}, nil
}

func (p Period) String() string {
	if p == (Period{}) {
		return "0"
	}
	s := ""
	for _, part := range []struct {
		n    int
		unit string
	}{{p.Years, "y"}, {p.Months, "mo"}, {p.Days, "d"}} {
		if part.n != 0 {
			s += strconv.Itoa(part.n) + part.unit
		}
	}
	return s
}

// Set implements flag.Value.
func (p *Period) Set(s string) error {
	parsed, err := ParsePeriod(s)
	if err == nil {
		*p = parsed
	}
	return err
}

// RetentionPolicy says how long each kind of fact retention removes is kept; everything else
// (entities, links, the history of what exists) is kept.
type RetentionPolicy struct {
	// UnlinkedAnonymousReports: public submissions that no one linked to an incident, a location
	// or an entity (no EVIDENCES, ABOUT or MENTIONS), from submittedAt (createdAt without it).
	UnlinkedAnonymousReports Period
	// DismissedReports: reports of status DISMISSED, from their last change (updatedAt: the
	// dismissal or later), never from their submission, so a report dismissed today stays its
	// whole period.
	DismissedReports Period
	// AuditEvents: the audit trail, from each event's at.
	AuditEvents Period
}

// DefaultRetention is the policy a DPO starts from (docs/stewardship.md).
func DefaultRetention() RetentionPolicy {
	return RetentionPolicy{
		UnlinkedAnonymousReports: Period{Months: 12},
		DismissedReports:         Period{Months: 3},
		AuditEvents:              Period{Years: 6},
	}
}

// RetentionRule is one rule's part of a retention run.
type RetentionRule struct {
	Name   string
	Period Period
	// Cutoff is the instant before which facts are due (zero when the period keeps for ever).
	Cutoff time.Time
	// Due is how many facts were due when the run started; Removed how many it removed.
	Due, Removed int
}

type retentionRule struct {
	name   string
	period func(RetentionPolicy) Period
	// match binds n to the facts due before $cutoff.
	match string
	// report says the facts are reports: their versions go with them and a DELETED version
	// records each removal.
	report bool
}

var retentionRules = []retentionRule{
	{
		name:   "unlinkedAnonymousReports",
		period: func(p RetentionPolicy) Period { return p.UnlinkedAnonymousReports },
		match: `MATCH (n:` + tg.LabelReport + `) WHERE n.publicSubmission = true
      AND coalesce(n.submittedAt, n.createdAt) < $cutoff
      AND NOT EXISTS { (n)-[:` + tg.RelEvidences + `|` + tg.RelMentions + `|` + tg.RelAbout + `]-() }`,
		report: true,
	},
	{
		name:   "dismissedReports",
		period: func(p RetentionPolicy) Period { return p.DismissedReports },
		match: `MATCH (n:` + tg.LabelReport + `) WHERE n.status = 'DISMISSED'
      AND coalesce(n.updatedAt, n.createdAt) < $cutoff`,
		report: true,
	},
	{
		name:   "auditEvents",
		period: func(p RetentionPolicy) Period { return p.AuditEvents },
		match:  `MATCH (n:` + tg.LabelAuditEvent + `) WHERE n.at < $cutoff`,
	},
}

// deleteDueReports removes a batch of due reports with their relationships and their history
// (whose versions hold the reports' text), returning what the DELETED and UNLINKED versions
// recording the removal need.
const deleteDueReports = `
WITH n LIMIT $batch
OPTIONAL MATCH (n)-[r]-()
WITH n, [x IN collect(r) | {type: type(x), from: startNode(x).id, to: endNode(x).id, props: properties(x)}] AS removed
CALL { WITH n MATCH (v:` + tg.LabelVersion + ` {entityId: n.id}) WHERE v.at IS NOT NULL DETACH DELETE v }
WITH n, properties(n) AS node, removed
DETACH DELETE n
RETURN node, removed`

const deleteDueFacts = `
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS removed`

// retentionReason is the reason of every version retention records.
const retentionReason = "retention"

// Retention finds, per rule of policy, the facts due at now; with apply it removes them, batch
// at a time, each batch one transaction with the versions that record it, and records the run in
// the audit trail. A second run at the same now removes nothing. Reports feed no aggregate
// (incident counts, hotspots and flows are of incidents and places), so every rule deletes and
// none needs to anonymise. The run acts as the hub: the triage partner, subject "retention".
func (s *Store) Retention(ctx context.Context, policy RetentionPolicy, now time.Time, apply bool, batch int) ([]RetentionRule, error) {
	if batch < 1 {
		return nil, tg.InvalidField("batch", "must be positive")
	}
	ctx = auth.WithCaller(ctx, auth.Caller{Issuer: "traffikgraph", Subject: retentionReason, PartnerID: s.cfg.TriagePartner})
	var out []RetentionRule
	var removedIDs []string
	var runErr error
	for _, rule := range retentionRules {
		r := RetentionRule{Name: rule.name, Period: rule.period(policy)}
		if r.Period == (Period{}) {
			out = append(out, r)
			continue
		}
		r.Cutoff = now.UTC().AddDate(-r.Period.Years, -r.Period.Months, -r.Period.Days)
		params := map[string]any{"cutoff": r.Cutoff, "batch": batch}
		records, err := readTx(ctx, s, func(tx statementRunner) ([]*neo4j.Record, error) {
			return s.run(ctx, tx, rule.match+"\nRETURN count(n) AS due", params)
		})
		if err != nil {
			return nil, fmt.Errorf("retention %s: %w", rule.name, err)
		}
		due, _ := records[0].Get("due")
		r.Due = int(due.(int64))
		for apply && runErr == nil {
			ids, n, err := s.removeDueBatch(ctx, rule, params)
			if err != nil {
				runErr = fmt.Errorf("retention %s: %w", rule.name, err)
			}
			r.Removed += n
			removedIDs = append(removedIDs, ids...)
			if n == 0 {
				break
			}
		}
		out = append(out, r)
		if runErr != nil {
			break
		}
	}
	if !apply {
		return out, nil
	}
	caller := auth.CallerFrom(ctx)
	record := &AuditEvent{
		Issuer: &caller.Issuer, Subject: &caller.Subject, Partner: &caller.PartnerID,
		OperationType: "mutation", RootFields: []string{retentionReason}, EntityIDs: removedIDs, Complete: runErr == nil,
	}
	if err := s.RecordAudit(context.WithoutCancel(ctx), record); err != nil {
		return out, fmt.Errorf("retention: %w", err)
	}
	return out, runErr
}

// removeDueBatch removes one batch of a rule's due facts in one transaction, returning the ids of
// the reports it removed and how many facts.
func (s *Store) removeDueBatch(ctx context.Context, rule retentionRule, params map[string]any) ([]string, int, error) {
	type removal struct {
		ids []string
		n   int
	}
	res, err := writeTx(ctx, s, func(tx neo4j.ManagedTransaction) (removal, error) {
		if !rule.report {
			records, err := s.run(ctx, tx, rule.match+deleteDueFacts, params)
			if err != nil {
				return removal{}, err
			}
			n, _ := records[0].Get("removed")
			return removal{n: int(n.(int64))}, nil
		}
		records, err := s.run(ctx, tx, rule.match+deleteDueReports, params)
		if err != nil {
			return removal{}, err
		}
		reason := retentionReason
		var out removal
		var versions []Version
		for _, rec := range records {
			raw, _ := rec.Get("node")
			node := raw.(map[string]any)
			id, _ := node["id"].(string)
			out.ids = append(out.ids, id)
			// No values: the report's text is what retention forgets.
			versions = append(versions, Version{EntityIDs: []string{id}, Label: tg.LabelReport, Change: tg.ChangeDeleted,
				Reason: &reason, Node: node, Marking: markingOf(node)})
			removed, _ := rec.Get("removed")
			for _, link := range removed.([]any) {
				versions = append(versions, unlinkedVersion(link.(map[string]any), &reason))
			}
		}
		out.n = len(out.ids)
		return out, s.recordVersion(ctx, tx, versions...)
	})
	return res.ids, res.n, err
}
