// @influxdata/influxdb3-client's query() against a real `linewise serve`: Arrow Flight (a DoGet with
// the client's JSON ticket) on the same port as its writes, every value and type exact, and its
// errors for bad SQL, an unknown database and a wrong token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { InfluxDBClient } from '@influxdata/influxdb3-client';
import { startServer, TOKEN } from './server.mjs';

const HOME = readFileSync(new URL('home.lp', import.meta.url), 'utf8');
const DB = 'js_flight';
let server;
let client;

/** The seed's lines as rows in the order of `ORDER BY time, room`. */
function expectedRows() {
  return HOME.trim().split('\n').map((line) => {
    const [, room, temp, hum, co, ts] = line.match(/^home,room=(.+) temp=(.+),hum=(.+),co=(\d+)i (\d+)$/);
    return { co: BigInt(co), hum: Number(hum), room: room.replace('\\ ', ' '), temp: Number(temp), seconds: Number(ts) };
  }).sort((a, b) => a.seconds - b.seconds || a.room.localeCompare(b.room));
}

async function collect(rows) {
  const out = [];
  for await (const row of rows) out.push(row);
  return out;
}

before(async () => {
  server = await startServer();
  client = new InfluxDBClient({ host: server.base, token: TOKEN });
  await client.write(HOME, DB, undefined, { precision: 's' });
});

after(async () => {
  await client.close();
  await server.stop();
});

test('query() reads the 26 home rows back over Flight with their types', async () => {
  const rows = await collect(client.query('SELECT * FROM home ORDER BY time, room', DB));
  assert.equal(rows.length, 26);
  assert.deepEqual(Object.keys(rows[0]), ['co', 'hum', 'room', 'temp', 'time']);
  const got = rows.map((r) => ({
    co: r.co, hum: r.hum, room: r.room, temp: r.temp, seconds: r.time / 1000,
  }));
  for (const r of rows) {
    // Int64 as BigInt, Float64 as number, the tag as a string; apache-arrow reads the nanosecond
    // timestamp as milliseconds since the epoch.
    assert.equal(typeof r.co, 'bigint');
    assert.equal(typeof r.temp, 'number');
    assert.equal(typeof r.room, 'string');
    assert.equal(typeof r.time, 'number');
  }
  assert.deepEqual(got, expectedRows());
});

test('query parameters are bound', async () => {
  const rows = await collect(client.query(
    'SELECT co FROM home WHERE room = $room AND temp > $temp ORDER BY time', DB,
    { params: { room: 'Kitchen', temp: 23.0 } },
  ));
  assert.deepEqual(rows.map((r) => r.co), [18n, 22n]);
});

test('bad SQL reaches the caller with the planner message', async () => {
  await assert.rejects(collect(client.query('SELECT nope FROM home', DB)), (e) => {
    assert.match(String(e.message), /nope/);
    assert.match(String(e.code ?? e.message), /INVALID_ARGUMENT|InvalidArgument/i);
    return true;
  });
});

test('an unknown database is NotFound with its name', async () => {
  await assert.rejects(collect(client.query('SELECT 1', 'nosuch')),
    (e) => /database not found: nosuch/.test(e.message));
});

test('a wrong token is Unauthenticated', async () => {
  const bad = new InfluxDBClient({ host: server.base, token: 'wrong' });
  await assert.rejects(collect(bad.query('SELECT * FROM home', DB)),
    (e) => /not authenticated/.test(e.message));
  await bad.close();
});
