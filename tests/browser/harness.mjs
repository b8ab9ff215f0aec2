// A real `linewise serve` (LINEWISE_BIN) serving the Trunk build (LINEWISE_UI_DIR) on a free
// loopback port with a fresh data directory, and headless Debian Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

export const TOKEN = 'web-test-token';
export const ARTIFACTS = resolve(import.meta.dirname, '..', 'artifacts');

export async function startServer() {
  const bin = process.env.LINEWISE_BIN;
  const ui = process.env.LINEWISE_UI_DIR;
  if (!bin || !ui) throw new Error('set LINEWISE_BIN (the linewise binary) and LINEWISE_UI_DIR (trunk dist)');
  const dir = mkdtempSync(join(tmpdir(), 'linewise-web-'));
  // Hourly persisting keeps every row in the buffer, where `rows` counts them, for the whole run.
  const child = spawn(bin, ['serve', '--http-bind', '127.0.0.1:0', '--data-dir', dir, '--ui-dir', resolve(ui),
    '--admin-token', TOKEN, '--persist-interval', '1h'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((ok, fail) => {
    lines.once('line', ok);
    child.once('exit', (code) => fail(new Error(`linewise exited with ${code}`)));
  });
  const base = first.replace('linewise listening on ', '').trim();
  return {
    base,
    /** Writes line protocol as another client would (seconds precision); answers the status. */
    async write(db, body) {
      const r = await fetch(`${base}/api/v3/write_lp?db=${db}&precision=s`,
        { method: 'POST', body, headers: { Authorization: `Bearer ${TOKEN}` } });
      return r.status;
    },
    /** Rows the server holds for a table, from its own metrics. */
    async rows(db, table) {
      const r = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      const key = `linewise_buffer_rows{db="${db}",table="${table}"} `;
      const line = (await r.text()).split('\n').find((l) => l.startsWith(key));
      return line ? Number(line.slice(key.length)) : 0;
    },
    /** Stops the server and waits for it: on SIGTERM it persists, so it writes into `dir` until it exits. */
    async stop() {
      const exited = once(child, 'exit');
      child.kill();
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'linewise-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Collects into `into` every console error and uncaught error of `page`, except Chromium's own
 * line for a fetch answered with an HTTP error status (the tests cause those on purpose).
 */
export function collectErrors(page, into) {
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) into.push(m.text());
  });
  page.on('pageerror', (e) => into.push(e.message));
}

/** Page object for the Load Data page. */
export class LoadDataPage {
  constructor(page) {
    this.page = page;
    this.editor = page.getByTestId('lp-editor');
    this.count = page.getByTestId('error-count');
    this.status = page.getByTestId('status');
  }

  async checks() {
    return Number(await this.count.getAttribute('data-checks'));
  }

  /** Waits until every check of the current text is done (marks drawn). */
  async settled(after) {
    await this.page.waitForFunction((n) => {
      const el = document.querySelector('[data-testid=error-count]');
      return el && el.dataset.busy === 'false' && Number(el.dataset.checks) > n;
    }, after, { timeout: 60_000, polling: 10 });
  }

  /** Replaces the editor's text as a paste would, and waits for the marks. */
  async paste(text) {
    const before = await this.checks();
    await this.editor.fill(text);
    await this.settled(before);
  }

  async errors() {
    return this.page.$$eval('[data-testid=line-error]', (els) =>
      els.map((e) => ({ line: Number(e.dataset.line), source: e.dataset.source, text: e.textContent })));
  }

  async warnings() {
    return this.page.$$eval('[data-testid=line-warning]', (els) =>
      els.map((e) => ({ line: Number(e.dataset.line), text: e.textContent })));
  }

  async errorCount() {
    return Number(await this.count.getAttribute('data-errors'));
  }

  async caretStatus() {
    return this.page.getByTestId('caret-status').textContent();
  }

  /** Puts the caret at the start of 1-based `line` with the editor's Go to line (Ctrl+G). */
  async jumpToLine(line) {
    await this.editor.focus();
    await this.page.keyboard.press('Control+g');
    const input = this.page.getByTestId('goto-line');
    await input.fill(String(line));
    await input.press('Enter');
    await this.page.waitForFunction((n) => document.querySelector('[data-testid=caret-status]')
      ?.textContent.startsWith(`Ln ${n} `), line, { timeout: 10_000 });
  }

  /**
   * Types `keys` with real key events and measures each in the page (performance.now): `echo`
   * from keydown to the next animation frame (the frame that shows the character), `marked`
   * from keydown until the error count changed, and whether the backdrop held the character
   * at that frame (`drawn`).
   */
  async timedKeys(keys) {
    const wallStart = performance.now();
    await this.page.evaluate(() => {
      window.__keys = [];
      if (window.__timing) return;
      window.__timing = true;
      const count = document.querySelector('[data-testid=error-count]');
      const area = document.querySelector('[data-testid=lp-editor]');
      // Listeners on window run after the page's own (delegated there, registered first).
      window.addEventListener('keydown', () => {
        window.__keys.push({ down: performance.now(), errors: count.dataset.errors });
      }, { capture: true });
      window.addEventListener('input', () => {
        const k = window.__keys[window.__keys.length - 1];
        requestAnimationFrame(() => {
          k.frame = performance.now();
          // The caret's line as the textarea holds it, and as the backdrop draws it.
          const v = area.value;
          const at = area.selectionStart;
          const typed = v.slice(v.lastIndexOf('\n', at - 1) + 1, v.indexOf('\n', at) < 0 ? v.length : v.indexOf('\n', at));
          const line = Number(document.querySelector('[data-testid=caret-status]').textContent.match(/^Ln (\d+)/)[1]);
          const first = Number(document.querySelector('.gutter .gl')?.textContent.replace(/\D/g, '') || 1);
          const row = document.querySelectorAll('.backdrop .bl')[line - first]?.cloneNode(true);
          row?.querySelector('.inline-msg')?.remove();
          k.drawn = row?.textContent === typed;
        });
      });
      new MutationObserver(() => {
        const k = window.__keys[window.__keys.length - 1];
        if (k && k.marked === undefined && count.dataset.errors !== k.errors) k.marked = performance.now();
      }).observe(count, { attributes: true, attributeFilter: ['data-errors'] });
    });
    for (const key of keys) {
      await this.page.keyboard.type(key);
      await this.page.waitForFunction(() => window.__keys.at(-1)?.frame !== undefined, null, { polling: 'raf' });
    }
    const out = await this.page.evaluate(() => window.__keys.map((k) => ({
      echo: k.frame - k.down, marked: k.marked === undefined ? NaN : k.marked - k.down, drawn: k.drawn,
    })));
    return out.map((k) => ({ ...k, wallStart }));
  }

  async shot(name) {
    await this.page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
  }

  /**
   * Sets the text in the page itself and measures (performance.now) until the marks are drawn:
   * the time a person waits after a paste.
   */
  async timedPaste(text) {
    return this.page.evaluate(async (value) => {
      const count = document.querySelector('[data-testid=error-count]');
      const before = Number(count.dataset.checks);
      const area = document.querySelector('[data-testid=lp-editor]');
      const t0 = performance.now();
      area.value = value;
      area.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste' }));
      await new Promise((done) => {
        const poll = () => (count.dataset.busy === 'false' && Number(count.dataset.checks) > before
          ? done() : setTimeout(poll, 2));
        poll();
      });
      return { totalMs: performance.now() - t0, syntaxMs: Number(count.dataset.checkMs) };
    }, text);
  }
}
