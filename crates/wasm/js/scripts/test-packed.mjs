// `npm test`: packs the package as it would be published, installs the tarball into a scratch
// project like a user would, and runs the `node --test` files of test/ there, so the tests see
// exactly what `npm install linewise` gives (CommonJS and ESM entries, the browser build, types).
// Run `npm run build` first. Prints the tarball size and the gzipped .wasm size.
// The browser test drives headless Chromium with the repository's playwright-core (tests/, installed
// by scripts/setup.sh); CHROMIUM overrides the browser binary.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const playwright = join(pkg, '..', '..', '..', 'tests', 'node_modules', 'playwright-core');
if (!existsSync(playwright)) {
  console.error(`playwright-core is missing at ${playwright}: run scripts/setup.sh first`);
  process.exit(1);
}
const scratch = mkdtempSync(join(tmpdir(), 'linewise-npm-'));
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

let status = 0;
try {
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', scratch], pkg));
  const tarball = join(scratch, packed.filename);
  // Exactly the package's files: nothing missing, no sources or test data leaking in.
  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  const expected = [...manifest.files, 'package.json', 'README.md'].sort();
  const actual = packed.files.map((f) => f.path).sort();
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`tarball files ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
  const wasm = readFileSync(join(pkg, 'dist', 'linewise_core_bg.wasm'));
  console.log(
    `tarball ${packed.filename}: ${statSync(tarball).size} bytes (${packed.unpackedSize} unpacked, ${packed.entryCount} files); ` +
      `.wasm ${wasm.length} bytes, ${gzipSync(wasm, { level: 9 }).length} gzipped`,
  );

  const project = join(scratch, 'project');
  cpSync(join(pkg, 'test'), project, { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'linewise-user', private: true }));
  npm(['install', '--no-audit', '--no-fund', '--offline', tarball], project);

  const tests = readdirSync(project).filter((f) => /\.test\.(c|m)?js$/.test(f));
  execFileSync(process.execPath, ['--test', ...tests], {
    cwd: project,
    stdio: 'inherit',
    env: { ...process.env, LINEWISE_PLAYWRIGHT: playwright, CHROMIUM: process.env.CHROMIUM || '/usr/bin/chromium' },
  });
} catch (e) {
  if (e.status === undefined) console.error(e.message);
  status = e.status || 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(status);
