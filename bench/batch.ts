// Batch benchmark: what `pipework --batch` costs against the physical limit
// and the peers, in one run. See bench/README.md ("Batches").
//
//   node --import tsx bench/batch.ts [--sizes 10,100,1000] [--rounds R]
//        [--peer-rounds R] [--no-peers] [--singles K] [--plot-only]
//
// Contenders, each on the same fresh guests (named netns), bridge br0,
// IPv4 /15 + gateway, announcement:
//   ours-batch   one `node bin/pipework --host-netns H --batch FILE` run:
//                wall time of the whole process, Node's start included
//   reference-c  bench/reference.c (built here with cc): the same netlink
//                work sequentially, one shared AF_PACKET socket
//   peers        bench/attach.ts's ip-minimal, pyroute2, cni-bridge and
//                ours-seq (the library in-process), run as a child at each size
// Then: detaching max(sizes) guests by one --batch run against one
// `ip link del` per link (from one sh script); one CLI attach against
// `node -e 0` (wall and peak RSS, /usr/bin/time -f %M).
//
// Results go to bench/batch-results.json; the plot (attaches per second
// against batch size) to bench/batch-attach-rate.png, drawn with vega-lite,
// rendered to SVG by vega's headless View and to PNG by resvg.
// Everything lives in namespaces pwbenchb-<pid>-*; addresses 198.18.0.0/15.
// No timing is asserted: it fails only when a contender did not do the work.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NetnsScope, ipJson, runOk } from '../test/helpers/netns';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'pipework');
const RESULTS = path.join(__dirname, 'batch-results.json');
const PNG = path.join(__dirname, 'batch-attach-rate.png');
const GATEWAY = '198.18.0.1';
const FIRST = 10;
/** Group the untimed cleanup deletes by (the host namespace is ours alone). */
const CLEANUP_GROUP = '4242';

interface Opts {
  sizes: number[];
  rounds: number;
  peerRounds: number;
  peers: boolean;
  singles: number;
  plotOnly: boolean;
}

