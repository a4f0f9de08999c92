// The real CLI as a child process, and before/after views of namespaces for
// "changed nothing" checks.
//
//   assertDistFresh();                          // in a before hook: dist/ must be built from src/
//   const r = pipework(['--host-netns', host, 'br1', 'netns:red', '198.51.100.33/24']);
//   assert.is(r.status, 0, explain(r));
//   const before = netState([host, guest]); ...; assert.equal(netState([host, guest]), before);

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ipJson } from './netns';

export const ROOT = path.resolve(__dirname, '..', '..');
/** bin/pipework: a node script that loads dist/cli/main.js. */
export const BIN = path.join(ROOT, 'bin', 'pipework');

export interface CliResult {
  argv: string[];
  status: number;
  stdout: string;
  stderr: string;
  /** Non-empty lines of stderr. */
  errLines: string[];
}

/** Runs `node bin/pipework ...argv`; never throws for a non-zero exit. */
export function pipework(argv: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...argv], {
    cwd: ROOT,
    encoding: 'utf8',
    env: opts.env ?? process.env,
    timeout: opts.timeoutMs ?? 60_000,
  });
  if (r.error) throw r.error;
  return {
    argv,
    status: r.status ?? 128,
    stdout: r.stdout,
    stderr: r.stderr,
    errLines: r.stderr.split('\n').filter((l) => l !== ''),
  };
}

/** pipework() without blocking, so that independent runs can overlap. */
export function pipeworkAsync(argv: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { cwd: ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ argv, status: code ?? (signal ? 128 : 1), stdout, stderr, errLines: stderr.split('\n').filter((l) => l !== '') });
    });
  });
}

/** Runs many command lines, `parallel` at a time; results in input order. */
export async function pipeworkMany(lines: string[][], parallel = 8): Promise<CliResult[]> {
  const results: CliResult[] = new Array(lines.length);
  let next = 0;
  const worker = async () => {
    while (next < lines.length) {
      const i = next++;
      results[i] = await pipeworkAsync(lines[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, lines.length) }, worker));
  return results;
}

/** A one-line description of a run, for assertion messages. */
export function explain(r: CliResult): string {
  return `pipework ${JSON.stringify(r.argv)} -> exit ${r.status}, stdout ${JSON.stringify(r.stdout.slice(0, 400))}, stderr ${JSON.stringify(r.stderr.slice(0, 400))}`;
}

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p, ext));
    else if (e.name.endsWith(ext)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * The CLI runs the compiled JavaScript: throws when dist/ is missing, and
 * warns on stderr when a file under src/ is newer than dist/cli/main.js (a
 * stale build tests old code; mtimes alone, e.g. after a checkout, do not
 * prove it, so this is not a failure).
 */
export function assertDistFresh(): void {
  const main = path.join(ROOT, 'dist', 'cli', 'main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run npx tsc -p tsconfig.json first`);
  const src = newestMtime(path.join(ROOT, 'src'), '.ts');
  const built = fs.statSync(main).mtimeMs;
  if (src > built + 1) process.stderr.write('  warning: src/ changed after dist/ was built; run npx tsc -p tsconfig.json\n');
}

const VOLATILE = new Set(['stats', 'stats64', 'operstate']);
// Carrier, as flags: a bridge that loses its last port loses carrier, and the
// kernel reports that through linkwatch up to a second later.
const CARRIER_FLAGS = new Set(['LOWER_UP', 'NO-CARRIER', 'linkdown']);

function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (VOLATILE.has(k)) continue;
      out[k] = k === 'flags' && Array.isArray(x) ? x.filter((f) => !CARRIER_FLAGS.has(f)) : strip(x);
    }
    return out;
  }
  return v;
}

/**
 * What `ip -j` says about each namespace: links, addresses and the routes of
 * every table, both families. Counters and carrier state (operstate,
 * LOWER_UP, NO-CARRIER, linkdown) are left out: they follow ports coming and
 * going with a delay. Whether a link is administratively UP is kept.
 */
export function netState(namespaces: string[]): Record<string, unknown> {
  const state: Record<string, unknown> = {};
  for (const ns of namespaces) {
    state[ns] = strip({
      link: ipJson(ns, 'link', 'show'),
      addr: ipJson(ns, 'addr', 'show'),
      route4: ipJson(ns, '-4', 'route', 'show', 'table', 'all'),
      route6: ipJson(ns, '-6', 'route', 'show', 'table', 'all'),
    });
  }
  return state;
}
