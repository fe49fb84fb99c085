package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/traffikgraph/traffikgraph"
)

// The readiness probe's rhythm. A request never waits for a probe: it reads the last result, so
// during an outage it is refused at once instead of waiting for the driver's retries. A probe
// that fails is an outage (a refused or reset connection is what a dead database looks like; the
// probe has its own connection, so a busy pool does not fail it), except one that only ran out
// of time: a database slow under load is not gone, so that takes slowProbesForOutage in a row.
const (
	probeInterval       = 500 * time.Millisecond
	probeTimeout        = 2 * time.Second
	slowProbesForOutage = 3
	// A handler that has seen no request for probeIdleAfter stops probing until the next one.
	probeIdleAfter = time.Minute
	// unavailableRetryAfter is the Retry-After of a request refused during an outage: an embedded
	// Neo4j takes some seconds to restart.
	unavailableRetryAfter = 5 * time.Second
	// defaultUnreadyReason is what /readyz says when the probe's error carries no message meant
	// for clients: the prober learns nothing of addresses or topology.
	defaultUnreadyReason = "the database does not answer"
)

// errDatabaseUnreachable is the cause of the context of a request in flight when the probe
// finds the database unreachable: its Neo4j work is abandoned instead of retried.
var errDatabaseUnreachable = errors.New("the database became unreachable")

// readiness is the service's ability to serve, kept by a background probe (Deps.Ready) and
// checked again at once when an operation fails with UNAVAILABLE.
type readiness struct {
	probe  func(context.Context) error
	logger *slog.Logger
	wake   chan struct{} // asks the probe loop for a probe now

	mu       sync.Mutex
	err      error     // the last probe's failure; nil when it succeeded (or none ran yet)
	slow     int       // probes in a row that ran out of time
	checked  time.Time // when the last probe ended; zero before the first
	probed   chan struct{}
	lastUsed time.Time
	probing  bool
	// outage is cancelled when the database turns unreachable, and replaced when it answers again.
	outage    context.Context
	endOutage context.CancelFunc
}

func newReadiness(probe func(context.Context) error, logger *slog.Logger) *readiness {
	r := &readiness{probe: probe, logger: logger, wake: make(chan struct{}, 1), probed: make(chan struct{})}
	r.outage, r.endOutage = context.WithCancel(context.Background())
	return r
}

// readinessState is what a request reads of the readiness.
type readinessState struct {
	err    error           // the last probe's failure; nil: ready
	outage context.Context // ends with the next outage
	stale  bool            // no probe has ended recently
	probed <-chan struct{} // closed when the next probe ends
}

// state returns the readiness as the last probe left it, and keeps the probe loop running.
func (r *readiness) state() readinessState {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	r.lastUsed = now
	if !r.probing {
		r.probing = true
		go r.loop()
	}
	return readinessState{
		err: r.err, outage: r.outage, probed: r.probed,
		stale: r.checked.IsZero() || now.Sub(r.checked) > probeInterval+probeTimeout,
	}
}

// suspect asks for a probe now (an operation just met an unavailable database).
func (r *readiness) suspect() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *readiness) loop() {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
		case <-r.wake:
		}
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		err := r.probe(ctx)
		timedOut := err != nil && ctx.Err() != nil
		cancel()
		if !r.record(err, timedOut) {
			return
		}
		timer.Reset(probeInterval)
	}
}

// record keeps a probe's result, ends or begins an outage on a change, and tells whether the
// loop should go on (it stops once no request has come for probeIdleAfter).
func (r *readiness) record(err error, timedOut bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if timedOut {
		r.slow++
	} else {
		r.slow = 0
	}
	if timedOut && r.slow < slowProbesForOutage && r.err == nil {
		err = nil // slow, not gone (yet)
	}
	switch {
	case err != nil && r.err == nil:
		r.endOutage()
		r.logger.Warn("not ready; refusing GraphQL requests until ready", slog.String("reason", unreadyReason(err)), slog.Any("error", err))
	case err == nil && r.err != nil:
		r.outage, r.endOutage = context.WithCancel(context.Background())
		r.logger.Info("ready")
	}
	r.err, r.checked = err, time.Now()
	close(r.probed)
	r.probed = make(chan struct{})
	if time.Since(r.lastUsed) > probeIdleAfter {
		r.probing = false
		return false
	}
	return true
}

// reason is what a client may be told of why the service is not ready: the message of a
// *traffikgraph.Error the probe returned, or a generic one.
func unreadyReason(err error) string {
	if appErr, ok := errors.AsType[*traffikgraph.Error](err); ok {
		return appErr.Message
	}
	return defaultUnreadyReason
}

// failFast refuses GraphQL requests while the database cannot be reached, before anything
// (token verification included) could wait on it: 503, Retry-After and UNAVAILABLE, saying that
// nothing was read or written. A request let through runs under a context that ends with the
// next outage, so its Neo4j work stops instead of being retried for the driver's 30 s.
func failFast(r *readiness) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.Method == http.MethodOptions {
				next.ServeHTTP(w, req)
				return
			}
			state := r.state()
			if state.err != nil {
				w.Header().Set("Retry-After", strconv.Itoa(int(unavailableRetryAfter.Seconds())))
				writeError(w, http.StatusServiceUnavailable, traffikgraph.Unavailable,
					unreadyReason(state.err)+"; nothing was read or written: retry later")
				return
			}
			ctx, cancel := context.WithCancelCause(req.Context())
			stop := context.AfterFunc(state.outage, func() { cancel(errDatabaseUnreachable) })
			defer func() {
				stop()
				cancel(nil)
			}()
			next.ServeHTTP(w, req.WithContext(ctx))
		})
	}
}

// readyz answers 200 when ready and 503 with the reason otherwise, so a load balancer sends
// traffic only to instances that can serve it. A stale state (no recent probe) waits for a
// fresh probe. The detail of a failure goes to the log, not to the unauthenticated prober.
func readyz(r *readiness) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		state := r.state()
		err := state.err
		if state.stale {
			r.suspect()
			select {
			case <-state.probed:
				err = r.state().err
			case <-time.After(probeTimeout + time.Second):
				err = errors.New("the readiness probe did not finish in time")
			case <-req.Context().Done():
				return
			}
		}
		if err != nil {
			writeUnready(w, unreadyReason(err))
			return
		}
		writeStatus(w, http.StatusOK, "ok")
	}
}

// readinessWatch asks for a probe as soon as an operation's answer says UNAVAILABLE, so that
// the requests after it are refused at once if the database has gone.
type readinessWatch struct{ readiness *readiness }

var (
	_ graphql.HandlerExtension    = readinessWatch{}
	_ graphql.ResponseInterceptor = readinessWatch{}
)

func (readinessWatch) ExtensionName() string                   { return "ReadinessWatch" }
func (readinessWatch) Validate(graphql.ExecutableSchema) error { return nil }

func (w readinessWatch) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	response := next(ctx)
	if response != nil {
		for _, e := range response.Errors {
			if code, _ := e.Extensions["code"].(string); code == string(traffikgraph.Unavailable) {
				w.readiness.suspect()
				break
			}
		}
	}
	return response
}
