// @neo4j/graphql over the benchmark's Neo4j, run by `traffikgraph bench --neo4j-graphql` as the
// third contender: the same questions, the same graph, the same access token as our API.
//
// Environment: NEO4J_URI, NEO4J_USERNAME, NEO4J_PASSWORD, NEO4J_DATABASE (the graph), PORT (on
// 127.0.0.1), TOKEN_ISSUER and TOKEN_AUDIENCE (whose tokens to accept: the issuer's key set is
// found by OpenID discovery, as our API finds it). It prints "ready" once it answers.
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import { createRemoteJWKSet, jwtVerify } from "jose";
import neo4j from "neo4j-driver";

import { typeDefs } from "./typedefs.mjs";

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is required`);
  }
  return value;
}

const database = process.env.NEO4J_DATABASE || "neo4j";
const issuer = required("TOKEN_ISSUER");
const audience = required("TOKEN_AUDIENCE");
const port = Number(required("PORT"));

const driver = neo4j.driver(required("NEO4J_URI"), neo4j.auth.basic(process.env.NEO4J_USERNAME || "neo4j", required("NEO4J_PASSWORD")));
await driver.verifyConnectivity({ database });

const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
const keys = createRemoteJWKSet(new URL(discovery.jwks_uri));

// Our rule shows AMBER data to the partners that share a sharing group with its source, a
// relation that lives in the graph and in no token. @neo4j/graphql's rules can only read the
// JWT, so the peers are read here, the same way as the store's prelude, and kept for
// peersTTLms per partner (so a membership change shows after at most that long, where our API
// sees it at once; the cache spares this contender a round trip per request).
const peersTTLms = 10_000;
const peersByPartner = new Map();
const peersQuery = `
OPTIONAL MATCH (:Partner {id: $partner})-[:MEMBER_OF]->(:SharingGroup)<-[:MEMBER_OF]-(peer:Partner)
RETURN collect(DISTINCT peer.id) + [$partner] AS peers`;

function peersOf(partner) {
  const cached = peersByPartner.get(partner);
  if (cached && cached.until > Date.now()) {
    return cached.peers;
  }
  const peers = driver
    .executeQuery(peersQuery, { partner }, { database, routing: neo4j.routing.READ })
    .then(({ records }) => records[0].get("peers"));
  peersByPartner.set(partner, { peers, until: Date.now() + peersTTLms });
  peers.catch(() => peersByPartner.delete(partner));
  return peers;
}

// jwtOf verifies the bearer token, as our API does, and gives @neo4j/graphql its claims; an
// anonymous request gets none and sees CLEAR data only.
async function jwtOf(authorization) {
  if (!authorization) {
    return undefined;
  }
  const token = authorization.replace(/^Bearer /i, "");
  const { payload } = await jwtVerify(token, keys, { issuer, audience });
  const partner = typeof payload.partner === "string" ? payload.partner : undefined;
  return {
    ...payload,
    scopes: typeof payload.scope === "string" ? payload.scope.split(" ") : [],
    peers: partner ? await peersOf(partner) : [],
  };
}

const schema = await new Neo4jGraphQL({ typeDefs, driver }).getSchema();
const server = new ApolloServer({ schema });
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port },
  context: async ({ req }) => ({
    jwt: await jwtOf(req.headers.authorization),
    sessionConfig: { database },
  }),
});

async function shutdown() {
  await server.stop();
  await driver.close();
  process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

console.log(`ready ${url}`);
