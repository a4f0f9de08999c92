// Runs every test/**/*.test.ts with uvu (TypeScript through tsx) and ends with
// the plain summary line CI reads: "N passed, N failed, N skipped".
// `npm test -- <pattern>` runs only the files whose path matches the pattern.
//
// Two passes, one per system-call backend: first PIPEWORK_BACKEND=addon (so an
// addon that failed to build fails here, loudly, instead of the library
// quietly falling back), then every file again with PIPEWORK_BACKEND=ffi (the
// CLI children the tests start inherit it, so CLI tests exercise it too). The
// last line counts both passes. With PIPEWORK_BACKEND set by the caller
// (`PIPEWORK_BACKEND=ffi npm test`), one pass, on that backend.
//
// uvu counts a test whose suite's before-hook threw as neither passed nor
// failed and keeps exit 0, so failed is derived from its totals: total - passed.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const uvuBin = join(root, 'node_modules', 'uvu', 'bin.js');
const filter = process.argv[2];
const pattern = filter ? `${filter}.*\\.test\\.ts$` : '\\.test\\.ts$';

/** One uvu run over the matching files with that backend; resolves with its counts. */
function pass(backend, first) {
  const env = { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' };
  if (backend !== undefined) env.PIPEWORK_BACKEND = backend;
  const label = backend ?? process.env.PIPEWORK_BACKEND ?? 'default (the addon when it loads)';
  console.log(`\n=== backend: ${label} ===`);
  return new Promise((resolve) => {
    const ignore = first ? [] : ['--ignore', '\\.pure\\.test\\.ts$'];
    const child = spawn(process.execPath, ['--import', 'tsx', uvuBin, 'test', pattern, ...ignore], {
      cwd: root,
      stdio: ['inherit', 'pipe', 'inherit'],
      env,
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      out += chunk.toString();
    });
    child.on('close', (code, signal) => {
      const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
      const num = (name) => {
        const m = plain.match(new RegExp(`^\\s*${name}:\\s+(\\d+)`, 'm'));
        return m ? Number(m[1]) : undefined;
      };
      const total = num('Total');
      const passed = num('Passed');
      const skipped = num('Skipped') ?? 0;
      if (total === undefined || passed === undefined) {
        // uvu died before its summary (an import error, a crash): nothing it ran counts.
        const ran = (plain.match(/✓/g) ?? []).length;
        console.log(`[${label}] uvu ended without a summary (exit ${code ?? signal})`);
        resolve({ label, passed: ran, failed: 1, skipped: 0, ok: false });
        return;
      }
      const failed = total - passed;
      resolve({ label, passed, failed, skipped, ok: failed === 0 && code === 0 });
    });
  });
}

const backends = process.env.PIPEWORK_BACKEND ? [undefined] : ['addon', 'ffi'];
const results = [];
for (const b of backends) results.push(await pass(b, results.length === 0));
if (results.length > 1) {
  for (const r of results) console.log(`[${r.label}] ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
}
const sum = (k) => results.reduce((s, r) => s + r[k], 0);
console.log(`${sum('passed')} passed, ${sum('failed')} failed, ${sum('skipped')} skipped`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
