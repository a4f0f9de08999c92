// Runs every test/**/*.test.ts with uvu (TypeScript through tsx) and ends with
// the plain summary line CI reads: "N passed, N failed, N skipped".
// `npm test -- <pattern>` runs only the files whose path matches the pattern.
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

const child = spawn(process.execPath, ['--import', 'tsx', uvuBin, 'test', pattern], {
  cwd: root,
  stdio: ['inherit', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' },
});
let out = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  out += chunk.toString();
});
child.on('close', (code, signal) => {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const num = (label) => {
    const m = plain.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm'));
    return m ? Number(m[1]) : undefined;
  };
  const total = num('Total');
  const passed = num('Passed');
  const skipped = num('Skipped') ?? 0;
  if (total === undefined || passed === undefined) {
    // uvu died before its summary (an import error, a crash): nothing it ran counts.
    const ran = (plain.match(/✓/g) ?? []).length;
    console.log(`uvu ended without a summary (exit ${code ?? signal})`);
    console.log(`${ran} passed, 1 failed, 0 skipped`);
    process.exit(1);
  }
  const failed = total - passed;
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed > 0 || code !== 0 ? 1 : 0);
});
