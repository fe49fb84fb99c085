// Uses the partner explorer as each demo persona would, in the system's Chromium, against the
// running service: signs in through the development issuer's code flow (the persona chooser),
// opens every view on the demo world's data and checks what each persona may and may not see.
// On every view: axe-core finds no serious or critical violation, and no script error, console
// error, Content-Security-Policy violation or request off the service's and issuer's origins
// happens.
//
// Usage: node explorer.mjs <fixtures.json>
// fixtures.json (written by TestServe/ExplorerInABrowser): baseURL, issuerURL, screenshots (a
// folder), window {from, to}, periodEnd {from, to} (the default period the service's
// --explorer-period-end gives), person {id, name} (GREEN, with a name), business {id} (Harbour
// Hotels', visible to the business persona), strict {id, name, siteId} (AMBER_STRICT, written by
// police, living at a CLEAR site police wrote), dense {id} (a country whose 4 hops hold more than 250
// entities).
// Prints one line per check and a closing "N passed, M failed"; exits non-zero on any failure.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const chromiumPath = '/usr/bin/chromium';
const timeoutMs = 30_000;
const fixtures = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const allowedOrigins = [new URL(fixtures.baseURL).origin, new URL(fixtures.issuerURL).origin];
mkdirSync(fixtures.screenshots, { recursive: true });

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok' : 'FAIL'}: ${name}${detail ? `: ${detail}` : ''}`);
}

if (!existsSync(chromiumPath)) {
  console.log(`FAIL: ${chromiumPath} is missing: apt-get update && apt-get install -y chromium`);
  process.exit(1);
}
const profile = mkdtempSync(join(tmpdir(), 'traffikgraph-explorer-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// A persona's tab: a new page holds no token (tokens live in page memory only).
async function openTab(who) {
  const page = await browser.newPage();
  page.setDefaultTimeout(timeoutMs);
  const problems = [];
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || allowedOrigins.includes(url.origin)) return route.continue();
    problems.push(`request off the service's origin: ${url.href}`);
    return route.abort('blockedbyclient');
  });
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline code'}`);
    });
  });
  return { page, who, problems };
}

async function signIn(tab) {
  await tab.page.goto(fixtures.baseURL + '/');
  await tab.page.locator('main[data-ready]').waitFor();
  await tab.page.getByRole('button', { name: 'Sign in' }).first().click();
  await tab.page.waitForURL((url) => url.origin === new URL(fixtures.issuerURL).origin);
  await audit(tab, 'persona chooser');
  await tab.page.getByRole('button', { name: new RegExp(`^${tab.who}\\b`) }).click();
  await tab.page.locator('.signed-in-as').waitFor();
  const header = await tab.page.locator('.signed-in-as').innerText();
  check(`${tab.who}: signs in through the code flow`, header.includes(tab.who), header);
}

// open navigates inside the page (the token stays in its memory) and waits for the view.
async function open(tab, path) {
  await tab.page.evaluate((href) => {
    history.pushState(null, '', href);
    dispatchEvent(new PopStateEvent('popstate'));
  }, path);
  await tab.page.locator('main[data-ready]').waitFor();
  await audit(tab, path);
  return tab.page.locator('main');
}

// offered is what the header and the start page offer the signed-in caller (a view needing a
// scope its token lacks is not offered).
async function offered(tab) {
  await tab.page.locator('main[data-ready] [data-view=home]').waitFor();
  return {
    nav: await tab.page.locator('nav[aria-label=Views] a').allInnerTexts(),
    cards: await tab.page.locator('.cards a').evaluateAll((links) => links.map((a) => a.getAttribute('href'))),
    searchForm: await tab.page.locator('#home-search').count() === 1,
  };
}

// audit runs axe-core in the page (evaluated through DevTools, so the page's own policy, which
// refuses inline scripts, is not loosened for it) and reports the problems seen so far.
async function audit(tab, where) {
  await tab.page.evaluate(axeSource);
  const violations = await tab.page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ['violations'] });
    return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  check(`${tab.who}: ${where}: no serious or critical accessibility violation`, violations.length === 0, violations.join('; '));
  const csp = await tab.page.evaluate(() => window.__cspViolations ?? []);
  const problems = [...tab.problems.splice(0), ...csp.map((v) => `CSP violation: ${v}`)];
  check(`${tab.who}: ${where}: no console error, script error, CSP violation or foreign request`, problems.length === 0, problems.join('; '));
}

