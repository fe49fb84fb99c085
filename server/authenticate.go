package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// Authenticator turns the Authorization header into a Caller. An empty header (the request had
// none) gives the anonymous caller and no error. A refused credential is a *traffikgraph.Error
// with code UNAUTHENTICATED, answered 401 with its message; any other error means verification
// itself failed (the partner registry unreachable), which is not the caller's fault and is
// answered 503 so that clients keep their token and retry. auth.Authenticator implements it.
type Authenticator interface {
	Authenticate(ctx context.Context, authorizationHeader string) (auth.Caller, error)
}

// authenticate puts the request's Caller into its context. It is the only place a Caller is
// made: whatever the request carries, the context gets exactly what the Authenticator verified,
// or the request is refused. No Authorization header is the anonymous caller; a header that is
// present but blank is a credential that went missing on the way (a client or proxy bug), and is
// refused rather than quietly served as anonymous.
//
// A refused credential is answered 401 and has no other consequence: no budget per address is
// spent, since one sender of junk behind a proxy or NAT would otherwise lock out every partner
// there. The Authenticator keeps a refusal cheap instead (no key fetch per forged token).
func authenticate(authenticator Authenticator, logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			headers := r.Header.Values("Authorization")
			if len(headers) > 1 {
				// Two credentials are ambiguous (which did a proxy add?); verify neither.
				refuseCredentials(w, "send exactly one Authorization header")
				return
			}
			var header string
			if len(headers) == 1 {
				header = headers[0]
				if strings.TrimSpace(header) == "" {
					logger.WarnContext(r.Context(), "access token refused",
						slog.String("request_id", RequestID(r.Context())), slog.String("reason", "empty Authorization header"))
					refuseCredentials(w, `malformed Authorization header: expected "Bearer <access token>"`)
					return
				}
			}
			caller, err := authenticator.Authenticate(r.Context(), header)
			if err != nil {
				answerAuthenticationError(w, r, logger, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(auth.WithCaller(r.Context(), caller)))
		})
	}
}

func answerAuthenticationError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	if appErr, ok := errors.AsType[*traffikgraph.Error](err); ok && appErr.Code == traffikgraph.Unauthenticated {
		// The Authenticator has logged why; its message is written for the client.
		refuseCredentials(w, appErr.Message)
		return
	}
	logger.ErrorContext(r.Context(), "cannot verify credentials",
		slog.String("request_id", RequestID(r.Context())), slog.Any("error", err))
	writeError(w, http.StatusServiceUnavailable, traffikgraph.Unavailable, "credentials cannot be verified right now")
}

// refuseCredentials answers 401 with the RFC 6750 challenge, so clients know to fetch a new token.
func refuseCredentials(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	writeError(w, http.StatusUnauthorized, traffikgraph.Unauthenticated, message)
}
