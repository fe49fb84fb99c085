// The traffikgraph graph (docs/graph-model.md) as @neo4j/graphql sees it: the labels, properties
// and relationships that the benchmark's cases read, with our visibility rule written as far as
// @neo4j/graphql can write it. README.md beside this file says what it cannot express.

// visibleNode is our rule ("Who sees a node or relationship") as @authorization filter rules:
// a node that some rule lets through is read, any other is left out (not refused). CLEAR data
// needs no token; every other rule reads the caller's partner and peers from the JWT. Written
// once and put on every node type, as the store writes it once for every query.
const visibleNode = `@authorization(filter: [
    { requireAuthentication: false, where: { node: { tlp: { eq: "CLEAR" } } } }
    { where: { node: { tlp: { eq: "GREEN" } } } }
    { where: { node: { tlp: { eq: "AMBER" }, sourcePartner: { in: "$jwt.peers" } } } }
    { where: { node: { tlp: { in: ["AMBER_STRICT", "RED"] }, sourcePartner: { eq: "$jwt.partner" } } } }
    { where: { node: { tlp: { eq: "RED" }, sharedWith: { includes: "$jwt.partner" } } } }
  ])`;

// readScope is our graph:read scope, which every read needs.
const readScope = `@authentication(operations: [READ, AGGREGATE], jwt: { scopes: { includes: "graph:read" } })`;

// The markings every node and relationship carries.
const marking = `
  tlp: String!
  sourcePartner: String!
  sharedWith: [String!]`;

export const typeDefs = /* GraphQL */ `
# The verified access token as server.mjs hands it over: our development issuer's claims, plus
# scopes (the space-separated scope claim as a list) and peers (the partners sharing a sharing
# group with the caller's partner, itself included), which no token carries: server.mjs reads
# them from the graph.
type JWT @jwt {
  partner: String
  scopes: [String!]
  peers: [String!]
}

type Incident @node ${readScope} ${visibleNode} {
  id: ID!
  title: String
  occurredFrom: Date
  victimCount: Int
  ${marking}
  # A list although an incident has one place: @neo4j/graphql filters a relationship's marking
  # (in the query's where: it refuses @authorization on @relationshipProperties types) only on
  # list relationships; the benchmark's queries take first: 1, as our API takes the first.
  location: [Location!]! @relationship(type: "OCCURRED_AT", direction: OUT, properties: "Marking")
  people: [Person!]! @relationship(type: "INVOLVED_IN", direction: IN, properties: "Involvement")
}

type Location @node ${readScope} ${visibleNode} {
  id: ID!
  name: String
  kind: String
  countryCode: String
  ${marking}
  # A list for the same reason as Incident.location.
  parent: [Location!]! @relationship(type: "WITHIN", direction: OUT, properties: "Marking")
}

type Person @node ${readScope} ${visibleNode} {
  id: ID!
  # Personal data: asking for it without graph:read:pii refuses the whole request, where our API
  # answers null.
  name: String @authentication(operations: [READ], jwt: { scopes: { includes: "graph:read:pii" } })
  nationality: String
  ${marking}
}

type Marking @relationshipProperties {
  ${marking}
}

type Involvement @relationshipProperties {
  role: String
  ${marking}
}
`;
