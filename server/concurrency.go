package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// concurrencyRetryAfter is the Retry-After of a request refused for want of a slot: slots free as
// soon as requests finish, so the smallest value HTTP can say.
const concurrencyRetryAfter = 1 * time.Second

// limitConcurrency bounds the requests in flight of each partner (all its callers together) and
// of every anonymous caller together, so that no partner, and no crowd without tokens, can hold
// every connection to Neo4j while others wait. A request over its bound waits up to wait for a
// slot, which absorbs bursts of quick requests, then gets 429 with Retry-After. CORS preflights
// take no slot.
func limitConcurrency(perPartner, anonymous int, wait time.Duration) func(http.Handler) http.Handler {
	slots := &concurrencySlots{perPartner: perPartner, anonymous: make(chan struct{}, anonymous),
		anonymousReports: make(chan struct{}, anonymous), partners: map[string]chan struct{}{}}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodOptions {
				next.ServeHTTP(w, r)
				return
			}
			caller := auth.CallerFrom(r.Context())
			slot := slots.of(caller, caller.Anonymous() && asksForAMutation(r))
			if !acquire(r.Context(), slot, wait) {
				w.Header().Set("Retry-After", fmt.Sprint(int(concurrencyRetryAfter.Seconds())))
				message := fmt.Sprintf("too many requests in flight for your partner (at most %d at once, all its callers together); try again in %d s",
					perPartner, int(concurrencyRetryAfter.Seconds()))
				if caller.Anonymous() {
					message = fmt.Sprintf("too many requests without a token in flight (at most %d at once, all such callers together); try again in %d s",
						cap(slots.anonymous), int(concurrencyRetryAfter.Seconds()))
				}
				writeError(w, http.StatusTooManyRequests, traffikgraph.LimitExceeded, message)
				return
			}
			defer func() { <-slot }()
			next.ServeHTTP(w, r)
		})
	}
}

// concurrencySlots holds a semaphore per partner, made on its first request and kept: partners
// are registered, so there are few.
// Callers without a token have two: one for reports they submit (the only mutation open to
// them), one for what they read, so that a crowd of addresses reading public hotspots cannot keep
// a victim's report out (60 addresses turned away 3 reports in 12 when they shared one).
type concurrencySlots struct {
	perPartner                  int
	anonymous, anonymousReports chan struct{}
	mu                          sync.Mutex
	partners                    map[string]chan struct{}
}

func (s *concurrencySlots) of(caller auth.Caller, mutation bool) chan struct{} {
	if caller.Anonymous() {
		if mutation {
			return s.anonymousReports
		}
		return s.anonymous
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	slot, ok := s.partners[caller.PartnerID]
	if !ok {
		slot = make(chan struct{}, s.perPartner)
		s.partners[caller.PartnerID] = slot
	}
	return slot
}

// acquire takes a place in slot, waiting up to wait for one; false when none came (or the
// request ended first).
func acquire(ctx context.Context, slot chan struct{}, wait time.Duration) bool {
	select {
	case slot <- struct{}{}:
		return true
	default:
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case slot <- struct{}{}:
		return true
	case <-timer.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// rootFieldParallelism bounds how many root fields of one operation resolve at a time. gqlgen
// resolves a query's root fields concurrently and each runs its own Neo4j query, so without it
// one request of two hundred aliases would want two hundred connections at once.
type rootFieldParallelism struct {
	limit int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.RootFieldInterceptor
} = rootFieldParallelism{}

type rootFieldSlotsKey struct{}

func (rootFieldParallelism) ExtensionName() string { return "RootFieldParallelism" }

func (p rootFieldParallelism) Validate(graphql.ExecutableSchema) error {
	if p.limit <= 0 {
		return fmt.Errorf("root field parallelism must be positive")
	}
	return nil
}

func (p rootFieldParallelism) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	return next(context.WithValue(ctx, rootFieldSlotsKey{}, make(chan struct{}, p.limit)))
}

func (rootFieldParallelism) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	slots, ok := ctx.Value(rootFieldSlotsKey{}).(chan struct{})
	if !ok {
		return next(ctx)
	}
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		// The request ended while this field waited: it is not started at all.
		graphql.AddError(ctx, &gqlerror.Error{Err: ctx.Err(), Message: ctx.Err().Error(), Path: rootFieldPath(ctx)})
		return graphql.Null
	}
	defer func() { <-slots }()
	return next(ctx)
}

func rootFieldPath(ctx context.Context) ast.Path {
	if field := graphql.GetRootFieldContext(ctx); field != nil {
		return ast.Path{ast.PathName(field.Field.Alias)}
	}
	return nil
}

// asksForAMutation says whether r's operation is a mutation. The body is in memory already
// (readBodyFirst); it is parsed here only to choose a slot, and fully checked after. A request
// that cannot be read as one operation counts as a read, as do GET requests (no mutations).
func asksForAMutation(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Body == nil {
		return false
	}
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false
	}
	params, err := decodePostBody(body)
	if err != nil || params.Query == "" {
		return false
	}
	document, parseErr := parser.ParseQuery(&ast.Source{Input: params.Query})
	if parseErr != nil {
		return false
	}
	operation := document.Operations.ForName(params.OperationName)
	return operation != nil && operation.Operation == ast.Mutation
}
