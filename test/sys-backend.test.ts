// The two system-call backends: how one is chosen (PIPEWORK_BACKEND, and the
// fall-back to ffi-rs when the addon cannot load), that both fail with the
// same error shape (sockets and openFile), and that a subscription on the ffi
// backend sleeps in the kernel and wakes on an event rather than spinning.
// Namespaces: pwffi-<pid>-*.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PipeworkError } from '../src/errors';
import { NetlinkSocket, readHeader } from '../src/netlink';
import { RTM_NEWLINK, RTNLGRP_LINK } from '../src/rtnl';
import { loadBackend, type Sys, type SysSocket } from '../src/sys';
import { POLL_TIMEOUT_MS } from '../src/sys/ffi';
import { syscallFailure } from './helpers/assert';
import { BIN, ROOT, assertDistFresh } from './helpers/cli';
import { NETNS_DIR, NetnsScope, ip } from './helpers/netns';
import { requireIf, requireRoot } from './helpers/skip';
import { have } from './helpers/strace';

const isRoot = process.getuid?.() === 0;
const maybe = requireRoot(test);
const withStrace = requireIf(test, isRoot && have('strace', ['-V']), isRoot ? 'strace is not installed' : 'not running as root');

let scope: NetnsScope | undefined;
let counter = 0;

test.before(() => {
  if (!isRoot) return;
  assertDistFresh();
  scope = new NetnsScope('pwffi');
});
test.after(() => scope?.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freshNs(): string {
  return scope!.create(`t${counter++}`);
}

/** Runs a snippet of TypeScript in a child node (tsx), with extra env and options. */
function child(code: string, env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []) {
  return spawnSync(process.execPath, [...nodeArgs, '--import', 'tsx', '-e', code], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
}

const PRINT_BACKEND = `const { sys } = require('./src/sys'); console.log(sys().name);`;

// ---- selection -----------------------------------------------------------------

test('PIPEWORK_BACKEND=addon and =ffi pick that backend', () => {
  assert.is(loadBackend('addon').name, 'addon');
  assert.is(loadBackend('ffi').name, 'ffi');
  for (const b of ['addon', 'ffi']) {
    const r = child(PRINT_BACKEND, { PIPEWORK_BACKEND: b });
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout.trim(), b);
  }
});

test('unset or empty: the addon when it loads', () => {
  assert.is(loadBackend(undefined).name, 'addon');
  assert.is(loadBackend('').name, 'addon');
  const r = child(PRINT_BACKEND, { PIPEWORK_BACKEND: '' });
  assert.is(r.stdout.trim(), 'addon', r.stderr);
});

test('unset, and the addon cannot load: ffi-rs', () => {
  // A preload that makes every way to the addon's binary fail, as on a host
  // with no prebuild that fits and no compiler.
  const preload = path.join(os.tmpdir(), `pwffi-${process.pid}-no-addon.cjs`);
  fs.writeFileSync(
    preload,
    `const M = require('module'); const load = M._load;
     M._load = function (req, ...rest) {
       if (req === 'node-gyp-build' || /pipework_native|\\.node$/.test(req) && !/ffi-rs/.test(req)) throw new Error('no addon on this host');
       return load.call(this, req, ...rest);
     };`,
  );
  try {
    const env = { ...process.env };
    delete env.PIPEWORK_BACKEND;
    const r = spawnSync(process.execPath, ['--require', preload, '--import', 'tsx', '-e', PRINT_BACKEND], { cwd: ROOT, encoding: 'utf8', env, timeout: 30_000 });
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout.trim(), 'ffi');
    // Asked for by name, the addon's failure is reported, not hidden.
    const forced = spawnSync(process.execPath, ['--require', preload, '--import', 'tsx', '-e', PRINT_BACKEND], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...env, PIPEWORK_BACKEND: 'addon' },
      timeout: 30_000,
    });
    assert.is.not(forced.status, 0);
    assert.match(forced.stderr, 'no addon on this host');
  } finally {
    fs.rmSync(preload, { force: true });
  }
});

test('an unknown PIPEWORK_BACKEND is a USAGE error naming the variable and the value', () => {
  try {
    loadBackend('napi');
    assert.unreachable('napi is no backend');
  } catch (e) {
    assert.instance(e, PipeworkError);
    assert.is((e as PipeworkError).code, 'USAGE');
    assert.match((e as Error).message, 'PIPEWORK_BACKEND=napi');
  }
});