function parseOpts(argv: string[]): Opts {
  const o: Opts = { sizes: [10, 100, 1000], rounds: 3, peerRounds: 3, peers: true, singles: 10, plotOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--sizes') o.sizes = argv[++i]!.split(',').map(Number);
    else if (a === '--rounds') o.rounds = Number(argv[++i]);
    else if (a === '--peer-rounds') o.peerRounds = Number(argv[++i]);
    else if (a === '--no-peers') o.peers = false;
    else if (a === '--singles') o.singles = Number(argv[++i]);
    else if (a === '--plot-only') o.plotOnly = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function ipv4(k: number): string {
  const n = (198 << 24) + (18 << 16) + FIRST + k;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Wall time in ms of a child run to completion; throws when it fails. */
function timed(cmd: string, args: string[], input?: string): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, maxBuffer: 256 * 1024 * 1024, timeout: 600_000 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 6).join(' ')}... failed (${r.status}): ${(r.stderr || r.stdout).slice(0, 2000)}`);
  return ms;
}

interface World {
  scope: NetnsScope;
  host: string;
  guests: string[];
  work: string;
  ref: string;
}

function setup(max: number): World {
  const scope = new NetnsScope('pwbenchb');
  const host = scope.create('host');
  runOk('ip', ['-n', host, 'link', 'add', 'br0', 'mtu', '1500', 'type', 'bridge']);
  runOk('ip', ['-n', host, 'link', 'set', 'br0', 'up']);
  const guests: string[] = [];
  for (let k = 0; k < max; k++) guests.push(scope.create(`g${k}`));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `pwbenchb-${process.pid}-`));
  const ref = path.join(work, 'reference');
  runOk('cc', ['-O2', '-o', ref, path.join(__dirname, 'reference.c')]);
  return { scope, host, guests, work, ref };
}

function ports(w: World): string[] {
  return ipJson<any[]>(w.host, 'link', 'show', 'master', 'br0').map((l) => l.ifname);
}

/** Removes every port of br0, untimed: into one group, then one deletion. */
function clean(w: World): void {
  const names = ports(w);
  if (names.length === 0) return;
  runOk('ip', ['-n', w.host, '-batch', '-'], { input: names.map((n) => `link set dev ${n} group ${CLEANUP_GROUP}\n`).join('') });
  runOk('ip', ['-n', w.host, 'link', 'delete', 'group', CLEANUP_GROUP]);
}

function expectPorts(w: World, n: number, who: string): void {
  const got = ports(w).length;
  if (got !== n) throw new Error(`${who}: br0 has ${got} ports, not ${n}`);
  // A sample checked inside the guest: the address and the default route.
  for (const k of [0, n - 1]) {
    const addr = ipJson<any[]>(w.guests[k]!, 'addr', 'show', 'dev', 'eth1')[0]?.addr_info?.find((a: any) => a.family === 'inet')?.local;
    const dflt = ipJson<any[]>(w.guests[k]!, 'route', 'show', 'default')[0]?.gateway;
    if (addr !== ipv4(k) || dflt !== GATEWAY) throw new Error(`${who}: guest ${k} has ${addr} via ${dflt}`);
  }
}

function batchFile(w: World, n: number, what: 'attach' | 'detach'): string {
  const f = path.join(w.work, `${what}-${n}.txt`);
  const line = (k: number) => (what === 'attach' ? `br0 netns:${w.guests[k]} ${ipv4(k)}/15@${GATEWAY}` : `detach netns:${w.guests[k]}`);
  fs.writeFileSync(f, Array.from({ length: n }, (_, k) => line(k)).join('\n') + '\n');
  return f;
}

const oursBatch = (w: World, file: string) => timed(process.execPath, [BIN, '--host-netns', w.host, '--batch', file]);
const reference = (w: World, n: number) => timed(w.ref, [w.host, 'br0', w.guests[0]!.replace(/0$/, ''), String(n), ipv4(0), GATEWAY]);

/** bench/attach.ts at one size: its median attach/s per contender, from its table. */
function peersAt(n: number, rounds: number): Record<string, number> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'attach.ts'), String(n), '--rounds', String(rounds), '--only', 'ours-seq,ip-minimal,pyroute2,cni-bridge'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 3_600_000,
  });
  if (r.status !== 0) throw new Error(`bench/attach.ts ${n} failed: ${r.stderr || r.stdout}`);
  const table = r.stdout.slice(r.stdout.indexOf('median of'));
  const out: Record<string, number> = {};
  for (const m of table.matchAll(/^(ours-seq|ip-minimal|pyroute2|cni-bridge)\s+(\d+)\s/gm)) out[m[1]!] = Number(m[2]);
  for (const m of r.stdout.matchAll(/^skipping (\S+): (.*)$/gm)) console.log(`  bench/attach.ts skipped ${m[1]}: ${m[2]}`);
  return out;
}

/** Wall ms and peak RSS (kB) of one command, through /usr/bin/time -f %M. */
function wallAndRss(args: string[]): { ms: number; rssKb: number } {
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'RSS %M', ...args], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return { ms, rssKb: Number(/RSS (\d+)/.exec(r.stderr)![1]) };
}

interface Results {
  machine: Record<string, string | number>;
  when: string;
  rounds: number;
  sweep: { size: number; contender: string; attachPerSec: number }[];
  big: { n: number; oursBatchMs: number; referenceMs: number; detachBatchMs: number; detachIpMs: number };
  single: { cliMs: number; nodeMs: number; cliRssKb: number; nodeRssKb: number; runs: number };
  memory?: { lines1k: number; lines10k: number; ms1k: number; ms10k: number };
}

async function main(): Promise<void> {
  const o = parseOpts(process.argv.slice(2));
  if (o.plotOnly) {
    const r = JSON.parse(fs.readFileSync(RESULTS, 'utf8'));
    table(r);
    return plot(r);
  }
  const max = Math.max(...o.sizes);
  const machine = {
    cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    backend: process.env.PIPEWORK_BACKEND ?? 'addon (default)',
  };
  console.log(`machine: ${JSON.stringify(machine)}; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const t0 = Date.now();
  const w = setup(max);
  console.log(`setup: ${max + 1} namespaces in ${((Date.now() - t0) / 1000).toFixed(1)} s (not timed)`);
  const results: Results = { machine, when: new Date().toISOString(), rounds: o.rounds, sweep: [], big: {} as Results['big'], single: {} as Results['single'] };
  try {
    for (const n of o.sizes) {
      const file = batchFile(w, n, 'attach');
      const ours: number[] = [];
      const ref: number[] = [];
      for (let r = 0; r < o.rounds; r++) {
        // Alternating, so that drift (page cache, load) hits both alike.
        ours.push(oursBatch(w, file));
        expectPorts(w, n, 'ours-batch');
        clean(w);
        ref.push(reference(w, n));
        expectPorts(w, n, 'reference-c');
        clean(w);
      }
      results.sweep.push({ size: n, contender: 'ours-batch (CLI, whole run)', attachPerSec: n / (median(ours) / 1000) });
      results.sweep.push({ size: n, contender: 'reference C (sequential)', attachPerSec: n / (median(ref) / 1000) });
      if (n === max) Object.assign(results.big, { n, oursBatchMs: median(ours), referenceMs: median(ref) });
      console.log(`N=${n}: ours-batch ${median(ours).toFixed(0)} ms (${(median(ours) / n).toFixed(3)} ms/attach), reference-c ${median(ref).toFixed(0)} ms (${(median(ref) / n).toFixed(3)} ms/attach)`);
      if (o.peers) {
        const peers = peersAt(n, o.peerRounds);
        for (const [name, rate] of Object.entries(peers)) results.sweep.push({ size: n, contender: name === 'ours-seq' ? 'ours-seq (library, in-process)' : name, attachPerSec: rate });
        console.log(`N=${n}: bench/attach.ts attach/s ${JSON.stringify(peers)}`);
      }
    }
    // Detach of max guests: one batch against one `ip link del` per link.
    const attachAll = batchFile(w, max, 'attach');
    const detachAll = batchFile(w, max, 'detach');
    const dBatch: number[] = [];
    const dIp: number[] = [];
    for (let r = 0; r < o.rounds; r++) {
      oursBatch(w, attachAll);
      dBatch.push(oursBatch(w, detachAll));
      if (ports(w).length !== 0) throw new Error('ours-batch detach left ports');
      oursBatch(w, attachAll);
      const script = path.join(w.work, 'detach-ip.sh');
      fs.writeFileSync(script, ports(w).map((p) => `ip -n ${w.host} link del ${p}\n`).join(''));
      dIp.push(timed('/bin/sh', [script]));
      if (ports(w).length !== 0) throw new Error('ip detach left ports');
    }
    Object.assign(results.big, { detachBatchMs: median(dBatch), detachIpMs: median(dIp) });
    console.log(`detach ${max}: ours-batch ${median(dBatch).toFixed(0)} ms, ip link del per link ${median(dIp).toFixed(0)} ms (x${(median(dIp) / median(dBatch)).toFixed(1)})`);
    // One CLI attach against `node -e 0`.
    const cli: { ms: number; rssKb: number }[] = [];
    const bare: { ms: number; rssKb: number }[] = [];
    for (let r = 0; r < o.singles; r++) {
      bare.push(wallAndRss([process.execPath, '-e', '0']));
      cli.push(wallAndRss([process.execPath, BIN, '--host-netns', w.host, 'br0', `netns:${w.guests[0]}`, `${ipv4(0)}/15@${GATEWAY}`]));
      clean(w);
    }
    // Memory: peak RSS of a 1,000- and a 10,000-line batch of detaches with nothing to detach (state per line, not kernel work).
    const rssOf = (lines: number) => {
      const f = path.join(w.work, `noop-${lines}.txt`);
      fs.writeFileSync(f, Array.from({ length: lines }, (_, i) => `detach netns:${w.guests[i % max]}`).join('\n') + '\n');
      return wallAndRss([process.execPath, BIN, '--host-netns', w.host, '--batch', f]);
    };
    const m1k = rssOf(1000);
    const m10k = rssOf(10_000);
    results.memory = { lines1k: m1k.rssKb, lines10k: m10k.rssKb, ms1k: m1k.ms, ms10k: m10k.ms };
    console.log(`peak RSS: 1,000-line batch ${(m1k.rssKb / 1024).toFixed(1)} MB, 10,000-line ${(m10k.rssKb / 1024).toFixed(1)} MB`);
    results.single = {
      cliMs: median(cli.map((x) => x.ms)),
      nodeMs: median(bare.map((x) => x.ms)),
      cliRssKb: Math.max(...cli.map((x) => x.rssKb)),
      nodeRssKb: Math.max(...bare.map((x) => x.rssKb)),
      runs: o.singles,
    };
    console.log(`one CLI attach: ${results.single.cliMs.toFixed(1)} ms, node -e 0: ${results.single.nodeMs.toFixed(1)} ms; peak RSS ${(results.single.cliRssKb / 1024).toFixed(1)} MB vs ${(results.single.nodeRssKb / 1024).toFixed(1)} MB`);
  } finally {
    w.scope.cleanup();
    fs.rmSync(w.work, { recursive: true, force: true });
  }
  fs.writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');
  table(results);
  await plot(results);
}

