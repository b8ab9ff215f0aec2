// The browser build in headless Chromium: a page imports the file the package's `browser` export
// condition names (as a bundler would pick it), loads the .wasm over HTTP with `init()`, and must
// give the same results as Node. LINEWISE_PLAYWRIGHT is the path of playwright-core (set by
// scripts/test-packed.mjs), CHROMIUM the browser binary.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { validate, parse } from 'linewise';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.LINEWISE_PLAYWRIGHT);
const pkgDir = join(require.resolve('linewise/package.json'), '..');
const browserEntry = require('linewise/package.json').exports['.'].browser;
const home = readFileSync(new URL('./data/home-48.lp', import.meta.url), 'utf8');
const sample = 'cpu,host=a u=18446744073709551615u,i=-9223372036854775808i 1700000000000000000\ncpu,host=a u=1i\n';

const page = `<!doctype html><meta charset="utf-8">
<script type="importmap">{ "imports": { "linewise": "/pkg/${browserEntry.replace(/^\.\//, '')}" } }</script>
<script type="module">
import { init, validate, parse, format, Validator } from 'linewise';
const bigints = (v) => JSON.parse(JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x + 'n' : x)));
try {
  await init();
  const home = await (await fetch('/home.lp')).text();
  const v = new Validator();
  for (const line of home.split(/(?<=\\n)/)) v.push(line);
  window.result = {
    home: validate(home),
    streamed: v.finish(),
    sample: bigints(parse(${JSON.stringify(sample)})),
    written: format({ measurement: 'm', tags: { 'a b': 'c,d' }, fields: { s: 'x"y', n: 2n } }),
  };
} catch (e) {
  window.result = { error: String(e && e.stack || e) };
}
</script>`;

const types = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };

test('the browser build runs in Chromium and matches Node', async () => {
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    if (path === '/home.lp') return res.writeHead(200, { 'content-type': 'text/plain' }).end(home);
    if (path.startsWith('/pkg/')) {
      const file = normalize(join(pkgDir, path.slice(5)));
      if (file.startsWith(pkgDir)) {
        try {
          const body = readFileSync(file);
          return res.writeHead(200, { 'content-type': types[extname(file)] || 'application/octet-stream' }).end(body);
        } catch {
          // falls through to 404
        }
      }
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const profile = mkdtempSync(join(tmpdir(), 'linewise-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const tab = await context.newPage();
    const errors = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(`http://127.0.0.1:${server.address().port}/`);
    await tab.waitForFunction(() => window.result !== undefined, null, { timeout: 20000 });
    const result = await tab.evaluate(() => window.result);
    assert.deepEqual(errors, []);
    assert.equal(result.error, undefined, result.error);
    assert.deepEqual(result.home, validate(home));
    assert.deepEqual(result.streamed, validate(home));
    const node = parse(sample);
    assert.equal(result.sample.points[0].fields.u.value, '18446744073709551615n');
    assert.equal(result.sample.points[0].fields.i.value, '-9223372036854775808n');
    assert.equal(result.sample.points.length, node.points.length);
    assert.deepEqual(result.sample.errors, node.errors);
    assert.equal(result.written, 'm,a\\ b=c\\,d s="x\\"y",n=2i');
  } finally {
    await context.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
