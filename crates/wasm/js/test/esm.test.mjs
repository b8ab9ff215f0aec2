// Tests of the installed package through its ESM entries: Node's `import`, and the browser/bundler
// build (`linewise/web`, which loads its .wasm through `init`).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { validate, parse, format, Point, Validator } from 'linewise';
import * as web from 'linewise/web';

const home = readFileSync(new URL('./data/home-48.lp', import.meta.url), 'utf8');
const require = createRequire(import.meta.url);

test('import: validate, parse and format work', () => {
  assert.deepEqual(validate(home), { lines: 48, points: 48, errorCount: 0, errors: [] });
  const { points } = parse('cpu,host=a usage=1i,ok=t 1700000000000000000');
  assert.equal(points[0].fields.usage.value, 1n);
  assert.equal(format(points[0]), 'cpu,host=a usage=1i,ok=true 1700000000000000000');
  assert.equal(new Point('m').setFloatField('f', 1).toLineProtocol(), 'm f=1');
  const validator = new Validator();
  validator.push('m f=1\nm f=');
  assert.equal(validator.finish().errorCount, 1);
});

test('browser build: refuses to run before init, then matches the Node build', async () => {
  assert.throws(() => web.validate(home), /call `await init\(\)` first/);
  const wasm = readFileSync(require.resolve('linewise/linewise_core_bg.wasm'));
  await web.init(wasm);
  await web.init(); // a second call is a no-op
  assert.deepEqual(web.validate(home), validate(home));
  const mixed = readFileSync(new URL('./data/mixed-multiline.lp', import.meta.url));
  assert.deepEqual(web.parse(mixed, { maxErrors: Infinity }), parse(mixed, { maxErrors: Infinity }));
  assert.equal(web.format({ measurement: 'm', fields: { u: { type: 'uinteger', value: 2n ** 64n - 1n } } }), 'm u=18446744073709551615u');
});