/** Every figure in one markdown table, for bench/README.md. */
function markdown(r: Results): string {
  const b = r.big;
  const rows: string[][] = [['figure', 'ours', 'peer', 'peer is', 'ratio (ours / peer time)']];
  const ms = (x: number) => `${x.toFixed(3)} ms`;
  rows.push([`attach ${b.n} netns guests, per attach (CLI --batch, whole run incl. Node start)`, ms(b.oursBatchMs / b.n), ms(b.referenceMs / b.n), 'bench/reference.c, sequential', (b.oursBatchMs / b.referenceMs).toFixed(2)]);
  const at = (size: number, name: string) => r.sweep.find((s) => s.size === size && s.contender.startsWith(name))?.attachPerSec;
  const oursRate = at(b.n, 'ours-batch')!;
  for (const peer of ['ours-seq', 'ip-minimal', 'pyroute2', 'cni-bridge']) {
    const p = at(b.n, peer);
    if (p !== undefined) rows.push([`attach ${b.n}, per attach`, ms(1000 / oursRate), ms(1000 / p), peer === 'ours-seq' ? 'ours-seq: the library in-process, one after another' : peer, (p / oursRate).toFixed(2)]);
  }
  rows.push([`detach ${b.n} in one batch, per detach`, ms(b.detachBatchMs / b.n), ms(b.detachIpMs / b.n), 'one `ip link del` per link', (b.detachBatchMs / b.detachIpMs).toFixed(3)]);
  const s = r.single;
  rows.push(['one CLI attach, wall', `${s.cliMs.toFixed(1)} ms`, `${s.nodeMs.toFixed(1)} ms`, '`node -e 0`', `+${(s.cliMs - s.nodeMs).toFixed(1)} ms`]);
  rows.push(['one CLI attach, peak RSS', `${(s.cliRssKb / 1024).toFixed(1)} MB`, `${(s.nodeRssKb / 1024).toFixed(1)} MB`, '`node -e 0`', `+${((s.cliRssKb - s.nodeRssKb) / 1024).toFixed(1)} MB`]);
  if (r.memory) rows.push(['peak RSS, 10,000-line batch (no-op detaches)', `${(r.memory.lines10k / 1024).toFixed(1)} MB`, `${(r.memory.lines1k / 1024).toFixed(1)} MB`, 'the same, 1,000 lines', `+${((r.memory.lines10k - r.memory.lines1k) / 1024).toFixed(1)} MB`]);
  for (const size of [...new Set(r.sweep.map((x) => x.size))]) {
    const cells = r.sweep.filter((x) => x.size === size).map((x) => `${x.contender.split(' ')[0]} ${x.attachPerSec.toFixed(0)}`);
    rows.push([`attaches/s at batch size ${size}`, cells[0]!, cells.slice(1).join(', '), '', '']);
  }
  return rows.map((row, i) => `| ${row.join(' | ')} |${i === 0 ? `\n|${row.map(() => ' --- ').join('|')}|` : ''}`).join('\n');
}

