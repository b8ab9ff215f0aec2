// Both npm clients overload a server whose buffer bound is tiny and whose persisting is paced, each
// through its own write API with several writers at once: writes wait for room instead of being
// refused, so every line arrives, exactly once. @influxdata/influxdb-client is the one that lost
// batches to an immediate 503: it reads `Retry-After: 1` as one millisecond and spends its retries.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { InfluxDBClient } from '@influxdata/influxdb3-client';
import { InfluxDB } from '@influxdata/influxdb-client';
import { startServer, TOKEN } from './server.mjs';

const LINES = 20000;
const BATCH = 500;
const WRITERS = 4;
let server;

before(async () => {
  server = await startServer({
    args: ['--persist-interval', '100ms', '--write-wait-timeout', '10s'],
    env: { LINEWISE_MAX_BUFFER_SIZE: '100000' },
  });
});

after(async () => {
  await server.stop();
});

/** Every line once: `i` numbers it, its time is its own, 100 hosts. */
function batches() {
  const out = [];
  for (let k = 0; k < LINES; k += BATCH) {
    const lines = [];
    for (let n = k; n < k + BATCH; n++) {
      lines.push(`m,host=h${n % 100} i=${n}i,v=${n * 0.5} ${1700000000000000000n + BigInt(n) * 1000000n}`);
    }
    out.push(lines);
  }
  return out;
}

async function assertEveryLineOnce(db, waitedBefore) {
  const [row] = await server.query(db,
    'SELECT count(*) AS n, count(DISTINCT i) AS d, min(i) AS lo, max(i) AS hi FROM m');
  assert.deepEqual(row, { n: LINES, d: LINES, lo: 0, hi: LINES - 1 });
  assert.ok(await server.metric('linewise_writes_waited_total') > waitedBefore, 'the bound was never hit');
}

test('@influxdata/influxdb3-client: every line arrives once', async () => {
  const waited = await server.metric('linewise_writes_waited_total');
  const todo = batches();
  const clients = Array.from({ length: WRITERS }, () => new InfluxDBClient({ host: server.base, token: TOKEN }));
  await Promise.all(clients.map(async (client, w) => {
    for (let b = w; b < todo.length; b += WRITERS) {
      await client.write(todo[b], 'ov_js3', undefined, { precision: 'ns' });
    }
  }));
  await Promise.all(clients.map((c) => c.close()));
  await assertEveryLineOnce('ov_js3', waited);
});

test('@influxdata/influxdb-client (batching write API, default retries): every line arrives once', async () => {
  const waited = await server.metric('linewise_writes_waited_total');
  const todo = batches();
  const failures = [];
  let succeeded = 0;
  // The client's flush() and close() can resolve before a gzipped batch (over 1,000 bytes) has been
  // answered, so the test waits for the client's own success callbacks to cover every line.
  let settled;
  const allWritten = new Promise((resolve) => { settled = resolve; });
  const influx = new InfluxDB({ url: server.base, token: TOKEN });
  const apis = Array.from({ length: WRITERS }, () => influx.getWriteApi('my-org', 'ov_js2', 'ns', {
    batchSize: BATCH,
    writeSuccess(lines) {
      succeeded += lines.length;
      if (succeeded >= LINES) settled();
    },
    // Every failed attempt (the client retries up to five times); any at all is a refused write.
    writeFailed(error, lines, attempt) { failures.push(`${lines.length} lines, attempt ${attempt}: ${error}`); },
  }));
  await Promise.all(apis.map(async (api, w) => {
    for (let b = w; b < todo.length; b += WRITERS) {
      api.writeRecords(todo[b]);
      await api.flush();
    }
  }));
  const timeout = setTimeout(settled, 60_000);
  await allWritten;
  clearTimeout(timeout);
  await Promise.all(apis.map((api) => api.close()));
  assert.deepEqual(failures, []);
  assert.equal(succeeded, LINES);
  await assertEveryLineOnce('ov_js2', waited);
});