async function shot(tab, name) {
  await tab.page.screenshot({ path: join(fixtures.screenshots, `${name}.png`), fullPage: true });
}

const hotspotsURL = (granularity) => `/hotspots?granularity=${granularity}&from=${fixtures.window.from}&to=${fixtures.window.to}`;
const ids = async (main, selector) => main.locator(selector).evaluateAll((elements) => elements.map((e) => e.dataset.id));

try {
  // Anonymous: the public hotspot map and nothing else.
  {
    const tab = await openTab('anonymous');
    await tab.page.goto(fixtures.baseURL + '/');
    await tab.page.locator('main[data-ready]').waitFor();
    await audit(tab, '/');
    check('anonymous: the start page is the public hotspot map', await tab.page.locator('[data-view=public-hotspots] svg.world').count() === 1);
    check('anonymous: the map opens on the 12 months up to the service\'s period end, with data',
      await tab.page.locator('#to').inputValue() === fixtures.periodEnd.to && await tab.page.locator('#from').inputValue() === fixtures.periodEnd.from
      && await tab.page.locator('table.hotspots tbody tr').count() > 0);
    let main = await open(tab, hotspotsURL('CITY'));
    check('anonymous: sees country hotspots over CLEAR data', await main.locator('table.hotspots tbody tr').count() > 0);
    check('anonymous: only the country granularity is offered', await main.locator('#granularity option:not([disabled])').allInnerTexts().then((t) => t.join()) === 'Country');
    check('anonymous: gets no route flows', await main.locator('svg.sankey').count() === 0);
    await shot(tab, 'public-hotspots');
    for (const path of ['/search?q=' + encodeURIComponent(fixtures.person.name), `/entity/${fixtures.person.id}`, `/network/${fixtures.person.id}`]) {
      main = await open(tab, path);
      const text = await main.innerText();
      check(`anonymous: ${path.split('?')[0]} asks to sign in and shows no data`, text.includes('Sign in with your organisation') && !text.includes(fixtures.person.name));
    }
    await tab.page.close();
  }

  // analyst (stt, with graph:read:pii): every view.
  {
    const tab = await openTab('analyst');
    await signIn(tab);
    const views = await offered(tab);
    check('analyst: the header and the start page offer search and supply chains, not the audit (no audit:read)',
      ['Search', 'Supply chains'].every((v) => views.nav.includes(v)) && !views.nav.includes('Audit') && views.searchForm
      && ['/search', '/supply-chain'].every((v) => views.cards.includes(v)) && !views.cards.includes('/audit'), JSON.stringify(views));
    let main = await open(tab, '/search?q=' + encodeURIComponent(fixtures.person.name));
    check('analyst: search finds the person, with type, marking and source', (await ids(main, '.result')).includes(fixtures.person.id)
      && await main.locator(`.result[data-id="${fixtures.person.id}"] .tlp`).count() === 1
      && (await main.locator(`.result[data-id="${fixtures.person.id}"]`).innerText()).includes('from '));
    await shot(tab, 'search');
    main = await open(tab, `/entity/${fixtures.person.id}`);
    check("analyst: the entity page shows the person's name", (await main.locator('h1').innerText()).includes(fixtures.person.name));
    check('analyst: the entity page shows provenance and relationships with their markings',
      (await main.innerText()).includes('Source partner') && await main.locator('.relationships li .relationship-marking .tlp').count() > 0);
    await shot(tab, 'entity');
    main = await open(tab, `/network/${fixtures.person.id}?depth=2`);
    const entities = await main.locator('table tbody tr').count();
    check('analyst: the network view draws the neighbourhood with a legend', await main.locator('#graph canvas').count() > 0 && entities > 1
      && await main.locator('.legend').count() === 1, `${entities} entities`);
    // Shortest path between the person and the last entity of the table, chosen in the panel.
    await main.getByText('Show them as a list').click();
    const rows = main.locator('table tbody tr');
    await rows.first().getByRole('button').click();
    await main.getByRole('button', { name: 'Shortest path from here' }).click();
    await rows.last().getByRole('button').click();
    await main.getByRole('button', { name: 'Shortest path to here' }).click();
    await main.locator('[data-path-length]').waitFor();
    check('analyst: the shortest path between two chosen nodes is shown', Number(await main.locator('[data-path-length]').getAttribute('data-path-length')) > 0);
    await rows.first().getByRole('button').click();
    await main.getByRole('button', { name: 'Linked by identifiers' }).click();
    await tab.page.waitForFunction(() => !document.querySelector('#panel-result')?.textContent?.startsWith('Path'));
    check('analyst: linked by identifiers answers', (await main.locator('#panel-result').innerText()).length > 0);
    // Expanding the last entity from the panel adds its neighbours the graph did not hold yet.
    const before = await rows.count();
    await rows.last().getByRole('button').click();
    await main.getByRole('button', { name: 'Expand: add its neighbours' }).click();
    await main.locator('#panel-result', { hasText: /^Added \d+ entities/ }).waitFor();
    const added = Number((await main.locator('#panel-result').innerText()).match(/^Added (\d+)/)[1]);
    check('analyst: expanding a node adds its neighbours to the graph and the table', added > 0 && await rows.count() === before + added, `${before} + ${added}`);
    await audit(tab, 'network after path and ties');
    await shot(tab, 'network');
    main = await open(tab, `/network/${fixtures.dense.id}?depth=4`);
    check('analyst: the network view draws 250 entities, with the truncated notice', await main.locator('table tbody tr').count() === 250
      && await main.locator('.truncated').count() === 1 && await main.locator('#graph canvas').count() > 0);
    main = await open(tab, '/supply-chain');
    const own = await ids(main, '.own-businesses li');
    check('analyst: the supply-chain page lists stt\'s businesses, not Harbour Hotels\'', own.length > 0 && !own.includes(fixtures.business.id), `${own.length} listed`);
    main = await open(tab, `/supply-chain/${fixtures.business.id}`);
    check('analyst: the supply-chain page shows tiers', await main.locator('section.tier').count() > 0);
    await shot(tab, 'supply-chain');
    main = await open(tab, hotspotsURL('CITY'));
    check('analyst: city hotspots and route flows', await main.locator('table.hotspots tbody tr').count() > 0 && await main.locator('svg.sankey').count() === 1);
    await shot(tab, 'hotspots');
    main = await open(tab, '/audit');
    check('analyst: the audit page needs audit:read', (await main.innerText()).includes('audit:read') && await main.locator('table.audit').count() === 0);
    await tab.page.getByRole('button', { name: 'Sign out' }).click();
    await tab.page.getByRole('button', { name: 'Sign in' }).first().waitFor();
    main = await open(tab, `/entity/${fixtures.person.id}`);
    check('analyst: after signing out the page holds no token', !(await main.innerText()).includes(fixtures.person.name));
    await tab.page.close();
  }

  // bank (graph:read without graph:read:pii): withheld markers where the analyst sees names.
  {
    const tab = await openTab('bank');
    await signIn(tab);
    const main = await open(tab, `/entity/${fixtures.person.id}`);
    const text = await main.innerText();
    check('bank: the name is shown as withheld, never as empty', await main.locator('[data-withheld=name]').count() === 1
      && text.includes('withheld (needs graph:read:pii)') && !text.includes(fixtures.person.name));
    await shot(tab, 'entity-bank');
    await tab.page.close();
  }

  // business (supplychain:read only): its supply chain, but no network view.
  {
    const tab = await openTab('business');
    await signIn(tab);
    const views = await offered(tab);
    check('business: the header and the start page offer supply chains, not search or audit',
      views.nav.includes('Supply chains') && !views.nav.includes('Search') && !views.nav.includes('Audit') && !views.searchForm
      && views.cards.includes('/supply-chain') && !views.cards.includes('/search') && !views.cards.includes('/audit'), JSON.stringify(views));
    let main = await open(tab, '/supply-chain');
    const own = await ids(main, '.own-businesses li');
    check('business: the supply-chain page lists its partner\'s businesses', own.length > 0 && await main.locator('.chain-ends li').count() > 0, `${own.length} listed`);
    await tab.page.screenshot({ path: join(fixtures.screenshots, 'supply-chains-business.png') });
    await main.locator('.chain-ends li a').first().click();
    await tab.page.locator('main[data-ready]').waitFor();
    await audit(tab, 'a listed supply chain');
    check('business: a listed business opens its supply chain', /\/supply-chain\/[0-9a-f-]{36}$/.test(tab.page.url())
      && await main.locator('#tiers-heading').count() === 1, tab.page.url());
    main = await open(tab, `/supply-chain/${fixtures.business.id}`);
    check('business: reaches its supply-chain page', await main.locator('section.tier').count() > 0 && await main.locator('.risks, .notice').count() > 0);
    await tab.page.emulateMedia({ media: 'print' });
    check('business: the printed report carries date, partner and marking on every page',
      await main.locator('.print-banner.print-top').isVisible() && (await main.locator('.print-banner.print-top').innerText()).includes('biz-harbour-hotels')
      && /TLP:/.test(await main.locator('.print-banner.print-bottom').innerText()));
    await tab.page.pdf({ path: join(fixtures.screenshots, 'supply-chain.pdf'), format: 'A4' });
    await tab.page.emulateMedia({ media: 'screen' });
    main = await open(tab, `/network/${fixtures.person.id}`);
    check('business: gets no network view', await main.locator('#graph').count() === 0 && (await main.innerText()).includes('needs the graph:read scope'));
    await tab.page.close();
  }

  // admin (audit:read with admin): the audit trail.
  {
    const tab = await openTab('admin');
    await signIn(tab);
    const views = await offered(tab);
    check('admin: the header and the start page offer the audit', views.nav.includes('Audit') && views.cards.includes('/audit'), JSON.stringify(views));
    const main = await open(tab, '/audit');
    check('admin: the audit page lists events', await main.locator('table.audit tbody tr').count() > 0);
    await shot(tab, 'audit');
    await tab.page.close();
  }

  // The AMBER_STRICT record police wrote: police sees it; no other persona finds it anywhere.
  {
    const tab = await openTab('police');
    await signIn(tab);
    let main = await open(tab, '/search?q=' + encodeURIComponent(fixtures.strict.name));
    check('police: finds its AMBER_STRICT record', (await ids(main, '.result')).includes(fixtures.strict.id));
    main = await open(tab, `/network/${fixtures.strict.siteId}?depth=1`);
    check('police: its record is in the network of the site', (await ids(main, 'table tbody tr')).includes(fixtures.strict.id));
    await tab.page.close();
  }
  for (const who of ['analyst', 'bank', 'business', 'shelter', 'admin']) {
    const tab = await openTab(who);
    await signIn(tab);
    let main = await open(tab, '/search?q=' + encodeURIComponent(fixtures.strict.name));
    // (The heading repeats the words searched for; the results must not hold the record.)
    check(`${who}: search does not find the AMBER_STRICT record`, !(await ids(main, '.result')).includes(fixtures.strict.id)
      && !(await main.locator('.results').allInnerTexts()).join().includes(fixtures.strict.name));
    main = await open(tab, `/entity/${fixtures.strict.id}`);
    const text = await main.innerText();
    check(`${who}: its entity page shows nothing`, !text.includes(fixtures.strict.name) && await main.locator('dl.properties').count() === 0);
    main = await open(tab, `/network/${fixtures.strict.siteId}?depth=1`);
    check(`${who}: it is not in the network of the site`, !(await ids(main, 'table tbody tr')).includes(fixtures.strict.id) && !(await main.innerText()).includes(fixtures.strict.name));
    await tab.page.close();
  }
} catch (error) {
  check('the run completed', false, error.message.split('\n')[0]);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
