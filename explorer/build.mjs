// Builds the explorer into server/explorer/dist, where the Go binary embeds it. The build is
// deterministic (pinned versions from package-lock.json, no timestamps, no source maps), so
// `make check` can rebuild and compare with the committed files.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'server', 'explorer', 'dist');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: { explorer: join(here, 'src', 'main.ts'), 'explorer-style': join(here, 'src', 'explorer.css') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  // The libraries' licence notices go to one file beside the bundle, served with it.
  legalComments: 'external',
  charset: 'utf8',
  logLevel: 'warning',
});
copyFileSync(join(here, 'src', 'index.html'), join(out, 'index.html'));
