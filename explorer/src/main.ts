// The partner explorer: a single page served by traffikgraph at /, on the public GraphQL API.
// Each view has its own URL (history routing), so a view can be shared between colleagues of
// one partner; the service serves this page at every one of them.

import { Api } from './api';
import { Auth, callbackPath, type ExplorerConfig, type IssuerInfo } from './auth';
import { h, link, notice, replace, put } from './dom';
import { offersFor, type Offers } from './scopes';
import type { View, ViewContext } from './view';
import { auditView } from './views/audit';
import { entityView } from './views/entity';
import { homeView } from './views/home';
import { hotspotsView } from './views/hotspots';
import { networkView } from './views/network';
import { searchView } from './views/search';
import { supplyChainView } from './views/supplychain';

const routes: Array<[RegExp, View]> = [
  [/^\/$/, homeView],
  [/^\/search$/, searchView],
  [/^\/entity\/([^/]+)$/, entityView],
  [/^\/network\/([^/]+)$/, networkView],
  [/^\/supply-chain(?:\/([^/]+))?$/, supplyChainView],
  [/^\/hotspots$/, hotspotsView],
  [/^\/audit$/, auditView],
];

const top = document.getElementById('top') as HTMLElement;
const main = document.getElementById('main') as HTMLElement;
let notice_: string | null = null;
let rendering = 0;

async function start(): Promise<void> {
  const config: ExplorerConfig = await fetch('/explorer/config.json').then((response) => response.json());
  const auth = new Auth(config);
  const api = new Api(() => auth.current()?.accessToken ?? null, () => auth.end('expired'));
  auth.onChange((reason) => {
    notice_ = reason === 'expired' ? 'Your sign-in has expired: sign in again to go on.' : null;
    void render(auth, api, config);
  });
  document.addEventListener('click', (event) => {
    const anchor = (event.target as Element | null)?.closest?.('a[data-link]') as HTMLAnchorElement | null;
    if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(anchor.getAttribute('href') ?? '/');
  });
  window.addEventListener('popstate', () => void render(auth, api, config));
  function navigate(href: string, replaceState = false): void {
    if (replaceState) history.replaceState(null, '', href);
    else history.pushState(null, '', href);
    void render(auth, api, config);
    if (!replaceState) window.scrollTo(0, 0);
  }
  navigateTo = navigate;

  if (location.pathname === callbackPath) {
    try {
      const returnTo = await auth.completeSignIn();
      history.replaceState(null, '', returnTo);
    } catch (error) {
      history.replaceState(null, '', '/');
      notice_ = `Sign-in failed: ${(error as Error).message}`;
    }
  }
  await render(auth, api, config);
}

let navigateTo: (href: string, replace?: boolean) => void = () => {};

function renderHeader(auth: Auth, config: ExplorerConfig, offers: Offers): void {
  const session = auth.current();
  // Signed out, the views that need a token are still named: signing in opens them.
  const shown = (view: Parameters<Offers>[0]) => !session || offers(view);
  const nav = h('nav', { 'aria-label': 'Views' },
    h('ul', {},
      shown('search') ? h('li', {}, link('/search', 'Search')) : null,
      h('li', {}, link('/hotspots', 'Hotspots')),
      shown('supply-chain') ? h('li', {}, link('/supply-chain', 'Supply chains')) : null,
      session && offers('audit') ? h('li', {}, link('/audit', 'Audit')) : null,
      h('li', {}, h('a', { href: config.graphiql }, 'GraphiQL')),
    ));
  const who = session
    ? h('div', { class: 'who' },
        h('span', { class: 'signed-in-as' }, 'Signed in as ', h('strong', {}, session.subject), ' of ', h('strong', { 'data-partner': session.partner }, session.partner)),
        h('button', { type: 'button', class: 'secondary', onclick: () => void auth.signOut() }, 'Sign out'))
    : h('div', { class: 'who' }, signInControls(auth, config.issuers));
  replace(top, h('a', { class: 'brand', href: '/', 'data-link': true }, 'traffikgraph ', h('span', {}, 'explorer')), nav, who);
}

function signInControls(auth: Auth, issuers: IssuerInfo[]): HTMLElement {
  if (issuers.length === 0) {
    return h('span', { class: 'muted' }, 'No identity provider offers explorer sign-in here.');
  }
  const returnTo = location.pathname + location.search;
  if (issuers.length === 1) {
    return h('button', { type: 'button', onclick: () => void auth.signIn(issuers[0], returnTo) }, 'Sign in');
  }
  const select = h('select', { id: 'issuer', 'aria-label': 'Identity provider' },
    issuers.map((issuer) => h('option', { value: issuer.url }, new URL(issuer.url).host)));
  return h('span', { class: 'sign-in' }, select,
    h('button', { type: 'button', onclick: () => void auth.signIn(issuers.find((i) => i.url === select.value) ?? issuers[0], returnTo) }, 'Sign in'));
}

async function render(auth: Auth, api: Api, config: ExplorerConfig): Promise<void> {
  const run = ++rendering;
  const offers = await offersFor(api, auth.current());
  if (run !== rendering) return;
  renderHeader(auth, config, offers);
  const path = location.pathname;
  const route = routes.find(([pattern]) => pattern.test(path));
  main.removeAttribute('data-ready');
  main.removeAttribute('data-view');
  replace(main, notice_ ? notice('info', notice_) : null);
  if (!route) {
    document.title = 'Not found · traffikgraph explorer';
    put(main, h('h1', {}, 'No such page'), h('p', {}, link('/', 'Back to the start')));
    main.dataset.ready = 'true';
    return;
  }
  const [pattern, view] = route;
  const params = (pattern.exec(path) ?? []).slice(1).map((part) => (part ? decodeURIComponent(part) : ''));
  const context: ViewContext = {
    main: h('div', { class: 'view' }),
    params,
    query: new URLSearchParams(location.search),
    session: auth.current(),
    offers,
    auth,
    api,
    navigate: (href, replaceState) => navigateTo(href, replaceState),
    ready: () => {
      if (run !== rendering) return;
      main.dataset.ready = 'true';
      performance.mark('explorer:view-ready');
    },
  };
  put(main, context.main);
  try {
    await view(context);
  } catch (error) {
    if (run !== rendering) return;
    put(context.main, notice('error', `Something went wrong: ${(error as Error).message}`));
    context.ready();
  }
}

void start().catch((error) => replace(main, notice('error', `The explorer could not start: ${(error as Error).message}`)));
