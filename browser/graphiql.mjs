// Uses the service's GraphiQL page as a person would, in the system's Chromium: opens the page,
// pastes a bearer token into the headers editor, enters a query, runs it and waits for the answer
// in the result pane. The page must work offline, so any request that leaves the service's
// origin, any Content-Security-Policy violation and any script error fails the run.
//
// Usage: node graphiql.mjs <baseURL> <token> [screenshot.png]
// The screenshot path may also come from GRAPHIQL_SCREENSHOT. Prints one summary line and exits
// non-zero on failure.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

// Debian's package: this project never downloads a browser build.
const chromiumPath = '/usr/bin/chromium';
const timeoutMs = 60_000;
const query = '{ partners(first: 5) { totalCount edges { node { name } } } }';

const [baseURL, token, screenshotArg] = process.argv.slice(2);
const screenshotPath = screenshotArg || process.env.GRAPHIQL_SCREENSHOT || join(tmpdir(), 'traffikgraph-graphiql.png');

function fail(reason) {
  console.log(`graphiql: FAIL: ${reason}`);
  process.exit(1);
}

if (!baseURL || !token) {
  fail('usage: node graphiql.mjs <baseURL> <token> [screenshot.png]');
}
if (!existsSync(chromiumPath)) {
  fail(`${chromiumPath} is missing: apt-get update && apt-get install -y chromium`);
}

const origin = new URL(baseURL).origin;
const problems = [];
const profile = mkdtempSync(join(tmpdir(), 'traffikgraph-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

let summary;
try {
  summary = await runQueryInGraphiQL();
} catch (error) {
  problems.unshift(error.message.split('\n')[0]);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
if (problems.length > 0) {
  fail(problems.join('; '));
}
console.log(`graphiql: ok: ${summary} screenshot=${screenshotPath}`);

async function runQueryInGraphiQL() {
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(timeoutMs);
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400 && new URL(response.url()).pathname !== '/graphql') {
      problems.push(`${response.status()} for ${response.url()}`);
    }
  });
  // Offline means same-origin only: a CDN request is recorded and never sent.
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || url.origin === origin) {
      return route.continue();
    }
    problems.push(`request off the service's origin: ${url.href}`);
    return route.abort('blockedbyclient');
  });
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline code'}`);
    });
  });

  await page.goto(baseURL);
  await page.locator('.graphiql-execute-button').waitFor();

  // The Headers tab of the editor tools, then its editor: select what is there and paste.
  await page.getByRole('button', { name: 'Headers', exact: true }).click();
  const headersEditor = page.locator('section.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');
  await replaceEditorText(page, headersEditor, JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2));

  const queryEditor = page.locator('.graphiql-query-editor .CodeMirror');
  await replaceEditorText(page, queryEditor, query);
  await page.getByRole('button', { name: /^Prettify query/ }).click();

  // The pane may already hold an answer (the schema fetch's error, say): wait for a new one.
  const resultPane = page.locator('.result-window .CodeMirror');
  const paneText = () => resultPane.evaluate((pane) => pane.CodeMirror.getValue());
  const before = await paneText();
  await page.locator('.graphiql-execute-button').click();
  try {
    await page.waitForFunction(
      ([pane, previous]) => {
        const text = pane.CodeMirror.getValue();
        return text !== previous && /"(totalCount|errors)"/.test(text);
      },
      [await resultPane.elementHandle(), before],
    );
  } finally {
    await page.screenshot({ path: screenshotPath });
  }
  const result = JSON.parse(await paneText());

  const violations = await page.evaluate(() => window.__cspViolations);
  problems.push(...violations.map((violation) => `CSP violation: ${violation}`));
  if (result.errors?.length) {
    throw new Error(`the query answered errors: ${JSON.stringify(result.errors)}`);
  }
  const partners = result.data.partners;
  const names = partners.edges.map((edge) => edge.node.name);
  return `totalCount=${partners.totalCount} first=${JSON.stringify(names)}`;
}

// replaceEditorText selects all of a CodeMirror editor's text and pastes text in its place, as a
// person pasting would (typing would fight the editor's bracket auto-closing), then checks that
// the editor holds exactly that text.
async function replaceEditorText(page, editor, text) {
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
  const held = await editor.evaluate((element) => element.CodeMirror.getValue());
  if (held !== text) {
    throw new Error(`the editor holds ${JSON.stringify(held.slice(0, 80))} after pasting, not the text pasted`);
  }
}
