// Starts a real `linewise serve` (binary from LINEWISE_BIN) on a free loopback port with a fresh
// data directory, for the client-library tests.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const TOKEN = 'compat-token';

/** `args` replace the hourly `--persist-interval`; `env` is added to the server's environment. */
export async function startServer({ args = ['--persist-interval', '1h'], env = {} } = {}) {
  const bin = process.env.LINEWISE_BIN;
  if (!bin) throw new Error('set LINEWISE_BIN to the linewise binary');
  const dir = mkdtempSync(join(tmpdir(), 'linewise-compat-'));
  // Hourly persisting keeps every row in the buffer, where `rows` counts them, for the whole run.
  const child = spawn(bin, ['serve', '--http-bind', '127.0.0.1:0', '--data-dir', dir,
    '--ui-dir', join(dir, 'no-ui'), '--admin-token', TOKEN, ...args],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`linewise exited with ${code}`)));
  });
  const base = first.replace('linewise listening on ', '').trim();
  return {
    base,
    async rows(db, table) {
      const r = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      const text = await r.text();
      const key = `linewise_buffer_rows{db="${db}",table="${table}"} `;
      const line = text.split('\n').find((l) => l.startsWith(key));
      return line ? Number(line.slice(key.length)) : 0;
    },
    async metric(name) {
      const r = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      const line = (await r.text()).split('\n').find((l) => l.startsWith(`${name} `));
      return line ? Number(line.slice(name.length + 1)) : 0;
    },
    /** Runs SQL on `db`; answers the JSON rows. */
    async query(db, q) {
      const r = await fetch(`${base}/api/v3/query_sql`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ db, q }),
      });
      if (r.status !== 200) throw new Error(`query answered ${r.status}: ${await r.text()}`);
      return r.json();
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
