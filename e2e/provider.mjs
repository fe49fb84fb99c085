// A real OpenID Connect provider (panva/oidc-provider) for the end-to-end tests: one
// client-credentials client per partner, issuing RFC 9068 JWT access tokens for the API audience
// (resource indicators) that carry the granted `scope` and the client's `partner`.
//
// Configuration comes from the environment, written by e2e_test.go:
//   E2E_ISSUER    the issuer URL, http://127.0.0.1:<port>
//   E2E_PORT      the loopback port to listen on
//   E2E_AUDIENCE  the API audience (the resource indicator of traffikgraph)
//   E2E_CLIENTS   JSON list of {client_id, client_secret, partner, scope, ttl}: scope is the space
//                 separated scopes the client may ask for; ttl the access token lifetime (s)
// It prints "ready" once listening. Tokens for any other resource than E2E_AUDIENCE and
// "https://other-api.example" (for wrong-audience tests) are refused.
import { generateKeyPairSync } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

const issuer = process.env.E2E_ISSUER;
const port = Number(process.env.E2E_PORT);
const audience = process.env.E2E_AUDIENCE;
const clients = JSON.parse(process.env.E2E_CLIENTS);
const otherAudience = 'https://other-api.example';
const knownScopes = 'graph:read graph:read:pii graph:write supplychain:read reports:submit reports:triage audit:read admin';

const byClient = new Map(clients.map((c) => [c.client_id, c]));

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'e2e-rs256', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  clients: clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: c.scope,
  })),
  scopes: knownScopes.split(' '),
  // The lifetime comes from the resource server (per client, see getResourceServerInfo).
  ttl: { ClientCredentials: (ctx, token) => token.resourceServer?.accessTokenTTL ?? 300 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator, client) => {
        if (resourceIndicator !== audience && resourceIndicator !== otherAudience) {
          throw new errors.InvalidTarget();
        }
        return {
          scope: knownScopes,
          audience: resourceIndicator,
          accessTokenFormat: 'jwt',
          accessTokenTTL: byClient.get(client.clientId)?.ttl ?? 300,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  extraTokenClaims: (ctx, token) => {
    const client = byClient.get(token.clientId);
    return client ? { partner: client.partner } : undefined;
  },
});
// Plain http on loopback: the issuer is the test's own.
provider.proxy = false;

const server = provider.listen(port, '127.0.0.1', () => {
  console.log('ready');
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
