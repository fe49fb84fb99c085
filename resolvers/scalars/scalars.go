// Package scalars marshals the schema's custom scalars that gqlgen does not know.
package scalars

import (
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
