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
const nativeRuns = execFileSync(join(native, 'target', 'release', 'linewise-bench-native'), [file, String(rounds)], {
  encoding: 'utf8',
})
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));

const bytes = readFileSync(file);
const mb = bytes.length / 1e6;
const best = (runs) => Math.min(...runs.map((r) => r.seconds));
const report = (name, runs) => {
  const s = best(runs);
  const r = runs[0];
  console.log(
    `${name.padEnd(34)} best ${s.toFixed(3)} s  ${(mb / s).toFixed(1)} MB/s  ${((r.lines / s) / 1e6).toFixed(2)} M lines/s  ` +
      `(lines ${r.lines}, points ${r.points}, errors ${r.errors}; rounds ${runs.map((x) => x.seconds.toFixed(3)).join(' ')})`,
  );
  return s;
};

function time(fn) {
  const runs = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    const r = fn();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    runs.push({ seconds, lines: r.lines, points: r.points, errors: r.errorCount });
  }
  return runs;
}

console.log(`input ${file}: ${bytes.length} bytes; node ${process.version}`);
const nativeBest = report('native core (bench/native)', nativeRuns);
const wasmBest = report('wasm validate(Uint8Array)', time(() => validate(bytes)));
const text = bytes.toString('utf8');
report('wasm validate(string)', time(() => validate(text)));
report(
  'wasm Validator, 1 MiB chunks',
  time(() => {
    const v = new Validator();
    for (let at = 0; at < bytes.length; at += 1 << 20) v.push(bytes.subarray(at, at + (1 << 20)));
    return v.finish();
  }),
);
console.log(`wasm/native speed ratio (Uint8Array): ${(nativeBest / wasmBest).toFixed(2)}`);
