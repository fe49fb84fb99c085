// Package traffikgraph holds what every layer shares: the application error and its stable codes.
// The store, auth and resolvers return *Error for anything a client may be told; the GraphQL
// error presenter maps it to extensions.code, and everything else becomes INTERNAL.
package traffikgraph

import (
	"errors"
	"fmt"
)

// Code is a stable error code, sent to clients as extensions.code.
type Code string

// The codes of docs/design.md ("API conventions").
const (
	Unauthenticated Code = "UNAUTHENTICATED"
	Forbidden       Code = "FORBIDDEN"
	BadUserInput    Code = "BAD_USER_INPUT"
	NotFound        Code = "NOT_FOUND"
	LimitExceeded   Code = "LIMIT_EXCEEDED"
	Unavailable     Code = "UNAVAILABLE"
	Internal        Code = "INTERNAL"
)

// Error is an error a client may see: a code, a human message and, for bad input, the
// offending field (as a path such as "input.countryCode").
type Error struct {
	Code    Code
	Message string
	Field   string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidField returns a BAD_USER_INPUT error naming the field.
func InvalidField(field, format string, args ...any) *Error {
	return &Error{Code: BadUserInput, Message: fmt.Sprintf(format, args...), Field: field}
}

// ErrorCode returns the code of the first *Error in err's chain, or INTERNAL.
func ErrorCode(err error) Code {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return Internal
}