maybe('the CLI refuses an unknown PIPEWORK_BACKEND with exit 2 and one line', () => {
  const ns = freshNs();
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, BIN, '--wait', '-i', 'lo', '--timeout', '1'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PIPEWORK_BACKEND: 'bogus' },
    timeout: 30_000,
  });
  assert.is(r.status, 2, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, 'PIPEWORK_BACKEND=bogus');
});

// ---- the same errors ------------------------------------------------------------

maybe('both backends fail alike: socket() EPROTONOSUPPORT, bind() ENODEV, setns() EINVAL', () => {
  const backends: Sys[] = [loadBackend('addon'), loadBackend('ffi')];
  const notNs = fs.openSync('/dev/null', 'r');
  try {
    const cases: Array<[string, (s: Sys) => SysSocket, Record<string, unknown>]> = [
      ['socket with a bad protocol', (s) => s.openNetlink(9999), { code: 'EPROTONOSUPPORT', errno: -93, syscall: 'socket' }],
      ['bind to a missing ifindex', (s) => s.openPacket(999_999, 0), { code: 'ENODEV', errno: -19, syscall: 'bind' }],
      ['setns into something not a namespace', (s) => s.openNetlink(0, notNs), { code: 'EINVAL', errno: -22, syscall: 'setns' }],
    ];
    for (const [what, fn, want] of cases) {
      const [a, f] = backends.map((s) => syscallFailure(() => fn(s)));
      for (const k of Object.keys(want)) assert.is(a![k], want[k], `${what}: addon ${k}`);
      assert.equal(f, a, `${what}: ffi and addon differ`);
    }
    // And after a failed setns, this thread is still in its own namespace.
    assert.is(fs.readlinkSync('/proc/thread-self/ns/net'), fs.readlinkSync('/proc/self/ns/net'));
  } finally {
    fs.closeSync(notNs);
  }
});

maybe('both backends fail alike in openFile: open() ENOENT inside a namespace, a NUL in the path, setns() EINVAL', () => {
  const backends: Sys[] = [loadBackend('addon'), loadBackend('ffi')];
  const nsFd = fs.openSync(path.join(NETNS_DIR, freshNs()), 'r');
  const notNs = fs.openSync('/dev/null', 'r');
  try {
    // lo exists in every namespace; pwffi0 in none (this one is fresh).
    const missing = '/proc/sys/net/ipv6/conf/pwffi0/disable_ipv6';
    const cases: Array<[string, (s: Sys) => number, Record<string, unknown>]> = [
      ['a sysctl of a missing interface', (s) => s.openFile(missing, fs.constants.O_RDONLY, nsFd), { code: 'ENOENT', errno: -2, syscall: 'open' }],
      ['a path with a NUL', (s) => s.openFile('/proc/sys/net\0x', fs.constants.O_RDONLY, nsFd), { code: 'EINVAL', errno: -22, syscall: 'open' }],
      ['setns into something not a namespace', (s) => s.openFile('/proc/sys/net/ipv4/ip_forward', fs.constants.O_RDONLY, notNs), { code: 'EINVAL', errno: -22, syscall: 'setns' }],
    ];
    for (const [what, fn, want] of cases) {
      const [a, f] = backends.map((s) => syscallFailure(() => fn(s)));
      for (const k of Object.keys(want)) assert.is(a![k], want[k], `${what}: addon ${k}`);
      assert.equal(f, a, `${what}: ffi and addon differ`);
    }
    // And both open the namespace's own file, the thread coming back each time.
    for (const s of backends) {
      const fd = s.openFile('/proc/sys/net/ipv6/conf/lo/disable_ipv6', fs.constants.O_RDONLY, nsFd);
      fs.closeSync(fd);
      assert.is(fs.readlinkSync('/proc/thread-self/ns/net'), fs.readlinkSync('/proc/self/ns/net'), s.name);
    }
  } finally {
    fs.closeSync(notNs);
    fs.closeSync(nsFd);
  }
});

maybe('ffi: a socket made inside a namespace lives there, and the thread comes back', () => {
  const ns = freshNs();
  const nsFd = fs.openSync(path.join(NETNS_DIR, ns), 'r');
  const before = fs.readlinkSync('/proc/thread-self/ns/net');
  try {
    const ffi = loadBackend('ffi');
    const sock = ffi.openNetlink(0, nsFd);
    assert.is(fs.readlinkSync('/proc/thread-self/ns/net'), before);
    // The socket's own namespace (SIOCGSKNS is not reachable from JS; the
    // kernel's view through /proc/net/netlink of a process in ns shows it).
    const inode = /socket:\[(\d+)\]/.exec(fs.readlinkSync(`/proc/self/fd/${sock.fd}`))![1]!;
    const table = spawnSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/netlink'], { encoding: 'utf8' }).stdout;
    assert.ok(table.split('\n').some((l) => l.trim().split(/\s+/).pop() === inode), `socket ${inode} not in ${ns}'s /proc/net/netlink`);
    sock.close();
    assert.is(sock.fd, -1);
  } finally {
    fs.closeSync(nsFd);
  }
});

