package resolvers

import (
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/graph/model"
)

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
