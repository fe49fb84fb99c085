package resolvers

import (
	"context"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/graph/model"
)

// canReadSupplyChains lets supply-chain queries through with supplychain:read or graph:read
// (@hasScope takes one scope, so the alternative is checked here).
func canReadSupplyChains(ctx context.Context) error {
	caller := auth.CallerFrom(ctx)
	if caller.Has(auth.ScopeSupplyChainRead) || caller.Has(auth.ScopeGraphRead) {
		return nil
	}
	return tg.Errorf(tg.Forbidden, "this field needs the %s or the %s scope", auth.ScopeSupplyChainRead, auth.ScopeGraphRead)
}

// labelOfEntityType maps the schema's EntityType to the store's labels.
var labelOfEntityType = map[model.EntityType]string{
	model.EntityTypePerson:     tg.LabelPerson,
	model.EntityTypeLocation:   tg.LabelLocation,
	model.EntityTypeRoute:      tg.LabelRoute,
	model.EntityTypeBusiness:   tg.LabelBusiness,
	model.EntityTypeIncident:   tg.LabelIncident,
	model.EntityTypeIdentifier: tg.LabelIdentifier,
	model.EntityTypeReport:     tg.LabelReport,
}
