package traffikgraph

// The GraphQL executor in graph/ and the resolver stubs in resolvers/ are generated from schema/.
//go:generate go tool gqlgen generate

// docs/graph-model.md is generated from the model's table (model.go).
//go:generate go run ./internal/modeldoc docs/graph-model.md
