// Measures, in the system's headless Chromium against a running service on the demo world, the
// time to first meaningful paint of two explorer views: the network view of 250 nodes (signed in
// as the analyst, opened from within the explorer as a user does) and the public hotspot map (a
// fresh page load, as an anonymous visitor). "Meaningful" is the view drawn with its data: the
// explorer marks `explorer:view-ready` after the graph's layout (or the map) reached the screen.
// The baseline, in the same run, is the first contentful paint of the page's shell.
//
// Usage: node paint-timing.mjs <baseURL> <issuerURL> <networkEntityId> [runs=7] [depth=4]
// Prints the median and the spread of each, in milliseconds, and the ratios to the baseline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [baseURL, issuerURL, networkId, runsArg, depthArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 7);
const depth = Number(depthArg ?? 4);
const profile = mkdtempSync(join(tmpdir(), 'traffikgraph-timing-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1280, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const spread = (values) => `${Math.round(Math.min(...values))}-${Math.round(Math.max(...values))}`;

try {
  const shell = [];
  const map = [];
  for (let i = 0; i < runs; i++) {
    const page = await browser.newPage();
    // The map as it opens, on its default period (the service's period end's last 12 months).
    await page.goto(`${baseURL}/hotspots`);
    await page.locator('main[data-ready] svg.world').waitFor({ timeout: 60_000 });
    const timing = await page.evaluate(() => ({
      shell: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
      ready: performance.getEntriesByName('explorer:view-ready')[0]?.startTime,
    }));
    shell.push(timing.shell);
    map.push(timing.ready);
    await page.close();
  }

  const page = await browser.newPage();
  await page.goto(baseURL + '/');
  await page.getByRole('button', { name: 'Sign in' }).first().click();
  await page.getByRole('button', { name: /^analyst\b/ }).click();
  await page.locator('.signed-in-as').waitFor();
  const network = [];
  let nodes = 0;
  for (let i = 0; i < runs; i++) {
    await page.evaluate(() => { history.pushState(null, '', '/'); dispatchEvent(new PopStateEvent('popstate')); });
    await page.locator('main[data-ready]').waitFor();
    const elapsed = await page.evaluate(async ([id, d]) => {
      performance.clearMarks('explorer:view-ready');
      const start = performance.now();
      history.pushState(null, '', `/network/${id}?depth=${d}`);
      dispatchEvent(new PopStateEvent('popstate'));
      await new Promise((resolve) => {
        const poll = () => (performance.getEntriesByName('explorer:view-ready').length ? resolve() : setTimeout(poll, 5));
        poll();
      });
      return performance.getEntriesByName('explorer:view-ready')[0].startTime - start;
    }, [networkId, depth]);
    network.push(elapsed);
    nodes = await page.locator('table tbody tr').count();
  }
  await page.close();
  const base = median(shell);
  console.log(`runs=${runs} Chromium headless, 1280x900`);
  console.log(`shell first contentful paint (baseline): median ${Math.round(base)} ms (${spread(shell)})`);
  console.log(`public hotspot map, fresh load: median ${Math.round(median(map))} ms (${spread(map)}) = ${(median(map) / base).toFixed(1)}x baseline`);
  console.log(`network view, ${nodes} nodes (depth ${depth}), from within the explorer: median ${Math.round(median(network))} ms (${spread(network)}) = ${(median(network) / base).toFixed(1)}x baseline`);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
