// Attach benchmark: N guests plugged into one bridge, by the library and by
// named peers, each starting from the same state. See bench/README.md.
//
//   node --import tsx bench/attach.ts [N] [--rounds R] [--concurrency C]
//        [--only a,b,...] [--spawn sh|node] [--verify-all] [--seed S]
//        [--print-commands] [--step-costs] [--breakdown] [--backend addon|ffi]
//
// Everything it creates lives in network namespaces named pwbench-<pid>-*
// (a host namespace with br0, and N guests) plus one folder
// /tmp/pwbench-<pid>-work; all of it is deleted at the end, also on failure,
// and what a crashed earlier run left (its <pid> no longer alive) is deleted
// at the start. Nothing is created in, or read from, this process's own
// network namespace. Addresses come from 198.18.0.0/15 (RFC 2544).
//
// There are no timed assertions: it prints figures, and fails only when a
// contender did not do the work (checked with `ip -j`, outside the timing).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NetlinkSocket } from '../src/netlink';
import { planAttach } from '../src/pipework/attach';
import { planDetach } from '../src/pipework/detach';
import { openGuest, openHost, type Namespace } from '../src/pipework/namespace';
import { attach, detach } from '../src/pipework/operations';
import { sys } from '../src/sys';
import type { AttachRequest, DetachRequest } from '../src/request/types';
import { NetnsScope, ipJson, listNetns, run, runOk, staleOwner } from '../test/helpers/netns';

const TAG = 'pwbench';
const BRIDGE = 'br0';
const GUEST_IF = 'eth1';
const MTU = 1500;
const PREFIX_LEN = 15;
const GATEWAY = '198.18.0.1';
const BROADCAST = '198.19.255.255';
const FIRST_HOST = 10; // guest k gets 198.18.0.0 + FIRST_HOST + k
const CNI_DIR = '/usr/lib/cni';
const PYTHON = '/usr/bin/python3';

// ---------------------------------------------------------------- options

interface Options {
  n: number;
  rounds: number;
  warmup: number;
  concurrency: number;
  only: string[] | undefined;
  spawn: 'sh' | 'node';
  verifyAll: boolean;
  seed: number;
  printCommands: boolean;
  stepCosts: boolean;
  breakdown: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    n: 200,
    rounds: 3,
    warmup: 10,
    concurrency: 16,
    only: undefined,
    spawn: 'sh',
    verifyAll: false,
    seed: Date.now() % 100000,
    printCommands: false,
    stepCosts: false,
    breakdown: false,
  };
  const int = (v: string | undefined, what: string, min: number): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) throw new Error(`${what} wants an integer >= ${min}, not ${v}`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--rounds') o.rounds = int(argv[++i], a, 1);
    else if (a === '--warmup') o.warmup = int(argv[++i], a, 0);
    else if (a === '--concurrency') o.concurrency = int(argv[++i], a, 1);
    else if (a === '--only') o.only = argv[++i]!.split(',').filter(Boolean);
    else if (a === '--spawn') {
      const v = argv[++i];
      if (v !== 'sh' && v !== 'node') throw new Error('--spawn wants sh or node');
      o.spawn = v;
    } else if (a === '--verify-all') o.verifyAll = true;
    else if (a === '--seed') o.seed = int(argv[++i], a, 0);
    else if (a === '--print-commands') o.printCommands = true;
    else if (a === '--step-costs') o.stepCosts = true;
    else if (a === '--breakdown') o.breakdown = true;
    else if (a === '--backend') {
      // ours' system-call backend (src/sys): the N-API addon or libc through ffi-rs
      const v = argv[++i];
      if (v !== 'addon' && v !== 'ffi') throw new Error('--backend wants addon or ffi');
      process.env.PIPEWORK_BACKEND = v;
    }
    else if (a === '-h' || a === '--help') {
      console.log(
        'usage: node --import tsx bench/attach.ts [N=200] [--rounds 3] [--warmup 10] [--concurrency 16] [--only a,b]\n' +
          '       [--spawn sh|node] [--verify-all] [--seed S] [--print-commands] [--step-costs] [--breakdown] [--backend addon|ffi]',
      );
      process.exit(0);
    } else if (/^\d+$/.test(a)) o.n = int(a, 'N', 1);
    else throw new Error(`unknown argument ${a}`);
  }
  if (o.n + FIRST_HOST >= 1 << (32 - PREFIX_LEN)) throw new Error(`N=${o.n} does not fit in 198.18.0.0/15`);
  o.warmup = Math.min(o.warmup, o.n);
  return o;
}

// ---------------------------------------------------------------- the world

interface GuestJob {
  k: number;
  ns: string;
  ip: string;
  /** Host-side veth name for the peers (ours derives its own: v<cif>pl<netns inode>). */
  hostVeth: string;
  /** The name the original pipework gives the guest end before moving and renaming it. */
  tmpVeth: string;
}

