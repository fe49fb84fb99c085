// Package scalars marshals the schema's custom scalars that gqlgen does not know.
package scalars

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
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
		return store.Date{}, fmt.Errorf("a Date must be a string YYYY-MM-DD")
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return store.Date{}, fmt.Errorf("a Date must be YYYY-MM-DD")
	}
	return store.Date(t), nil
}
