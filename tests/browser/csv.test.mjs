// CSV → line protocol in the page, in headless Chromium against a real `linewise serve`: the seed's
// home data as CSV is uploaded, its roles are guessed, it is converted into the editor, written and
// read back row by row through /api/v3/query_sql; the page's command line converts the file the same
// way; a changed role changes the preview at once; and a 64 MB CSV converts in slices with a
// progress bar (convert time and the page's longest frame gap printed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, LoadDataPage, TOKEN, collectErrors, launchBrowser, startServer } from './harness.mjs';

const HOME = readFileSync(new URL('../data/home-48.lp', import.meta.url), 'utf8');
const LINE = /^home,room=(.+) temp=([0-9.]+),hum=([0-9.]+),co=([0-9]+)i ([0-9]+)$/;
/** The seed's points as records, in file order. */
const HOME_ROWS = HOME.trimEnd().split('\n').map((l) => {
  const [, room, temp, hum, co, ts] = l.match(LINE);
  return { time: Number(ts), room: room.replaceAll('\\ ', ' '), temp, hum, co };
});
/** The home data as a spreadsheet would export it: RFC 3339 times, the numbers as written. */
const HOME_CSV = `time,room,temp,hum,co\n${HOME_ROWS.map((r) =>
  `${new Date(r.time * 1000).toISOString().replace('.000Z', 'Z')},${r.room},${r.temp},${r.hum},${r.co}`).join('\n')}\n`;

let server;
let browser;
let lp;
const consoleErrors = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const page = await browser.context.newPage();
  collectErrors(page, consoleErrors);
  await page.goto(server.base);
  lp = new LoadDataPage(page);
  await lp.settled(0);
  await page.getByTestId('token').fill(TOKEN);
  await page.getByTestId('database').fill('csvhome');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** `[column, role]` of every row of the mapping table. */
async function roles() {
  return lp.page.$$eval('[data-testid=csv-role]', (els) => els.map((e) => [e.dataset.column, e.value]));
}

/** Clicks Convert and waits until the line protocol is in the editor and checked. */
async function convert() {
  const before = await lp.checks();
  await lp.page.getByTestId('csv-convert').click();
  await lp.page.getByTestId('csv-result').waitFor();
  await lp.settled(before);
}