function ipv4(k: number): string {
  const v = ((198 << 24) | (18 << 16)) + FIRST_HOST + k;
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

class World {
  readonly scope = new NetnsScope(TAG); // also deletes namespaces of dead earlier runs
  readonly work = `/tmp/${this.scope.prefix}work`;
  host = '';
  guests: GuestJob[] = [];

  setup(n: number): void {
    removeStaleWorkDirs();
    fs.rmSync(this.work, { recursive: true, force: true });
    fs.mkdirSync(this.work, { mode: 0o700 });
    this.host = this.scope.create('host');
    runOk('ip', ['-n', this.host, 'link', 'add', BRIDGE, 'mtu', String(MTU), 'type', 'bridge']);
    runOk('ip', ['-n', this.host, 'link', 'set', BRIDGE, 'up']);
    for (let k = 0; k < n; k++) {
      this.guests.push({ k, ns: this.scope.create(`g${k}`), ip: ipv4(k), hostVeth: `veth1pl${k}`, tmpVeth: `veth1pg${k}` });
    }
  }

  cleanup(): void {
    this.scope.cleanup();
    fs.rmSync(this.work, { recursive: true, force: true });
  }
}

/** /tmp/pwbench-<pid>-* folders whose process is gone. */
function removeStaleWorkDirs(): void {
  for (const name of fs.readdirSync('/tmp')) {
    if (staleOwner(name, TAG)) fs.rmSync(path.join('/tmp', name), { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- verification (never timed)

interface Expect {
  /** Whether the address is ours to choose (false for CNI's host-local IPAM). */
  exactAddress: boolean;
}

function sample<T>(all: T[], verifyAll: boolean, rng: () => number): T[] {
  if (verifyAll || all.length <= 12) return all;
  const picked = new Set<T>([all[0]!, all[all.length - 1]!]);
  while (picked.size < 12) picked.add(all[Math.floor(rng() * all.length)]!);
  return [...picked];
}

function bridgePorts(w: World): number {
  return ipJson<unknown[]>(w.host, 'link', 'show', 'master', BRIDGE).length;
}

function verifyAttached(w: World, jobs: GuestJob[], expect: Expect, opts: Options, rng: () => number, who: string): void {
  const ports = bridgePorts(w);
  if (ports !== jobs.length) throw new Error(`${who}: br0 has ${ports} ports after attaching ${jobs.length} guests`);
  for (const g of sample(jobs, opts.verifyAll, rng)) {
    const links = ipJson<any[]>(g.ns, 'addr', 'show', 'dev', GUEST_IF);
    const link = links[0];
    if (!link) throw new Error(`${who}: ${g.ns} has no ${GUEST_IF}`);
    if (link.operstate !== 'UP' || link.mtu !== MTU) throw new Error(`${who}: ${g.ns} ${GUEST_IF} is ${link.operstate}, mtu ${link.mtu}`);
    const inet = (link.addr_info as any[]).filter((a) => a.family === 'inet');
    const ok = inet.length === 1 && inet[0].prefixlen === PREFIX_LEN && inet[0].broadcast === BROADCAST &&
      (expect.exactAddress ? inet[0].local === g.ip : /^198\.1[89]\./.test(inet[0].local));
    if (!ok) throw new Error(`${who}: ${g.ns} ${GUEST_IF} has ${JSON.stringify(inet)}, wanted ${g.ip}/${PREFIX_LEN} brd ${BROADCAST}`);
    const routes = ipJson<any[]>(g.ns, 'route', 'show', 'default');
    if (routes.length !== 1 || routes[0].gateway !== GATEWAY || routes[0].dev !== GUEST_IF) {
      throw new Error(`${who}: ${g.ns} default route is ${JSON.stringify(routes)}`);
    }
  }
}

function verifyDetached(w: World, jobs: GuestJob[], opts: Options, rng: () => number, who: string): void {
  const ports = bridgePorts(w);
  if (ports !== 0) throw new Error(`${who}: br0 still has ${ports} ports`);
  for (const g of sample(jobs, opts.verifyAll, rng)) {
    const names = ipJson<any[]>(g.ns, 'link', 'show').map((l) => l.ifname);
    if (names.length !== 1 || names[0] !== 'lo') throw new Error(`${who}: ${g.ns} still has ${names.join(', ')}`);
  }
}

// ---------------------------------------------------------------- measurement helpers

const now = (): bigint => process.hrtime.bigint();
const msSince = (t: bigint): number => Number(now() - t) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const memory = { baseline: 0, peak: 0 };
function sampleRss(): void {
  const rss = process.memoryUsage.rss();
  if (rss > memory.peak) memory.peak = rss;
}

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/**
 * Waits until this process has no more fds open than `baseline`: the
 * announcement's AF_PACKET sockets close on libuv worker threads after the
 * attach has resolved, each waiting ~12 ms for an RCU grace period.
 */
async function settleFds(baseline: number, limitMs = 30_000): Promise<number> {
  const t = now();
  while (openFds() > baseline) {
    if (msSince(t) > limitMs) throw new Error(`fds did not come back to ${baseline} within ${limitMs} ms`);
    await sleep(1);
  }
  return msSince(t);
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(xs: T[], rng: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

// ---------------------------------------------------------------- contenders

interface RunTiming {
  /** Wall time of the timed region. */
  ms: number;
  /** Ours: time after the last attach resolved until every announcement socket was closed. */
  settleMs?: number | undefined;
  /** Ours: each operation's latency. */
  latencies?: number[] | undefined;
  /** Ours: this process's CPU time (user + system, all threads) in the timed region. */
  cpuMs?: number | undefined;
  /** Ours: how long an fs.promises.stat() issued right after the last attach resolved took (it queues on the libuv pool). */
  poolWaitMs?: number | undefined;
}

interface Contender {
  name: string;
  /** Why it cannot run here, or undefined. */
  unavailable(): string | undefined;
  exactAddress: boolean;
  ours: boolean;
  attach(jobs: GuestJob[]): Promise<RunTiming>;
  detach(jobs: GuestJob[]): Promise<RunTiming>;
}

// ---- ours

function attachRequest(g: GuestJob): AttachRequest {
  return {
    op: 'attach',
    hostIf: BRIDGE,
    guest: `netns:${g.ns}`,
    guestIf: GUEST_IF,
    address: { address: g.ip, prefixLength: PREFIX_LEN, family: 4 },
    gateway: GATEWAY,
  };
}

function detachRequest(g: GuestJob): DetachRequest {
  return { op: 'detach', guest: `netns:${g.ns}`, guestIf: GUEST_IF };
}

async function inPool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function oursContender(name: string, host: () => Namespace, limit: number | 'sequential'): Contender {
  const timed = async (jobs: GuestJob[], op: (g: GuestJob) => Promise<unknown>, settle: boolean): Promise<RunTiming> => {
    const fds = openFds();
    sampleRss();
    const latencies: number[] = [];
    let count = 0;
    const one = async (g: GuestJob): Promise<void> => {
      const t = now();
      await op(g);
      latencies.push(msSince(t));
      if ((++count & 7) === 0) sampleRss();
    };
    const cpu0 = process.cpuUsage();
    const t0 = now();
    if (limit === 'sequential') for (const g of jobs) await one(g);
    else await inPool(jobs, limit, one);
    const ms = msSince(t0);
    const cpu = process.cpuUsage(cpu0);
    sampleRss();
    let poolWaitMs: number | undefined;
    let settleMs: number | undefined;
    if (settle) {
      const t = now();
      await fs.promises.stat('/');
      poolWaitMs = msSince(t);
      await settleFds(fds);
      settleMs = msSince(t);
    }
    return { ms, settleMs, latencies, cpuMs: (cpu.user + cpu.system) / 1000, poolWaitMs };
  };
  return {
    name,
    unavailable: () => undefined,
    exactAddress: true,
    ours: true,
    attach: (jobs) => timed(jobs, (g) => attach(attachRequest(g), host()), true),
    detach: (jobs) => timed(jobs, (g) => detach(detachRequest(g), host()), false),
  };
}

// ---- iproute2 peers: one `ip` process per step

interface IpStep {
  args: string[];
  /** The step is allowed to fail (pipework tests with it, or ignores its failure). */
  mayFail?: boolean;
  /** When this step fails, run that one instead (`a || b` in pipework). */
  orElse?: string[];
  /** Fed on stdin (ip -batch -). */
  input?: string;
}

type StepPlan = (w: World, g: GuestJob) => IpStep[];

/** The original pipework's commands for `pipework br0 -i eth1 <guest> <ip>/15@<gw>`, with `ip -n NS` for `ip netns exec NS ip`. */
const originalSteps: StepPlan = (w, g) => {
  const H = ['-n', w.host];
  const G = ['-n', g.ns];
  return [
    { args: [...H, 'link', 'show', BRIDGE] }, // MTU=$(ip link show br0 | awk ...)
    { args: [...H, 'link', 'show', g.hostVeth], mayFail: true }, // does the link already exist?
    { args: [...H, 'link', 'add', 'name', g.hostVeth, 'mtu', String(MTU), 'type', 'veth', 'peer', 'name', g.tmpVeth, 'mtu', String(MTU)] },
    { args: [...H, 'link', 'set', g.hostVeth, 'master', BRIDGE] },
    { args: [...H, 'link', 'set', g.hostVeth, 'up'] },
    { args: [...H, 'link', 'set', g.tmpVeth, 'netns', g.ns] },
    { args: [...G, 'link', 'set', g.tmpVeth, 'name', GUEST_IF] },
    { args: [...G, '-4', 'addr', 'add', `${g.ip}/${PREFIX_LEN}`, 'brd', BROADCAST, 'dev', GUEST_IF] },
    { args: [...G, '-4', 'route', 'delete', 'default'], mayFail: true },
    { args: [...G, '-4', 'link', 'set', GUEST_IF, 'up'] },
    { args: [...G, '-4', 'route', 'get', GATEWAY], orElse: [...G, '-4', 'route', 'add', `${GATEWAY}/32`, 'dev', GUEST_IF] },
    { args: [...G, '-4', 'route', 'replace', 'default', 'via', GATEWAY, 'dev', GUEST_IF] },
  ];
};

/** The fewest separate `ip` commands that leave the same state. */
const minimalSteps: StepPlan = (w, g) => [
  {
    args: ['-n', w.host, 'link', 'add', g.hostVeth, 'mtu', String(MTU), 'master', BRIDGE, 'up',
      'type', 'veth', 'peer', 'name', GUEST_IF, 'mtu', String(MTU), 'netns', g.ns],
  },
  { args: ['-n', g.ns, 'addr', 'add', `${g.ip}/${PREFIX_LEN}`, 'brd', '+', 'dev', GUEST_IF] },
  { args: ['-n', g.ns, 'link', 'set', GUEST_IF, 'up'] },
  { args: ['-n', g.ns, 'route', 'add', 'default', 'via', GATEWAY, 'dev', GUEST_IF] },
];

/** Two processes: the pair from the host, then the guest's three changes as one `ip -batch`. */
const batchSteps: StepPlan = (w, g) => [
  minimalSteps(w, g)[0]!,
  {
    args: ['-n', g.ns, '-batch', '-'],
    input: `addr add ${g.ip}/${PREFIX_LEN} brd + dev ${GUEST_IF}\nlink set ${GUEST_IF} up\nroute add default via ${GATEWAY} dev ${GUEST_IF}\n`,
  },
];

const detachSteps: StepPlan = (_w, g) => [{ args: ['-n', g.ns, 'link', 'del', GUEST_IF] }];

const shq = (s: string): string => (/^[A-Za-z0-9_./:+@=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function shellLine(step: IpStep): string {
  const cmd = (args: string[]) => ['ip', ...args.map(shq)].join(' ');
  const input = step.input ? ` <<'EOF'\n${step.input}EOF` : '';
  if (step.orElse) return `${cmd(step.args)} >/dev/null 2>&1 || ${cmd(step.orElse)} >/dev/null`;
  if (step.mayFail) return `${cmd(step.args)} >/dev/null 2>&1 || true`;
  return `${cmd(step.args)} >/dev/null${input}`;
}

/** Runs a shell script, optionally inside a namespace; returns the wall time of the whole run. */
function runScript(file: string, inNetns?: string): number {
  const [cmd, args] = inNetns ? ['ip', ['netns', 'exec', inNetns, '/bin/sh', file]] : ['/bin/sh', [file]];
  const t = now();
  const r = spawnSync(cmd as string, args as string[], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 16 << 20 });
  const ms = msSince(t);
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${file} failed (${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  return ms;
}

/** Each step spawned from Node (spawnSync), for --spawn node. */
function runStepsFromNode(steps: IpStep[]): number {
  const t = now();
  for (const s of steps) {
    const r = spawnSync('ip', s.args, { input: s.input, stdio: [s.input ? 'pipe' : 'ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.error) throw r.error;
    if (r.status === 0 || s.mayFail) continue;
    if (s.orElse) {
      const r2 = spawnSync('ip', s.orElse, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      if (r2.status === 0) continue;
      throw new Error(`ip ${s.orElse.join(' ')} failed: ${r2.stderr}`);
    }
    throw new Error(`ip ${s.args.join(' ')} failed: ${r.stderr}`);
  }
  return msSince(t);
}

function ipContender(name: string, w: World, plan: StepPlan, opts: Options): Contender {
  const go = (jobs: GuestJob[], p: StepPlan, op: string): RunTiming => {
    const steps = jobs.flatMap((g) => p(w, g));
    if (opts.spawn === 'node') return { ms: runStepsFromNode(steps) };
    const file = path.join(w.work, `${name}-${op}.sh`);
    fs.writeFileSync(file, ['set -e', ...steps.map(shellLine), ''].join('\n'));
    return { ms: runScript(file) };
  };
  return {
    name,
    unavailable: () => undefined,
    exactAddress: true,
    ours: false,
    attach: async (jobs) => go(jobs, plan, 'attach'),
    detach: async (jobs) => go(jobs, detachSteps, 'detach'),
  };
}

// ---- CNI bridge plugin (containernetworking-plugins), run from a shell inside the bench host namespace

function cniContender(w: World): Contender {
  const plugin = path.join(CNI_DIR, 'bridge');
  const dataDir = path.join(w.work, 'cni-ipam');
  const conf = path.join(w.work, 'cni-conf.json');
  const go = (jobs: GuestJob[], command: 'ADD' | 'DEL'): RunTiming => {
    if (command === 'ADD') fs.rmSync(dataDir, { recursive: true, force: true }); // same start every run
    fs.writeFileSync(
      conf,
      JSON.stringify({
        cniVersion: '1.0.0',
        name: `${w.scope.prefix}net`,
        type: 'bridge',
        bridge: BRIDGE,
        isGateway: false,
        isDefaultGateway: false,
        ipMasq: false,
        hairpinMode: false,
        promiscMode: false,
        mtu: MTU,
        ipam: {
          type: 'host-local',
          dataDir,
          ranges: [[{ subnet: `198.18.0.0/${PREFIX_LEN}`, rangeStart: ipv4(0), gateway: GATEWAY }]],
          routes: [{ dst: '0.0.0.0/0', gw: GATEWAY }],
        },
      }),
    );
    const out = path.join(w.work, 'cni-out.json');
    const lines = [
      'set -e',
      `export CNI_PATH=${CNI_DIR} CNI_IFNAME=${GUEST_IF}`,
      ...jobs.map(
        (g) =>
          `CNI_COMMAND=${command} CNI_CONTAINERID=${g.ns} CNI_NETNS=/var/run/netns/${g.ns} ${plugin} <${conf} >${out} || { cat ${out} >&2; exit 1; }`,
      ),
      '',
    ];
    const file = path.join(w.work, `cni-${command}.sh`);
    fs.writeFileSync(file, lines.join('\n'));
    return { ms: runScript(file, w.host) };
  };
  return {
    name: 'cni-bridge',
    unavailable: () =>
      fs.existsSync(plugin) && fs.existsSync(path.join(CNI_DIR, 'host-local'))
        ? undefined
        : `${plugin} not found (apt-get install containernetworking-plugins)`,
    exactAddress: false,
    ours: false,
    attach: async (jobs) => go(jobs, 'ADD'),
    detach: async (jobs) => go(jobs, 'DEL'),
  };
}

// ---- pyroute2, one Python process inside the bench host namespace

function pyroute2Contender(w: World): Contender {
  const script = path.join(__dirname, 'peers', 'pyroute2_peer.py');
  const go = (jobs: GuestJob[], op: 'attach' | 'detach'): RunTiming => {
    const job = {
      op,
      bridge: BRIDGE,
      ifname: GUEST_IF,
      prefix: PREFIX_LEN,
      broadcast: BROADCAST,
      gateway: GATEWAY,
      mtu: MTU,
      guests: jobs.map((g) => ({ ns: g.ns, host: g.hostVeth, ip: g.ip })),
    };
    const r = run('ip', ['netns', 'exec', w.host, PYTHON, script], { input: JSON.stringify(job), timeoutMs: 600_000 });
    if (r.status !== 0) throw new Error(`pyroute2 ${op} failed (${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    return { ms: (JSON.parse(r.stdout) as { ms: number }).ms };
  };
  return {
    name: 'pyroute2',
    unavailable: () =>
      run(PYTHON, ['-c', 'import pyroute2'], { timeoutMs: 30_000 }).status === 0
        ? undefined
        : `${PYTHON} cannot import pyroute2 (apt-get install python3-pyroute2)`,
    exactAddress: true,
    ours: false,
    attach: async (jobs) => go(jobs, 'attach'),
    detach: async (jobs) => go(jobs, 'detach'),
  };
}

// ---------------------------------------------------------------- the run

interface Result {
  attachMs: number[];
  detachMs: number[];
  settleMs: number[];
  cpuMs: number[];
  poolWaitMs: number[];
  latencies: number[];
}

function environment(): string[] {
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? 'unknown';
  const ipv = (run('ip', ['-V']).stdout.match(/iproute2-[\w.]+/) ?? ['?'])[0];
  const pyr = run(PYTHON, ['-c', 'import importlib.metadata as m; print(m.version("pyroute2"))']);
  const cni = fs.existsSync('/usr/share/doc/containernetworking-plugins')
    ? (run('dpkg-query', ['-W', '-f', '${Version}', 'containernetworking-plugins']).stdout || '?')
    : 'absent';
  return [
    `date ${new Date().toISOString()}`,
    `kernel ${os.release()}, ${os.cpus().length} CPUs (${cpu})`,
    `load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    `node ${process.version}, ${ipv}, pyroute2 ${pyr.status === 0 ? pyr.stdout.trim() : 'absent'}, containernetworking-plugins ${cni}`,
  ];
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const rng = mulberry32(opts.seed);
  const world = new World();
  let host: Namespace | undefined;

  const cleanup = (): void => {
    try {
      host?.close();
    } catch {
      // already closed
    }
    host = undefined;
    world.cleanup();
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      console.error(`\n${sig}: cleaning up`);
      cleanup();
      process.exit(130);
    });
  }

  try {
    console.log(environment().join('\n'));
    console.log(`N=${opts.n} guests, ${opts.rounds} rounds (order shuffled, seed ${opts.seed}), warm-up ${opts.warmup}, concurrency ${opts.concurrency}, peers' ip run from ${opts.spawn === 'sh' ? '/bin/sh' : 'Node spawnSync'}`);
    console.log(`ours' system-call backend: ${sys().name} (--backend addon|ffi)`);
    if (opts.printCommands) {
      printCommands(world);
      return;
    }
    const tSetup = now();
    world.setup(opts.n);
    console.log(`setup: ${opts.n + 1} namespaces and br0 in ${(msSince(tSetup) / 1000).toFixed(1)} s (not timed)`);
    if (opts.stepCosts) {
      stepCosts(world, opts);
      return;
    }
    host = openHost(world.host);
    if (opts.breakdown) {
      await breakdown(world, host);
      return;
    }
    const h = () => host!;

    const all: Contender[] = [
      oursContender('ours-seq', h, 'sequential'),
      oursContender(`ours-c${opts.concurrency}`, h, opts.concurrency),
      oursContender('ours-all', h, opts.n),
      ipContender('ip-original', world, originalSteps, opts),
      ipContender('ip-minimal', world, minimalSteps, opts),
      ipContender('ip-batch', world, batchSteps, opts),
      pyroute2Contender(world),
      cniContender(world),
    ];
    const contenders: Contender[] = [];
    for (const c of all) {
      if (opts.only && !opts.only.some((o) => c.name.startsWith(o))) continue;
      const why = c.unavailable();
      if (why) console.log(`skipping ${c.name}: ${why}`);
      else contenders.push(c);
    }
    if (contenders.length === 0) throw new Error('no contender to run');

    const results = new Map<string, Result>(contenders.map((c) => [c.name, { attachMs: [], detachMs: [], settleMs: [], cpuMs: [], poolWaitMs: [], latencies: [] }]));
    memory.baseline = process.memoryUsage.rss();

    const once = async (c: Contender, jobs: GuestJob[], record: boolean): Promise<void> => {
      verifyDetached(world, jobs, opts, rng, c.name);
      const a = await c.attach(jobs);
      verifyAttached(world, jobs, { exactAddress: c.exactAddress }, opts, rng, c.name);
      await sleep(100);
      const d = await c.detach(jobs);
      verifyDetached(world, jobs, opts, rng, c.name);
      await sleep(100);
      if (!record) return;
      const r = results.get(c.name)!;
      r.attachMs.push(a.ms);
      r.detachMs.push(d.ms);
      if (a.settleMs !== undefined) r.settleMs.push(a.settleMs);
      if (a.cpuMs !== undefined) r.cpuMs.push(a.cpuMs);
      if (a.poolWaitMs !== undefined) r.poolWaitMs.push(a.poolWaitMs);
      if (a.latencies && c.name === 'ours-seq') r.latencies.push(...a.latencies);
      console.log(
        `  ${c.name.padEnd(12)} attach ${fmtRate(jobs.length, a.ms).padStart(7)}/s (${(a.ms / jobs.length).toFixed(2)} ms each` +
          `${a.cpuMs !== undefined ? `, cpu ${(a.cpuMs / jobs.length).toFixed(2)} ms each` : ''}` +
          `${a.settleMs !== undefined ? `, sockets closed ${a.settleMs.toFixed(0)} ms later` : ''}` +
          `${a.poolWaitMs !== undefined ? `, fs.stat ${a.poolWaitMs.toFixed(1)} ms` : ''})` +
          `   detach ${fmtRate(jobs.length, d.ms).padStart(7)}/s`,
      );
    };

    if (opts.warmup > 0) {
      const warm = world.guests.slice(0, opts.warmup);
      console.log(`warm-up: ${warm.length} guests through each contender`);
      for (const c of contenders) await once(c, warm, false);
    }
    for (let round = 1; round <= opts.rounds; round++) {
      const order = shuffle(contenders, rng);
      console.log(`round ${round}: ${order.map((c) => c.name).join(', ')}`);
      for (const c of order) await once(c, world.guests, true);
    }

    printTable(contenders, results, opts);
    const maxRss = process.resourceUsage().maxRSS * 1024;
    if (memory.peak > 0) {
      console.log(
        `\nmemory (this Node process): rss ${mib(memory.baseline)} before the first timed run, peak ${mib(memory.peak)} sampled during ours` +
          ` (+${mib(memory.peak - memory.baseline)}); ru_maxrss over the whole bench ${mib(maxRss)}`,
      );
    }
    console.log(`load average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  } finally {
    cleanup();
    const left = listNetns().filter((n) => n.startsWith(world.scope.prefix));
    if (left.length) console.error(`warning: could not delete ${left.join(', ')}`);
  }
}

/**
 * Where the ip peers' time goes: each step of a plan run for all N guests as
 * one shell script (so every guest is at the same stage), timed per step.
 */
function stepCosts(w: World, opts: Options): void {
  const rng = mulberry32(opts.seed);
  for (const [name, plan] of [['ip-original', originalSteps], ['ip-minimal', minimalSteps], ['ip-batch', batchSteps]] as const) {
    console.log(`\n${name}: ms per guest for each step, over ${w.guests.length} guests`);
    verifyDetached(w, w.guests, opts, rng, name);
    const count = plan(w, w.guests[0]!).length;
    let sum = 0;
    for (let i = 0; i < count; i++) {
      const file = path.join(w.work, `${name}-step${i}.sh`);
      fs.writeFileSync(file, ['set -e', ...w.guests.map((g) => shellLine(plan(w, g)[i]!)), ''].join('\n'));
      const ms = runScript(file) / w.guests.length;
      sum += ms;
      console.log(`${ms.toFixed(2).padStart(8)}  ${shellLine(plan(w, w.guests[0]!)[i]!).split('\n')[0]}`);
    }
    console.log(`${sum.toFixed(2).padStart(8)}  total`);
    verifyAttached(w, w.guests, { exactAddress: true }, opts, rng, name);
    const file = path.join(w.work, `${name}-detach.sh`);
    fs.writeFileSync(file, ['set -e', ...w.guests.map((g) => shellLine(detachSteps(w, g)[0]!)), ''].join('\n'));
    console.log(`${(runScript(file) / w.guests.length).toFixed(2).padStart(8)}  detach: ${shellLine(detachSteps(w, w.guests[0]!)[0]!)}`);
    verifyDetached(w, w.guests, opts, rng, name);
  }
  const file = path.join(w.work, 'noop.sh');
  fs.writeFileSync(file, ['set -e', ...w.guests.map((g) => `ip -n ${g.ns} link show lo >/dev/null`), ''].join('\n'));
  console.log(`\nfor scale, a read-only \`ip -n GUEST link show lo\`: ${(runScript(file) / w.guests.length).toFixed(2)} ms`);
}

/**
 * Where one of our attaches goes: N sequential attaches done the way
 * operations.attach() does them (openGuest, planAttach, execute the steps,
 * close), each phase and step timed, and every netlink request timed from
 * request() to its resolution (the kernel handles it inside sendmsg, so that
 * is mostly kernel time). Then N detaches the same way.
 */
async function breakdown(w: World, host: Namespace): Promise<void> {
  const times = new Map<string, number[]>();
  let recording = false;
  const add = (k: string, ms: number) => {
    if (recording) (times.get(k) ?? times.set(k, []).get(k)!).push(ms);
  };
  const names: Record<number, string> = { 16: 'RTM_NEWLINK', 17: 'RTM_DELLINK', 18: 'RTM_GETLINK', 20: 'RTM_NEWADDR', 24: 'RTM_NEWROUTE' };
  let inRequests = 0;
  let current = '';
  const original = NetlinkSocket.prototype.request;
  NetlinkSocket.prototype.request = function (this: NetlinkSocket, msg: Buffer): Promise<Buffer[]> {
    const t = now();
    const key = `${current} > ${names[msg.readUInt16LE(4)] ?? msg.readUInt16LE(4)}`;
    const settle = () => {
      const ms = msSince(t);
      inRequests += ms;
      add(key, ms);
    };
    const p = original.call(this, msg);
    p.then(settle, settle);
    return p;
  };
  const generic = (title: string) =>
    title.replace(/pwbench-\d+-g\d+/g, 'GUEST').replace(/198\.1[89]\.[\d.]+/g, 'ADDR').replace(/veth1pl\w+/g, 'HOSTVETH');
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    current = name;
    if (recording && !times.has(name)) times.set(name, []);
    const t = now();
    try {
      return await fn();
    } finally {
      add(name, msSince(t));
    }
  };
  const one = async (op: 'attach' | 'detach', g: GuestJob): Promise<void> => {
    const before = inRequests;
    const t0 = now();
    const guest = await phase(`${op}: open the guest (namespace file, netlink socket in it)`, () => openGuest(`netns:${g.ns}`));
    try {
      const plan = await phase<{ steps: { title: string; run(): Promise<void> }[] }>(`${op}: plan`, () =>
        op === 'attach' ? planAttach(attachRequest(g), host, guest.ns, guest.guest) : planDetach(detachRequest(g), host, guest.ns, guest.guest),
      );
      for (const step of plan.steps) await phase(`${op}: step: ${generic(step.title)}`, () => step.run());
    } finally {
      await phase(`${op}: close the guest`, async () => guest.ns.close());
    }
    add(`${op}: total`, msSince(t0));
    add(`${op}: of which inside request() (send, kernel, reply)`, inRequests - before);
  };
  const fds = openFds();
  try {
    for (const [count, record] of [[Math.min(10, w.guests.length), false], [w.guests.length, true]] as const) {
      recording = record;
      for (const g of w.guests.slice(0, count)) await one('attach', g);
      await settleFds(fds);
      for (const g of w.guests.slice(0, count)) await one('detach', g);
    }
  } finally {
    NetlinkSocket.prototype.request = original;
  }
  console.log(`\nper operation, ${w.guests.length} sequential attaches then detaches, after a warm-up of 10 (ms):`);
  console.log(`${'p50'.padStart(8)}${'mean'.padStart(8)}${'p99'.padStart(8)}  what`);
  for (const [k, v] of times) {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const perOp = v.length / w.guests.length;
    const label = k.includes(' > ') ? `    ${k.slice(k.indexOf(' > ') + 3)}${perOp === 1 ? '' : ` (${perOp} per op)`}` : k;
    console.log(`${quantile(v, 0.5).toFixed(3).padStart(8)}${mean.toFixed(3).padStart(8)}${quantile(v, 0.99).toFixed(3).padStart(8)}  ${label}`);
  }
}

/** The peers' commands for one guest, as the shell runs them (for bench/README.md). */
function printCommands(w: World): void {
  w.host = w.scope.name('host');
  const g: GuestJob = { k: 0, ns: w.scope.name('g0'), ip: ipv4(0), hostVeth: 'veth1pl0', tmpVeth: 'veth1pg0' };
  for (const [name, plan] of [['ip-original', originalSteps], ['ip-minimal', minimalSteps], ['ip-batch', batchSteps], ['detach (every ip peer)', detachSteps]] as const) {
    console.log(`\n# ${name}`);
    for (const s of plan(w, g)) console.log(shellLine(s));
  }
}

const fmtRate = (n: number, ms: number): string => (n / (ms / 1000)).toFixed(0);
const mib = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;

function printTable(contenders: Contender[], results: Map<string, Result>, opts: Options): void {
  const n = opts.n;
  const rate = (ms: number) => n / (ms / 1000);
  const med = (name: string) => {
    const r = results.get(name);
    return r && r.attachMs.length ? rate(median(r.attachMs)) : undefined;
  };
  const seq = med('ours-seq');
  const conc = med(`ours-c${opts.concurrency}`);
  const head = ['contender', 'attach/s', 'range', 'ms/attach', 'cpu ms', 'ours-seq x', `ours-c${opts.concurrency} x`, 'detach/s', 'closed+ms', 'fs.stat ms'];
  const rows: string[][] = [];
  for (const c of contenders) {
    const r = results.get(c.name)!;
    const rates = r.attachMs.map(rate);
    const m = rate(median(r.attachMs));
    rows.push([
      c.name,
      m.toFixed(0),
      `${Math.min(...rates).toFixed(0)}-${Math.max(...rates).toFixed(0)}`,
      (median(r.attachMs) / n).toFixed(2),
      r.cpuMs.length ? (median(r.cpuMs) / n).toFixed(2) : '',
      c.ours || seq === undefined ? '' : (seq / m).toFixed(1),
      c.ours || conc === undefined ? '' : (conc / m).toFixed(1),
      rate(median(r.detachMs)).toFixed(0),
      r.settleMs.length ? median(r.settleMs).toFixed(0) : '',
      r.poolWaitMs.length ? median(r.poolWaitMs).toFixed(1) : '',
    ]);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\nmedian of ${opts.rounds} rounds, N=${n} (attach/s = N / wall time of all N attaches):`);
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log(`'ours-seq x' = ours-seq attach/s divided by this contender's; 'cpu ms' = ours' CPU time per attach (this process, all threads)`);
  console.log(`'closed+ms' = after ours' last attach resolved, ms until every announcement socket was closed (they close on threads of the addon's own)`);
  console.log(`'fs.stat ms' = how long an fs.promises.stat('/') issued at that moment took: it would wait behind those closes if they used the libuv pool`);
  const lat = results.get('ours-seq')?.latencies ?? [];
  if (lat.length) {
    console.log(
      `ours-seq per-attach latency over ${lat.length} attaches: p50 ${quantile(lat, 0.5).toFixed(2)} ms, p90 ${quantile(lat, 0.9).toFixed(2)} ms, p99 ${quantile(lat, 0.99).toFixed(2)} ms, max ${Math.max(...lat).toFixed(2)} ms`,
    );
  }
}

main().catch((e) => {
  console.error(`bench failed: ${(e as Error)?.stack ?? e}`);
  process.exitCode = 1;
});
