// Audits a GraphQL-over-HTTP endpoint with graphql-http's server audits (the spec's conformance
// suite) and exits non-zero when any MUST (error) or SHOULD (warning) audit fails.
//
//   node audit.mjs http://127.0.0.1:8080/graphql
//
// Several audits query __type, so run the server with introspection enabled.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <GraphQL endpoint URL>');
  process.exit(2);
}

const audits = serverAudits({ url });
let results;
try {
  results = await Promise.all(audits.map(({ fn }) => fn()));
} catch (err) {
  // graphql-http throws only when an audit cannot run at all (server down, bad URL).
  console.error(`audit could not run against ${url}: ${err?.stack ?? err}`);
  process.exit(2);
}

const byStatus = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const result of results) {
  byStatus[result.status] += 1;
  if (result.status === 'ok') continue;
  const label = { notice: 'notice', warn: 'warning', error: 'error' }[result.status];
  console.log(`${label}: [${result.id}] ${result.name}: ${result.reason} (HTTP ${result.response.status})`);
}

const failed = byStatus.error + byStatus.warn;
console.log(`${results.length} audits: ${byStatus.ok} ok, ${byStatus.error} errors, ${byStatus.warn} warnings, ${byStatus.notice} notices`);
console.log(`${byStatus.ok} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
