// Package scalars marshals the schema's custom scalars that gqlgen does not know.
package scalars

import (
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/store"
)

// MarshalDate writes a Date as "YYYY-MM-DD".
func MarshalDate(d store.Date) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(time.Time(d).Format(time.DateOnly)))
	})
}

// UnmarshalDate reads "YYYY-MM-DD".
func UnmarshalDate(v any) (store.Date, error) {
	s, ok := v.(string)
	if !ok {
		return store.Date{}, tg.Errorf(tg.BadUserInput, "a Date must be a string YYYY-MM-DD")
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return store.Date{}, tg.Errorf(tg.BadUserInput, "a Date must be a valid date YYYY-MM-DD")
	}
	return store.Date(t), nil
}

// MarshalJSON writes a JSON value as it is (a version's stored values are JSON already); nil is
// null.
func MarshalJSON(v json.RawMessage) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		if v == nil {
			_, _ = io.WriteString(w, "null")
			return
		}
		_, _ = w.Write(v)
	})
}

// UnmarshalJSON reads any JSON value (no input takes one yet; gqlgen needs both directions).
func UnmarshalJSON(v any) (json.RawMessage, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, tg.Errorf(tg.BadUserInput, "not a JSON value")
	}
	return raw, nil
}
