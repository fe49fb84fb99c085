package workspace

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"

	tg "github.com/traffikgraph/traffikgraph"
)

func neo4jDate(t time.Time) dbtype.Date { return dbtype.Date(t) }

func neo4jPoint(lat, lon float64) dbtype.Point2D {
	return dbtype.Point2D{X: lon, Y: lat, SpatialRefId: 4326} // WGS-84, as the hub stores points
}

// PullLabel is the label of the one bookkeeping node a scope's pull leaves in the workspace: the
// hub, the scope and the ids it pulled, so that a refresh knows what the API no longer returns.
// It is not an Entity and carries none of the hub's data.
const PullLabel = "TraffikgraphPull"

// Options say what to pull from where into which Neo4j.
type Options struct {
	Hub   *Client
	Scope Scope
	// PageSize is the entities asked a page (the API's maximum is 500); 0 means 500.
	PageSize int
	// Target is the workspace's Neo4j, Database its database ("" is the server's default).
	Target   neo4j.DriverWithContext
	Database string
	// Progress receives a progress bar, drawn only when it is a terminal; nil draws none.
	Progress io.Writer
}

// Summary is what a pull did.
type Summary struct {
	ExportID string
	// Entities and Relationships are what the workspace holds for the scope now; Removed the
	// entities of the previous pull of the scope that the API no longer returns, and
	// RelationshipsBefore the relationships the scope's entities had among them before.
	Entities, Relationships      int
	Removed, RelationshipsBefore int
	Truncated                    bool
	Redacted                     []string
	Fetch, Write                 time.Duration
	EntitiesPerSecond            float64
	EntitiesByLabel              map[string]int
	RelationshipsByType          map[string]int
}

// String is the summary as the command prints it.
func (s *Summary) String() string {
	out := fmt.Sprintf("pulled %d entities and %d relationships (export %s) in %s: %.0f entities/s (fetch %s, write %s)",
		s.Entities, s.Relationships, s.ExportID, (s.Fetch + s.Write).Round(time.Millisecond), s.EntitiesPerSecond,
		s.Fetch.Round(time.Millisecond), s.Write.Round(time.Millisecond))
	if s.Removed > 0 {
		out += fmt.Sprintf("\nremoved %d entities of the previous pull that the hub no longer shows you", s.Removed)
	}
	if s.RelationshipsBefore != s.Relationships {
		out += fmt.Sprintf("\nthe scope's entities had %d relationships among them before this pull", s.RelationshipsBefore)
	}
	if s.Truncated {
		out += "\nthe scope's limit cut it: more entities lie within it (raise --limit or narrow the scope)"
	}
	if len(s.Redacted) > 0 {
		out += "\npersonal data withheld (your token has no graph:read:pii): " + fmt.Sprint(s.Redacted)
	}
	return out
}

type relationship struct {
	Type     string
	From, To string
	Props    map[string]any
}

// Pull reads every page of the scope's export and writes it into the workspace: entities merged by id with exactly the properties the API answered (a property
// no longer answered is removed), the relationships among the scope's entities replaced by those
// answered, and the entities of the previous pull of the same scope that the API no longer
// returns removed (unless another scope's pull holds them).
func Pull(ctx context.Context, opts Options) (*Summary, error) {
	if opts.PageSize == 0 {
		opts.PageSize = 500
	}
	if err := EnsureConstraints(ctx, opts.Target, opts.Database); err != nil {
		return nil, err
	}
	sum := &Summary{EntitiesByLabel: map[string]int{}, RelationshipsByType: map[string]int{}}
	bar := newProgressBar(opts.Progress)
	started := time.Now()
	nodes := map[string][]map[string]any{} // by label
	var ids []string
	var rels []relationship
	redacted := map[string]bool{}
	var after *string
	for {
		page, err := opts.Hub.Export(ctx, opts.Scope, opts.PageSize, after)
		if err != nil {
			return nil, err
		}
		sum.ExportID, sum.Truncated = page.ExportID, page.Truncated
		for _, n := range page.Nodes {
			label, _ := n["__typename"].(string)
			id, _ := n["id"].(string)
			if !slices.Contains(labels, label) || id == "" {
				return nil, fmt.Errorf("the hub answered an entity of type %q", label)
			}
			props, err := properties(n)
			if err != nil {
				return nil, fmt.Errorf("entity %s: %w", id, err)
			}
			nodes[label] = append(nodes[label], props)
			ids = append(ids, id)
		}
		for _, r := range page.Relationships {
			typ, _ := r["type"].(string)
			from, _ := dig(r, "from", "id").(string)
			to, _ := dig(r, "to", "id").(string)
			if !slices.Contains(relationshipTypes, typ) || from == "" || to == "" {
				return nil, fmt.Errorf("the hub answered a relationship of type %q", typ)
			}
			props, err := properties(r, "type", "from", "to")
			if err != nil {
				return nil, fmt.Errorf("relationship %s: %w", typ, err)
			}
			rels = append(rels, relationship{Type: typ, From: from, To: to, Props: props})
		}
		for _, path := range page.Redacted {
			redacted[redactedField(path)] = true
		}
		bar.draw(len(ids), page.TotalCount)
		if !page.PageInfo.HasNextPage || page.PageInfo.EndCursor == nil {
			break
		}
		after = page.PageInfo.EndCursor
	}
	bar.done()
	sum.Fetch = time.Since(started)
	writeStarted := time.Now()
	if err := write(ctx, opts, nodes, ids, rels, sum); err != nil {
		return nil, err
	}
	sum.Write = time.Since(writeStarted)
	sum.Entities, sum.Relationships = len(ids), len(rels)
	for label, rows := range nodes {
		sum.EntitiesByLabel[label] = len(rows)
	}
	for _, r := range rels {
		sum.RelationshipsByType[r.Type]++
	}
	for field := range redacted {
		sum.Redacted = append(sum.Redacted, field)
	}
	slices.Sort(sum.Redacted)
	if total := (sum.Fetch + sum.Write).Seconds(); total > 0 {
		sum.EntitiesPerSecond = float64(sum.Entities) / total
	}
	return sum, nil
}

