package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/traffikgraph/traffikgraph"
)

// internalErrorMessage is all a client learns of a failure that is ours, not theirs.
const internalErrorMessage = "internal error"

// errRecovered is what a recovered panic becomes; the panic is logged once, by the recover
// function, so the presenter lets it through silently.
var errRecovered = &traffikgraph.Error{Code: traffikgraph.Internal, Message: internalErrorMessage}

// presentError classifies every error once, at the edge, into the stable extensions.code:
//   - a *traffikgraph.Error in the chain gives its code, message and extensions.field;
//   - an error gqlgen or gqlparser wrote for the client (parse, validation, variables, APQ,
//     limits) keeps its message and code;
//   - a passed deadline, a cancelled request, or the database gone while the request ran
//     (readiness.go) is UNAVAILABLE;
//   - anything else may carry Cypher, addresses or stack text: the client gets "internal error"
//     with code INTERNAL, and the log gets the detail with the request id.
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		presented := &gqlerror.Error{Path: graphql.GetPath(ctx)}
		gqlErr, isGQLError := errors.AsType[*gqlerror.Error](err)
		if isGQLError {
			presented.Path, presented.Locations = gqlErr.Path, gqlErr.Locations
		}
		appErr, isAppError := errors.AsType[*traffikgraph.Error](err)
		switch {
		case errors.Is(err, errRecovered):
			setCode(presented, traffikgraph.Internal, internalErrorMessage)
		case isAppError && appErr.Code != traffikgraph.Internal:
			setCode(presented, appErr.Code, appErr.Message)
			if appErr.Field != "" {
				presented.Extensions["field"] = appErr.Field
			} else if appErr.Code == traffikgraph.BadUserInput && len(presented.Path) > 1 {
				// A scalar refused while reading arguments: its path is [field, argument, ...].
				presented.Extensions["field"] = presented.Path[1:].String()
			}
		case errors.Is(context.Cause(ctx), errDatabaseUnreachable):
			// Stopped by the readiness probe (failFast): a write in flight may or may not have committed.
			setCode(presented, traffikgraph.Unavailable,
				"the database became unreachable while the request ran; a write in it may not have been applied: check before retrying")
		case errors.Is(err, context.DeadlineExceeded):
			setCode(presented, traffikgraph.Unavailable, "the request took too long and was stopped")
		case errors.Is(err, context.Canceled):
			setCode(presented, traffikgraph.Unavailable, "the request was cancelled")
		case isGQLError && gqlErr.Err == nil:
			// Written by gqlgen or gqlparser for the client: no wrapped cause that could leak.
			presented.Message, presented.Rule = gqlErr.Message, gqlErr.Rule
			presented.Extensions = maps.Clone(gqlErr.Extensions)
			if code, _ := presented.Extensions["code"].(string); code == "" {
				setCode(presented, traffikgraph.BadUserInput, gqlErr.Message)
			}
		default:
			logger.ErrorContext(ctx, "internal error",
				slog.String("request_id", RequestID(ctx)),
				slog.String("path", presented.Path.String()),
				slog.Any("error", err))
			setCode(presented, traffikgraph.Internal, internalErrorMessage)
		}
		return presented
	}
}

func setCode(e *gqlerror.Error, code traffikgraph.Code, message string) {
	e.Message = message
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = string(code)
}

// recoverPanic logs a resolver's panic with its stack and the request id, and hands the presenter
// an INTERNAL error in its place.
func recoverPanic(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, recovered any) error {
		logger.ErrorContext(ctx, "panic while executing an operation",
			slog.String("request_id", RequestID(ctx)),
			slog.String("panic", fmt.Sprint(recovered)),
			slog.String("stack", string(debug.Stack())))
		return errRecovered
	}
}