test('an uploaded CSV file is mapped, converted, written and read back exactly', async () => {
  const path = join(ARTIFACTS, 'home.csv');
  writeFileSync(path, HOME_CSV);
  await lp.page.getByTestId('upload').setInputFiles(path);
  const panel = lp.page.getByTestId('csv-panel');
  await panel.waitFor();
  assert.match(await lp.page.getByTestId('upload-note').textContent(), /home\.csv” is CSV/);
  assert.equal(await lp.editor.inputValue(), '', 'the CSV is not put into the editor as line protocol');
  assert.deepEqual(await roles(), [['time', 'time:rfc3339'], ['room', 'tag'], ['temp', 'float'],
    ['hum', 'float'], ['co', 'integer']]);
  assert.equal(await panel.getByTestId('csv-measurement').inputValue(), 'home');
  assert.equal(await panel.getByTestId('csv-precision').inputValue(), 'ns');
  assert.equal(await panel.locator('.csv-mapping tbody tr').first().locator('td.samples').textContent(),
    '2022-01-01T08:00:00Z · 2022-01-01T08:00:00Z · 2022-01-01T09:00:00Z');
  const preview = (await panel.getByTestId('csv-preview').textContent()).split('\n');
  assert.equal(preview.length, 10);
  assert.equal(preview[0], 'home,room=Living\\ Room temp=21.2,hum=36.1,co=0i 1641024000000000000');
  assert.equal(await panel.getByTestId('csv-errors').count(), 0);
  const command = await panel.getByTestId('csv-command').textContent();
  assert.equal(command, 'linewise convert --from csv --measurement home --delimiter , --precision ns '
    + '--column time=time:rfc3339 --column room=tag --column temp=float --column hum=float --column co=integer home.csv');
  await lp.shot('20-csv-mapping');
  await panel.getByTestId('csv-convert').scrollIntoViewIfNeeded();
  await lp.shot('20b-csv-preview-command');

  await convert();
  assert.match(await panel.getByTestId('csv-result').textContent(), /Converted 48 points .* every row converted/);
  const text = await lp.editor.inputValue();
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 48);
  assert.equal(lines[0], preview[0]);
  assert.equal(await lp.errorCount(), 0);
  assert.equal(await lp.page.getByTestId('precision').inputValue(), 'ns', 'the page writes in the mapping\'s unit');
  // The command the page shows converts the file to the same bytes.
  const bin = process.env.LINEWISE_BIN.replaceAll("'", "'\\''");
  const script = execFileSync('sh', ['-c', command.replace(/^linewise /, `'${bin}' `)],
    { cwd: ARTIFACTS, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  assert.equal(script, text);
  await lp.shot('21-csv-converted');

  await lp.page.getByTestId('write').click();
  await lp.page.waitForSelector('[data-testid=status][data-state=ok]');
  assert.match(await lp.status.textContent(), /Wrote 48 lines to “csvhome”/);
  const q = new URLSearchParams({ db: 'csvhome', q: 'SELECT time, room, temp, hum, co FROM home ORDER BY time, room', format: 'json' });
  const r = await fetch(`${server.base}/api/v3/query_sql?${q}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.equal(r.status, 200);
  const stored = (await r.json()).map((row) => ({ ...row, time: Date.parse(`${row.time}Z`) / 1000 }));
  const byTimeRoom = (a, b) => a.time - b.time || (a.room < b.room ? -1 : 1);
  const expected = HOME_ROWS.map((row) => ({
    time: row.time, room: row.room, temp: Number(row.temp), hum: Number(row.hum), co: Number(row.co),
  })).sort(byTimeRoom);
  assert.deepEqual(stored, expected);
});

test('CSV in the editor converts from its button; a changed role changes the preview at once', async () => {
  await lp.paste(HOME_CSV);
  await lp.page.getByTestId('csv-from-editor').click();
  const panel = lp.page.getByTestId('csv-panel');
  await panel.waitFor();
  const preview = panel.getByTestId('csv-preview');
  await lp.page.waitForFunction(() => document.querySelector('[data-testid=csv-preview]').textContent.includes('co=0i'));
  assert.equal(await panel.getByTestId('csv-measurement').inputValue(), 'csv', 'the command\'s name for standard input');

  const co = panel.locator('[data-testid=csv-role][data-column=co]');
  await co.selectOption('string');
  assert.match((await preview.textContent()).split('\n')[0], / temp=21\.2,hum=36\.1,co="0" 1641024000000000000$/);
  await co.selectOption('boolean');
  // No row fits: each is listed with its CSV line and column, and the preview is empty.
  const errors = panel.locator('[data-testid=csv-error]');
  await errors.first().waitFor();
  assert.equal(await preview.textContent(), '');
  assert.equal(await errors.count(), 10);
  assert.deepEqual(await errors.first().evaluate((e) => [e.dataset.line, e.dataset.column, e.textContent]),
    ['2', '5', 'line 2, column 5 (co): expected true or false, found "0"']);
  await errors.last().scrollIntoViewIfNeeded();
  await lp.shot('22-csv-live-errors');

  await co.selectOption('ignore');
  await panel.locator('[data-testid=csv-role][data-column=room]').selectOption('measurement');
  await panel.getByTestId('csv-precision').selectOption('s');
  assert.equal((await preview.textContent()).split('\n')[0], 'Living\\ Room temp=21.2,hum=36.1 1641024000');
  // Only one time column: choosing another makes the old one ignored, as `--column` does.
  await co.selectOption('time:s');
  assert.deepEqual(await roles(), [['time', 'ignore'], ['room', 'measurement'], ['temp', 'float'],
    ['hum', 'float'], ['co', 'time:s']]);
  assert.equal((await preview.textContent()).split('\n')[0], 'Living\\ Room temp=21.2,hum=36.1 0');
  assert.match(await panel.getByTestId('csv-command').textContent(),
    /--precision s --column time=ignore --column room=measurement --column temp=float --column hum=float --column co=time:s$/);
  await panel.locator('[data-testid=csv-role][data-column=time]').selectOption('time:rfc3339');
  assert.equal(await co.inputValue(), 'ignore');
  await convert();
  const lines = (await lp.editor.inputValue()).trimEnd().split('\n');
  assert.equal(lines.length, 48);
  assert.equal(lines[1], 'Kitchen temp=21.9,hum=35.9 1641024000');
  assert.equal(await lp.page.getByTestId('precision').inputValue(), 's');
  await lp.page.getByTestId('csv-close').click();
  assert.equal(await panel.count(), 0);
});

/** A generated sensor CSV of at least `size` bytes and its row count. */
function bigCsv(size) {
  const parts = ['time,host,region,usage_user,usage_system,usage_idle,load1,running\n'];
  let length = parts[0].length;
  let rows = 0;
  while (length < size) {
    const row = `${1641024000 + rows},host-${rows % 20},eu-west-${rows % 3},${(rows % 97) / 4},`
      + `${(rows % 89) / 8},${(rows % 1000) / 10},${(rows % 53) / 16},${rows % 7 === 0}\n`;
    parts.push(row);
    length += row.length;
    rows += 1;
  }
  return { text: parts.join(''), rows };
}

test('a 64 MB CSV converts in slices with a progress bar (bench printed)', async () => {
  const { text, rows } = bigCsv(64_000_000);
  const path = join(ARTIFACTS, 'big.csv');
  writeFileSync(path, text);
  await lp.page.getByTestId('upload').setInputFiles(path);
  const panel = lp.page.getByTestId('csv-panel');
  await lp.page.waitForFunction(() => /big\.csv/.test(document.querySelector('[data-testid=csv-panel] h2')?.textContent));
  assert.deepEqual(await roles(), [['time', 'time:s'], ['host', 'tag'], ['region', 'tag'], ['usage_user', 'float'],
    ['usage_system', 'float'], ['usage_idle', 'float'], ['load1', 'float'], ['running', 'boolean']]);
  const before = await lp.checks();
  // The page measures, by animation frames: the longest gap between two while the progress bar
  // shows (converting), the time to the result, then the longest gap until the editor has checked
  // the line protocol (checking it is the editor's work, not the conversion's).
  const measuring = lp.page.evaluate((checks) => new Promise((done) => {
    const has = (id) => document.querySelector(`[data-testid=${id}]`) !== null;
    const count = document.querySelector('[data-testid=error-count]');
    const t0 = performance.now();
    const m = { convertMs: 0, convertingGap: 0, afterGap: 0, frames: 0, sawProgress: false };
    let last = t0;
    let wasConverting = false;
    // performance.now(), not the frame's own timestamp: a frame's layout runs before its callbacks.
    const frame = () => {
      const now = performance.now();
      const converting = has('csv-progress');
      const gap = now - last;
      if (wasConverting && converting) m.convertingGap = Math.max(m.convertingGap, gap);
      if (m.convertMs > 0) m.afterGap = Math.max(m.afterGap, gap);
      last = now;
      wasConverting = converting;
      m.frames += 1;
      m.sawProgress ||= converting;
      if (m.convertMs === 0 && has('csv-result')) m.convertMs = now - t0;
      if (m.convertMs > 0 && count.dataset.busy === 'false' && Number(count.dataset.checks) > checks) {
        done({ ...m, checkedMs: now - t0 - m.convertMs });
      } else {
        requestAnimationFrame(frame);
      }
    };
    requestAnimationFrame(frame);
    document.querySelector('[data-testid=csv-convert]').click();
  }), before);
  const inView = await lp.page.evaluate(() => {
    const bar = document.querySelector('[data-testid=csv-progress]');
    bar?.scrollIntoView({ block: 'center' });
    return bar !== null;
  });
  if (inView) await lp.shot('23-csv-big-progress');
  const { convertMs, convertingGap, afterGap, frames, sawProgress, checkedMs } = await measuring;
  const result = panel.getByTestId('csv-result');
  const ms = Number(await result.getAttribute('data-ms'));
  console.log(`# bench csv ${(text.length / 1e6).toFixed(1)} MB, ${rows.toLocaleString('en')} rows: converted in `
    + `${ms} ms (${(text.length / 1e3 / ms).toFixed(1)} MB/s), longest frame gap while converting `
    + `${convertingGap.toFixed(0)} ms, result shown after ${convertMs.toFixed(0)} ms; the editor took the `
    + `line protocol and checked it in ${checkedMs.toFixed(0)} ms more, longest `
    + `frame gap ${afterGap.toFixed(0)} ms (${frames} frames in all)`);
  assert.ok(sawProgress, 'the progress bar was shown');
  assert.equal(await result.getAttribute('data-points'), String(rows));
  assert.equal(await result.getAttribute('data-skipped'), '0');
  // The editor holds the whole result (its textarea only the lines around the view).
  const records = (await lp.page.getByTestId('summary').textContent()).match(/^([\d,]+) records/)[1];
  assert.equal(Number(records.replace(/,/g, '')), rows);
  await lp.shot('24-csv-big-done');
});

test('a big conversion can be cancelled; the editor keeps its text', async () => {
  // Set in the page: filling a textarea that holds 100 MB takes Playwright longer than its timeout.
  await lp.timedPaste('m f=1 1\n');
  await lp.page.getByTestId('csv-convert').click();
  await lp.page.getByTestId('csv-progress').waitFor();
  await lp.page.getByTestId('csv-cancel').click();
  await lp.page.waitForSelector('[data-testid=csv-result][data-state=cancelled]');
  assert.match(await lp.page.getByTestId('csv-result').textContent(), /^Cancelled after [0-9.]+ [KM]?B of 6[0-9.]+ MB/);
  assert.equal(await lp.editor.inputValue(), 'm f=1 1\n');
});

test('no console errors', () => {
  assert.deepEqual(consoleErrors, []);
});