function table(r: Results): void {
  console.log(`\n${markdown(r)}\n`);
  const b = r.big;
  console.log(`\nN=${b.n}, medians of ${r.rounds} rounds:`);
  console.log(`  attach: ours-batch ${(b.oursBatchMs / b.n).toFixed(3)} ms/attach, reference-c ${(b.referenceMs / b.n).toFixed(3)}: ratio ${(b.oursBatchMs / b.referenceMs).toFixed(2)}`);
  console.log(`  detach: ours-batch ${(b.detachBatchMs / b.n).toFixed(3)} ms/detach, ip link del ${(b.detachIpMs / b.n).toFixed(3)}: ${(b.detachIpMs / b.detachBatchMs).toFixed(1)}x faster`);
  for (const s of r.sweep) console.log(`  size ${String(s.size).padStart(5)}  ${s.contender.padEnd(32)} ${s.attachPerSec.toFixed(0).padStart(6)} attach/s`);
}

/** The plot: vega-lite → vega spec → SVG (headless View) → PNG (resvg). */
async function plot(r: Results): Promise<void> {
  // ESM-only packages, loaded by name: the test tsconfig's module resolution cannot type them.
  const load = (name: string): Promise<any> => import(name);
  const vl = await load('vega-lite');
  const vega = await load('vega');
  const { Resvg } = await load('@resvg/resvg-js');
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Attaches per second against batch size (${r.machine.cpus}, kernel ${r.machine.kernel})`,
    width: 640,
    height: 360,
    background: 'white',
    data: { values: r.sweep },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'size', type: 'quantitative', scale: { type: 'log' }, title: 'batch size (guests)' },
      y: { field: 'attachPerSec', type: 'quantitative', scale: { type: 'log' }, title: 'attaches per second (log)' },
      color: { field: 'contender', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 2, labelLimit: 300 } },
    },
  };
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { background: 'white', fitTo: { mode: 'width', value: 1000 }, font: { loadSystemFonts: true } }).render().asPng();
  fs.writeFileSync(PNG, png);
  console.log(`plot: ${path.relative(ROOT, PNG)}`);
}

main().catch((e) => {
  console.error(`bench failed: ${(e as Error)?.stack ?? e}`);
  process.exitCode = 1;
});