// ---- readiness without uv_poll ------------------------------------------------------

maybe('ffi: a subscription wakes on an event, promptly, and lets the process go once closed', async () => {
  const ns = freshNs();
  const nsFd = fs.openSync(path.join(NETNS_DIR, ns), 'r');
  const s = new NetlinkSocket({ nsFd, sys: loadBackend('ffi') });
  try {
    let seen: number | undefined;
    s.subscribe([RTNLGRP_LINK], (msg) => {
      if (seen === undefined && readHeader(msg).type === RTM_NEWLINK) seen = Date.now();
    });
    await sleep(3 * POLL_TIMEOUT_MS); // several polls time out and are re-armed meanwhile
    const child = spawn('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    const exited = await new Promise<number>((resolve) => child.on('close', () => resolve(Date.now())));
    for (let i = 0; i < 100 && seen === undefined; i++) await sleep(10);
    assert.ok(seen !== undefined, 'no notification');
    // The kernel queued the notification before ip exited; a poll that sleeps
    // in the kernel returns at once. One that only looked every POLL_TIMEOUT_MS
    // would mostly be later than this.
    assert.ok(seen! - exited < POLL_TIMEOUT_MS / 2, `notification ${seen! - exited} ms after ip exited`);
  } finally {
    s.close();
    fs.closeSync(nsFd);
  }
});

test('ffi: a subscribed socket, once closed or unref\'d, lets the process exit at once (the poll in flight is woken)', () => {
  for (const end of ['close', 'unref']) {
    const code = `
      const { NetlinkSocket } = require('./src/netlink');
      const { loadBackend } = require('./src/sys');
      const s = new NetlinkSocket({ sys: loadBackend('ffi') });
      s.subscribe([1], () => {});
      setTimeout(() => { globalThis.t = Date.now(); ${end === 'close' ? 's.close()' : 's["sock"].unref()'}; }, 700);
      process.on('exit', () => process.stdout.write(String(Date.now() - globalThis.t)));`;
    const r = child(code);
    assert.is(r.status, 0, r.stderr);
    const lag = Number(r.stdout.trim().split('\n').pop());
    assert.ok(lag < POLL_TIMEOUT_MS / 2, `${end}: the process exited ${lag} ms later (${JSON.stringify(r.stdout)} ${JSON.stringify(r.stderr)})`);
  }
});

withStrace('ffi: a CLI wait sleeps in poll(2), a few calls over 2 s, and wakes when the link comes up', async () => {
  const ns = freshNs();
  const log = path.join(os.tmpdir(), `pwffi-${process.pid}-strace.txt`);
  try {
    const child = spawn(
      'ip',
      ['netns', 'exec', ns, 'strace', '-f', '-c', '-o', log, '-e', 'trace=poll,ppoll', process.execPath, BIN, '--wait', '-i', 'eth1', '--timeout', '20'],
      { cwd: ROOT, env: { ...process.env, PIPEWORK_BACKEND: 'ffi' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const done = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 128)));
    let exited = false;
    void done.then(() => (exited = true));
    await sleep(2500);
    assert.not.ok(exited, `the wait ended early: ${stderr}`);
    ip(ns, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'peer1');
    ip(ns, 'link', 'set', 'peer1', 'up');
    ip(ns, 'link', 'set', 'eth1', 'up');
    const t0 = Date.now();
    const status = await done;
    assert.is(status, 0, stderr);
    assert.ok(Date.now() - t0 < 5000, `exit ${Date.now() - t0} ms after the link came up`);
    const calls = new Map<string, number>();
    for (const line of fs.readFileSync(log, 'utf8').split('\n')) {
      const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
      if (m && m[2] !== 'total') calls.set(m[2]!, Number(m[1]));
    }
    const polls = (calls.get('poll') ?? 0) + (calls.get('ppoll') ?? 0);
    const summary = JSON.stringify(Object.fromEntries(calls));
    // ~2.5 s / POLL_TIMEOUT_MS re-arms, the wake-ups, and Node's own start-up poll()s.
    assert.ok(polls >= 3, `no poll(2) at all? ${summary}`);
    assert.ok(polls <= 30, `poll calls: ${polls} ${summary}`);
  } finally {
    fs.rmSync(log, { force: true });
  }
});

test.run();
