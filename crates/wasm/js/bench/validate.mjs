// Benchmark (not in CI): `validate` of the built package in Node against the same core calls compiled
// natively (bench/native), in one run on one input.
//
//   npm run build && node bench/validate.mjs FILE [ROUNDS]
//
// FILE e.g. from the repository's test data generator: gen_lp.py --schema cpu --hosts 100
// --lines 1000000 --seed 1 (about 345 MB). Prints one line per measurement and the ratio of the best
// rounds.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const [file, roundsArg = '3'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/validate.mjs FILE [ROUNDS]');
  process.exit(2);
}
const rounds = Number(roundsArg);
const { validate, Validator } = createRequire(import.meta.url)(join(here, '..', 'dist', 'index.cjs'));

const native = join(here, 'native');
execFileSync('cargo', ['build', '--release', '--quiet', '--manifest-path', join(native, 'Cargo.toml')], { stdio: 'inherit' });
const nativeBin = join(native, 'target', 'release', 'linewise-bench-native');

const bytes = readFileSync(file);
const text = bytes.toString('utf8');
const mb = bytes.length / 1e6;

/** Wall time and process CPU time (user + system) of `fn`. */
function time(fn) {
  const [start, cpuStart] = [process.hrtime.bigint(), process.cpuUsage()];
  const r = fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  return { seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6, lines: r.lines, points: r.points, errors: r.errorCount };
}

// The machine may be shared: rounds interleave the contenders so each sees the same load, and the
// best round of each counts.
const contenders = {
  'native core (bench/native)': () =>
    JSON.parse(execFileSync(nativeBin, [file, '1'], { encoding: 'utf8' })),
  'wasm validate(Uint8Array)': () => time(() => validate(bytes)),
  'wasm validate(string)': () => time(() => validate(text)),
  'wasm Validator, 1 MiB chunks': () =>
    time(() => {
      const v = new Validator();
      for (let at = 0; at < bytes.length; at += 1 << 20) v.push(bytes.subarray(at, at + (1 << 20)));
      return v.finish();
    }),
};
const runs = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(contenders)) runs[name].push(run());
}

console.log(`input ${file}: ${bytes.length} bytes; node ${process.version}; ${rounds} interleaved rounds`);
const best = {};
const fmt = (list, key) => list.map((x) => x[key].toFixed(3)).join(' ');
for (const [name, list] of Object.entries(runs)) {
  const wall = Math.min(...list.map((r) => r.seconds));
  const cpu = Math.min(...list.map((r) => r.cpu_seconds));
  best[name] = { wall, cpu };
  const r = list[0];
  console.log(
    `${name.padEnd(30)} wall ${wall.toFixed(3)} s (${(mb / wall).toFixed(1)} MB/s, ${(r.lines / wall / 1e6).toFixed(2)} M lines/s)  ` +
      `cpu ${cpu.toFixed(3)} s (${(mb / cpu).toFixed(1)} MB/s)  lines ${r.lines} points ${r.points} errors ${r.errors}`,
  );
  console.log(`${''.padEnd(30)} rounds wall ${fmt(list, 'seconds')}; cpu ${fmt(list, 'cpu_seconds')}`);
}
const nativeBest = best['native core (bench/native)'];
const wasmBest = best['wasm validate(Uint8Array)'];
console.log(
  `wasm/native speed ratio, validate of a Uint8Array: ${(nativeBest.wall / wasmBest.wall).toFixed(2)} by best wall time, ` +
    `${(nativeBest.cpu / wasmBest.cpu).toFixed(2)} by best CPU time`,
);
