// Sign-in with OpenID Connect: authorization code with PKCE (S256) at one of the issuers the
// service trusts, through oidc-client-ts. The tokens live in this page's memory only (never
// localStorage or sessionStorage): a reload or a new tab signs in again. Only the PKCE state of a
// sign-in in progress waits in sessionStorage for the redirect back, and is removed there.

import { InMemoryWebStorage, UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';

export interface IssuerInfo {
  url: string;
  clientId: string;
  scope: string;
  authorizeParams?: Record<string, string>;
  // How the issuer names the partner a token acts for: a claim, or one fixed partner.
  partnerClaim?: string;
  partner?: string;
}

export interface ExplorerConfig {
  issuers: IssuerInfo[];
  graphiql: string;
  // The day default periods end (data that ends before today, such as the demo world's).
  periodEnd?: string;
}

export interface Session {
  issuer: IssuerInfo;
  subject: string;
  // For display (the printed report's header): the API decides what the token may do.
  partner: string;
  accessToken: string;
  expiresAt: number;
}

const signingInKey = 'traffikgraph.explorer.signing-in';
export const callbackPath = '/signed-in';

export class Auth {
  private session: Session | null = null;
  private expiryTimer: number | undefined;
  private readonly listeners: Array<(reason: 'signed-in' | 'signed-out' | 'expired') => void> = [];

  constructor(readonly config: ExplorerConfig) {}

  current(): Session | null {
    if (this.session && Date.now() >= this.session.expiresAt) {
      this.end('expired');
    }
    return this.session;
  }

  onChange(listener: (reason: 'signed-in' | 'signed-out' | 'expired') => void): void {
    this.listeners.push(listener);
  }

  async signIn(issuer: IssuerInfo, returnTo: string): Promise<void> {
    sessionStorage.setItem(signingInKey, issuer.url);
    await manager(issuer).signinRedirect({ state: { returnTo } });
  }

  // completeSignIn handles the redirect back to /signed-in, returning where to go next.
  async completeSignIn(): Promise<string> {
    const issuerURL = sessionStorage.getItem(signingInKey);
    sessionStorage.removeItem(signingInKey);
    const issuer = this.config.issuers.find((candidate) => candidate.url === issuerURL);
    if (!issuer) {
      throw new Error('No sign-in was started in this tab, or the service no longer trusts its issuer.');
    }
    const error = new URLSearchParams(location.search).get('error');
    if (error) {
      await manager(issuer).clearStaleState();
      throw new Error(error === 'access_denied' ? 'The sign-in was cancelled.' : `The issuer refused the sign-in: ${error}.`);
    }
    const user = await manager(issuer).signinRedirectCallback();
    await manager(issuer).removeUser(); // the session below is the one copy
    this.start(issuer, user);
    const returnTo = (user.state as { returnTo?: string } | undefined)?.returnTo;
    return returnTo && returnTo.startsWith('/') && !returnTo.startsWith('//') ? returnTo : '/';
  }

  async signOut(): Promise<void> {
    const session = this.session;
    this.end('signed-out');
    if (!session) return;
    // Ends the issuer's session too when it offers that; the development issuer keeps none.
    const endSession = await manager(session.issuer).metadataService.getEndSessionEndpoint().catch(() => undefined);
    if (endSession) {
      await manager(session.issuer).signoutRedirect({ post_logout_redirect_uri: location.origin + '/' });
    }
  }

  private start(issuer: IssuerInfo, user: User): void {
    const expiresAt = (user.expires_at ?? Date.now() / 1000 + 300) * 1000;
    this.session = {
      issuer,
      subject: String(user.profile.name ?? user.profile.sub),
      partner: partnerOf(issuer, user),
      accessToken: user.access_token,
      expiresAt,
    };
    window.clearTimeout(this.expiryTimer);
    this.expiryTimer = window.setTimeout(() => this.current(), Math.max(0, expiresAt - Date.now()) + 100);
    this.emit('signed-in');
  }

  // end forgets the token; expired tells the user why.
  end(reason: 'signed-out' | 'expired'): void {
    if (!this.session) return;
    this.session = null;
    window.clearTimeout(this.expiryTimer);
    this.emit(reason);
  }

  private emit(reason: 'signed-in' | 'signed-out' | 'expired'): void {
    for (const listener of this.listeners) listener(reason);
  }
}

const managers = new Map<string, UserManager>();

function manager(issuer: IssuerInfo): UserManager {
  let existing = managers.get(issuer.url);
  if (!existing) {
    existing = new UserManager({
      authority: issuer.url,
      client_id: issuer.clientId,
      redirect_uri: location.origin + callbackPath,
      response_type: 'code',
      scope: issuer.scope,
      extraQueryParams: issuer.authorizeParams ?? {},
      userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
      stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
      automaticSilentRenew: false,
      monitorSession: false,
      loadUserInfo: false,
    });
    managers.set(issuer.url, existing);
  }
  return existing;
}

function partnerOf(issuer: IssuerInfo, user: User): string {
  if (issuer.partner) return issuer.partner;
  if (!issuer.partnerClaim) return 'unknown partner';
  const fromProfile = claim(user.profile as Record<string, unknown>, issuer.partnerClaim);
  return fromProfile ?? claim(jwtClaims(user.access_token), issuer.partnerClaim) ?? 'unknown partner';
}

// claim reads a claim by its top-level name or, failing that, by a dotted path, as the service does.
function claim(claims: Record<string, unknown>, name: string): string | undefined {
  let value: unknown = claims[name];
  if (value === undefined) {
    value = name.split('.').reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), claims);
  }
  return typeof value === 'string' ? value : undefined;
}

function jwtClaims(token: string): Record<string, unknown> {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0))));
  } catch {
    return {}; // an opaque access token: the partner stays unknown to the page
  }
}
