// Opens a traffikgraph workspace's Neo4j Browser as an analyst would, in the system's Chromium:
// connects with the workspace's password, plays the guide `workspace serve` offers
// (`:guide <url>`), clicks the guide's first query into the editor, runs it, and waits for its
// answer: a table of the workspace's entities by label and marking. Any script error fails the
// run.
//
// Usage: node workspace-guide.mjs <browserURL> <boltURL> <password> <guideURL> [screenshot.png]
// Prints one summary line and exits non-zero on failure.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

// Debian's package: this project never downloads a browser build.
const chromiumPath = '/usr/bin/chromium';
const timeoutMs = 90_000;

const [browserURL, boltURL, password, guideURL, screenshotArg] = process.argv.slice(2);
const screenshotPath = screenshotArg || join(tmpdir(), 'traffikgraph-workspace-guide.png');

function fail(reason) {
  console.log(`workspace-guide: FAIL: ${reason}`);
  process.exit(1);
}

if (!browserURL || !boltURL || !password || !guideURL) {
  fail('usage: node workspace-guide.mjs <browserURL> <boltURL> <password> <guideURL> [screenshot.png]');
}
if (!existsSync(chromiumPath)) {
  fail(`${chromiumPath} is missing: apt-get update && apt-get install -y chromium`);
}

const problems = [];
const profile = mkdtempSync(join(tmpdir(), 'traffikgraph-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  headless: true,
  viewport: { width: 1400, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

let summary;
try {
  summary = await playTheGuide();
} catch (error) {
  problems.unshift(error.message.split('\n')[0]);
  await browser.pages()[0]?.screenshot({ path: screenshotPath }).catch(() => {});
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
if (problems.length > 0) {
  fail(problems.join('; '));
}
console.log(`workspace-guide: ok: ${summary} screenshot=${screenshotPath}`);

async function run(page, command) {
  const editor = page.locator('.monaco-editor textarea').first();
  await editor.focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(command);
  await page.keyboard.press('Control+Enter');
}

async function playTheGuide() {
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(timeoutMs);
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));

  await page.goto(browserURL);
  await page.locator('[data-testid="boltaddress"]').fill(boltURL);
  await page.locator('[data-testid="username"]').fill('neo4j');
  await page.locator('[data-testid="password"]').fill(password);
  await page.locator('[data-testid="connect"]').click();
  await page.getByText('You are connected as user').first().waitFor();

  await run(page, `:guide ${guideURL}`);
  // Browser 5 plays a guide in its side drawer.
  await page.getByText('Your traffikgraph workspace').first().waitFor();

  // A runnable block puts its query into the editor; the analyst then runs it.
  await page.locator('pre', { hasText: 'AS entities' }).first().click();
  await page.waitForFunction(() => document.querySelector('.monaco-editor')?.textContent?.includes('entities'));
  await page.locator('[data-testid="editor-Run"]').first().click();

  // The answer: a result frame of the query whose text holds its columns and counts.
  const frame = page.locator('[data-testid="frame"]', { hasText: 'AS entities' }).filter({ hasText: 'marking' }).first();
  await frame.waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="frame"]')]
    .some((f) => f.innerText.includes('AS entities') && /\b(CLEAR|GREEN|AMBER|AMBER_STRICT|RED)\b/.test(f.innerText.replace(/.*AS entities/s, ''))));
  await page.screenshot({ path: screenshotPath });
  const text = await frame.innerText();
  const markings = new Set(text.replace(/.*AS entities/s, '').match(/\b(CLEAR|GREEN|AMBER_STRICT|AMBER|RED)\b/g));
  return `markings=${[...markings].sort().join(',')}`;
}
