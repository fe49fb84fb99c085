package traffikgraph

// The GraphQL executor in graph/ and the resolver stubs in resolvers/ are generated from schema/.
//go:generate go tool gqlgen generate
