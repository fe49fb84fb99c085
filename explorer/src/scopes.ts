// What the explorer offers a caller: each view that needs a scope is shown only to callers whose
// token grants it (viewer.scopes), so a business user is not led to a search it may not run.
// The API refuses what the scopes do not allow all the same; this only keeps the page honest.

import type { Api } from './api';
import type { Session } from './auth';

export type OfferedView = 'search' | 'supply-chain' | 'audit';

// needs lists, per view, the scopes any one of which opens it (the API's @hasAnyScope).
const needs: Record<OfferedView, string[]> = {
  search: ['GRAPH_READ'],
  'supply-chain': ['SUPPLYCHAIN_READ', 'GRAPH_READ'],
  audit: ['AUDIT_READ'],
};

export type Offers = (view: OfferedView) => boolean;

// Asked once per access token: a new sign-in may grant other scopes.
let known: { token: string; scopes: Set<string> } | null = null;

export async function offersFor(api: Api, session: Session | null): Promise<Offers> {
  if (!session) return () => false;
  if (known?.token !== session.accessToken) {
    const answer = await api.query<{ viewer: { scopes: string[] } | null }>('ExplorerViewerScopes', 'query ExplorerViewerScopes { viewer { scopes } }');
    const scopes = answer.data?.viewer?.scopes;
    // Without an answer (the service unreachable) every view is offered: the API still decides.
    if (!scopes) return () => true;
    known = { token: session.accessToken, scopes: new Set(scopes) };
  }
  const scopes = known.scopes;
  return (view) => needs[view].some((scope) => scopes.has(scope));
}