// redactedField names a redacted path's field by its type-free tail: nodes.3.name -> name.
func redactedField(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '.' {
			return path[i+1:]
		}
	}
	return path
}

// scopeKey identifies a scope of a hub, so that a refresh finds its previous pull.
func scopeKey(hub string, scope Scope) string {
	raw, _ := json.Marshal(struct {
		Hub   string `json:"hub"`
		Scope Scope  `json:"scope"`
	}{hub, scope}) // strings, numbers and raw JSON always marshal
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:16])
}

// writeBatch is how many entities (with the relationships leaving them) one transaction writes:
// a workspace's Neo4j bounds each transaction's memory (the embedded one to an eighth of its heap).
const writeBatch = 1000

// write stores the pull in batches of transactions, in an order that a re-run repairs if it is
// interrupted: entities, then the relationships leaving each batch of them, then what the previous
// pull of the scope held and this one does not, and last the scope's bookkeeping node.
func write(ctx context.Context, opts Options, nodes map[string][]map[string]any, ids []string, rels []relationship, sum *Summary) error {
	session := opts.Target.NewSession(ctx, neo4j.SessionConfig{DatabaseName: opts.Database, AccessMode: neo4j.AccessModeWrite})
	defer session.Close(ctx)
	inTx := func(work func(tx neo4j.ManagedTransaction) error) error {
		_, err := session.ExecuteWrite(ctx, func(tx neo4j.ManagedTransaction) (any, error) { return nil, work(tx) })
		return err
	}
	for _, label := range labels {
		for rows := range slices.Chunk(nodes[label], writeBatch) {
			// label comes from the allowlist above, never from the answer.
			if err := inTx(func(tx neo4j.ManagedTransaction) error {
				_, err := run(ctx, tx, `UNWIND $rows AS row
MERGE (n:`+tg.LabelEntity+` {id: row.id})
SET n = row, n:`+label, map[string]any{"rows": rows})
				return err
			}); err != nil {
				return err
			}
		}
	}
	leaving := map[string][]relationship{}
	for _, r := range rels {
		leaving[r.From] = append(leaving[r.From], r)
	}
	for batch := range slices.Chunk(ids, writeBatch) {
		byType := map[string][]map[string]any{}
		for _, id := range batch {
			for _, r := range leaving[id] {
				byType[r.Type] = append(byType[r.Type], map[string]any{"from": r.From, "to": r.To, "props": r.Props})
			}
		}
		if err := inTx(func(tx neo4j.ManagedTransaction) error {
			// The relationships among the scope's entities are replaced by those answered: what the
			// caller may no longer see goes, what changed is rewritten.
			replaced, err := run(ctx, tx, `UNWIND $batch AS id
MATCH (a:`+tg.LabelEntity+` {id: id})-[r]->(b:`+tg.LabelEntity+`)
WHERE b.id IN $ids
DELETE r
RETURN count(r) AS n`, map[string]any{"batch": batch, "ids": ids})
			if err != nil {
				return err
			}
			sum.RelationshipsBefore += intOf(replaced, "n")
			for _, typ := range relationshipTypes {
				if len(byType[typ]) == 0 {
					continue
				}
				if _, err := run(ctx, tx, `UNWIND $rows AS row
MATCH (a:`+tg.LabelEntity+` {id: row.from})
MATCH (b:`+tg.LabelEntity+` {id: row.to})
CREATE (a)-[r:`+typ+`]->(b)
SET r = row.props`, map[string]any{"rows": byType[typ]}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	key := scopeKey(opts.Hub.URL, opts.Scope)
	// What the previous pull of this scope held and this one does not is gone from the workspace,
	// unless another scope's pull holds it too.
	var gone []string
	if err := inTx(func(tx neo4j.ManagedTransaction) error {
		previous, err := run(ctx, tx, `OPTIONAL MATCH (previous:`+PullLabel+` {scope: $key})
RETURN [id IN coalesce(previous.entityIds, []) WHERE NOT id IN $ids] AS gone`, map[string]any{"key": key, "ids": ids})
		if v, ok := previous.Get("gone"); ok && err == nil {
			for _, id := range v.([]any) {
				gone = append(gone, id.(string))
			}
		}
		return err
	}); err != nil {
		return err
	}
	for batch := range slices.Chunk(gone, writeBatch) {
		if err := inTx(func(tx neo4j.ManagedTransaction) error {
			removed, err := run(ctx, tx, `UNWIND $gone AS id
MATCH (n:`+tg.LabelEntity+` {id: id})
WHERE NOT EXISTS { MATCH (other:`+PullLabel+`) WHERE other.scope <> $key AND id IN other.entityIds }
DETACH DELETE n
RETURN count(n) AS n`, map[string]any{"key": key, "gone": batch})
			sum.Removed += intOf(removed, "n")
			return err
		}); err != nil {
			return err
		}
	}
	scopeJSON, _ := json.Marshal(opts.Scope) // see scopeKey
	return inTx(func(tx neo4j.ManagedTransaction) error {
		_, err := run(ctx, tx, `MERGE (p:`+PullLabel+` {scope: $key})
SET p.hub = $hub, p.scopeJson = $scope, p.exportId = $export, p.pulledAt = datetime(), p.entityIds = $ids`,
			map[string]any{"key": key, "hub": opts.Hub.URL, "scope": string(scopeJSON), "export": sum.ExportID, "ids": ids})
		return err
	})
}

func run(ctx context.Context, tx neo4j.ManagedTransaction, cypher string, params map[string]any) (*neo4j.Record, error) {
	res, err := tx.Run(ctx, cypher, params)
	if err != nil {
		return nil, err
	}
	records, err := res.Collect(ctx)
	if err != nil || len(records) == 0 {
		return nil, err
	}
	return records[0], nil
}

func intOf(r *neo4j.Record, key string) int {
	if r == nil {
		return 0
	}
	v, _ := r.Get(key)
	n, _ := v.(int64)
	return int(n)
}

// EnsureConstraints creates the workspace's constraints (idempotent): ids unique on Entity and on
// each label, as on the hub, and one bookkeeping node per scope.
func EnsureConstraints(ctx context.Context, driver neo4j.DriverWithContext, database string) error {
	statements := []string{
		"CREATE CONSTRAINT workspace_entity_id IF NOT EXISTS FOR (n:" + tg.LabelEntity + ") REQUIRE n.id IS UNIQUE",
		"CREATE CONSTRAINT workspace_pull_scope IF NOT EXISTS FOR (p:" + PullLabel + ") REQUIRE p.scope IS UNIQUE",
	}
	for _, label := range labels {
		statements = append(statements, "CREATE CONSTRAINT workspace_"+label+"_id IF NOT EXISTS FOR (n:"+label+") REQUIRE n.id IS UNIQUE")
	}
	var errs []error
	for _, s := range statements {
		if _, err := neo4j.ExecuteQuery(ctx, driver, s, nil, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(database)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("workspace constraints: %w", err)
	}
	return nil
}

func dig(v any, path ...string) any {
	for _, key := range path {
		m, _ := v.(map[string]any)
		v = m[key]
	}
	return v
}

// progressBar draws "pull [=====     ] 1200/5000 entities" on a terminal, and nothing elsewhere
// (a log file or a pipe gets only the summary).
type progressBar struct{ w io.Writer }

func newProgressBar(w io.Writer) progressBar {
	if f, ok := w.(*os.File); ok {
		if info, err := f.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
			return progressBar{w: w}
		}
	}
	return progressBar{}
}

const progressWidth = 30

func (b progressBar) draw(done, total int) {
	if b.w == nil {
		return
	}
	filled := progressWidth * done / max(1, total)
	fmt.Fprintf(b.w, "\rpull [%-*s] %d/%d entities", progressWidth, string(slices.Repeat([]byte{'='}, min(filled, progressWidth))), done, total)
}

func (b progressBar) done() {
	if b.w != nil {
		fmt.Fprintln(b.w)
	}
}
