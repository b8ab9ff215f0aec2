// @influxdata/influxdb3-client against a real `linewise serve`: its v2-path default, its v3 path
// (noSync), Point objects, gzip, error reporting and getServerVersion.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { InfluxDBClient, Point, HttpError } from '@influxdata/influxdb3-client';
import { startServer, TOKEN } from './server.mjs';

const HOME = readFileSync(new URL('home.lp', import.meta.url), 'utf8');
let server;
let client;

before(async () => {
  server = await startServer();
  client = new InfluxDBClient({ host: server.base, token: TOKEN });
});

after(async () => {
  await client.close();
  await server.stop();
});

test('writes the home data through /api/v2/write (the client default)', async () => {
  await client.write(HOME, 'js_v2', undefined, { precision: 's' });
  assert.equal(await server.rows('js_v2', 'home'), 26);
});

test('writes through /api/v3/write_lp with noSync, gzipped above the threshold', async () => {
  await client.write(HOME, 'js_v3', undefined, { precision: 's', noSync: true, gzipThreshold: 100 });
  assert.equal(await server.rows('js_v3', 'home'), 26);
});

test('writes Point objects', async () => {
  const points = [
    Point.measurement('home').setTag('room', 'Living Room').setFloatField('temp', 21.1)
      .setIntegerField('co', 0).setTimestamp(new Date('2022-01-01T08:00:00Z')),
    Point.measurement('home').setTag('room', 'Kitchen').setFloatField('temp', 21.0)
      .setIntegerField('co', 0).setTimestamp(new Date('2022-01-01T08:00:00Z')),
  ];
  await client.write(points, 'js_points');
  assert.equal(await server.rows('js_points', 'home'), 2);
});

test('a type conflict reaches the caller as an HttpError with the line', async () => {
  await assert.rejects(
    client.write('home,room=Kitchen temp="warm" 1641024000', 'js_v2', undefined, { precision: 's' }),
    (e) => {
      assert.ok(e instanceof HttpError);
      assert.equal(e.statusCode, 400);
      assert.equal(e.json.code, 'invalid');
      assert.match(e.json.message, /invalid column type for column 'temp'/);
      return true;
    },
  );
  assert.equal(await server.rows('js_v2', 'home'), 26);
});

test('a wrong token is refused and stores nothing', async () => {
  const bad = new InfluxDBClient({ host: server.base, token: 'wrong' });
  await assert.rejects(bad.write(HOME, 'js_denied', undefined, { precision: 's' }),
    (e) => e instanceof HttpError && e.statusCode === 401);
  await bad.close();
  assert.equal(await server.rows('js_denied', 'home'), 0);
});

test('getServerVersion reads the ping headers', async () => {
  const version = await client.getServerVersion();
  assert.match(version, /^\d+\.\d+\.\d+/);
});
