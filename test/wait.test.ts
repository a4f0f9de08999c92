// pipework --wait against the real kernel, in throwaway namespaces
// (pwwait-<pid>-*, one per test, IPv6 off so that nothing but our own changes
// produces link events). The CLI runs inside the namespace as a user would run
// it inside a container: `ip netns exec NS node bin/pipework --wait ...`; the
// library is driven with the namespace's fd. `ip` makes every change and is the
// independent view of the link's state.
//
// What is shown:
//   - a link already up: exit 0 at once (the first check saw it);
//   - a link that appears later: no exit while it is missing, down, or up
//     without carrier; exit 0 once it is up;
//   - the timeout: exit 1, one line naming the interface and its state;
//   - the race: a link that appears and comes up between the subscription and
//     the check is not missed, while the naive order (check, then subscribe),
//     written out here in the test, misses the same link;
//   - a link renamed into the name;
//   - ENOBUFS on the subscription: a re-check, not a failure, and not an exit;
//   - no polling: under strace a 2 s wait makes a handful of recv and epoll
//     calls, not one per tick;
//   - the socket is closed on every path (no fd left behind).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PipeworkError } from '../src/errors';
import { NetlinkError, NetlinkSocket, readHeader } from '../src/netlink';
import { RTM_NEWLINK, RTNLGRP_LINK, decodeLink, getLink, type Link } from '../src/rtnl';
import { sys, type Sys, type SysSocket } from '../src/sys';
import { isOperationallyUp, waitForLink, type WaitResult } from '../src/pipework/wait';
import { BIN, ROOT, assertDistFresh } from './helpers/cli';
import { NETNS_DIR, NetnsScope, ip, ipJson, nsExec } from './helpers/netns';
import { requireIf, requireRoot } from './helpers/skip';
import { have } from './helpers/strace';
import { wrapSocket } from './helpers/sys-wrap';

const maybe = requireRoot(test);
const isRoot = process.getuid?.() === 0;
const withStrace = requireIf(test, isRoot && have('strace', ['-V']), isRoot ? 'strace is not installed' : 'not running as root');

let scope: NetnsScope | undefined;
let counter = 0;

test.before(() => {
  if (process.getuid?.() !== 0) return;
  assertDistFresh();
  scope = new NetnsScope('pwwait'); // also deletes pwwait-* leftovers of processes that are gone
});

test.after(() => {
  scope?.cleanup();
});

// ---- helpers -----------------------------------------------------------------

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A fresh namespace for one test: lo up, IPv6 off. */
function freshNs(): string {
  const ns = scope!.create(`t${counter++}`);
  nsExec(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  return ns;
}

function openNs(ns: string): number {
  return fs.openSync(path.join(NETNS_DIR, ns), 'r');
}

interface Finished {
  status: number;
  stdout: string;
  stderr: string;
  errLines: string[];
}

interface Running {
  child: ChildProcess;
  exited: boolean;
  done: Promise<Finished>;
}

/** `ip netns exec ns node bin/pipework ...args`, not awaited: the test acts while it waits. */
function startCli(ns: string, args: string[], prefix: string[] = []): Running {
  const child = spawn('ip', ['netns', 'exec', ns, ...prefix, process.execPath, BIN, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Running = { child, exited: false, done: undefined as never };
  run.done = new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', (e) => {
      clearTimeout(guard);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      run.exited = true;
      resolve({ status: code ?? (signal ? 128 : 1), stdout, stderr, errLines: stderr.split('\n').filter((l) => l !== '') });
    });
  });
  return run;
}

function explain(r: Finished): string {
  return `exit ${r.status}, stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr)}`;
}

interface IpLink {
  ifname: string;
  flags: string[];
  operstate: string;
}

function ipLink(ns: string, name: string): IpLink | undefined {
  return ipJson<IpLink[]>(ns, 'link', 'show').find((l) => l.ifname === name);
}

/** Test-side oracle (polling is fine here): until `ip` shows the link UP with carrier, then a little longer. */
async function ipUntilUp(ns: string, name: string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    const l = ipLink(ns, name);
    if (l && l.operstate === 'UP' && l.flags.includes('LOWER_UP')) {
      await sleep(100); // let any trailing notification for it go out before we go on
      return;
    }
    await sleep(20);
  }
  throw new Error(`${name} in ${ns} never came up: ${JSON.stringify(ipLink(ns, name))}`);
}

/** A veth pair `a`/`b` in ns; both ends up unless told otherwise. */
function veth(ns: string, a: string, b: string, up: { a?: boolean; b?: boolean } = {}): void {
  ip(ns, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b);
  if (up.a ?? true) ip(ns, 'link', 'set', a, 'up');
  if (up.b ?? true) ip(ns, 'link', 'set', b, 'up');
}

async function assertStillWaiting(run: Running, ms: number, what: string): Promise<void> {
  await sleep(ms);
  if (run.exited) assert.unreachable(`the wait ended ${what}: ${explain(await run.done)}`);
}

function fdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

async function timeoutError(p: Promise<unknown>): Promise<PipeworkError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, PipeworkError);
    return e as PipeworkError;
  }
  return assert.unreachable('expected a TIMEOUT') as never;
}

// Tests that expect the wait to succeed bound it with an AbortSignal, not with
// timeoutMs: at its timeout waitForLink looks once more and succeeds if the link
// is up by then, which would hide a missed notification.

// ---- (a) already up ------------------------------------------------------------

maybe('CLI: a link already up: exit 0 at once, the first check saw it (JSON alreadyUp)', async () => {
  const ns = freshNs();
  veth(ns, 'eth1', 'peer1');
  await ipUntilUp(ns, 'eth1');
  const human = await startCli(ns, ['--wait', '--timeout', '5']).done;
  assert.is(human.status, 0, explain(human));
  assert.is(human.stdout, 'eth1 is up\n');
  assert.is(human.stderr, '');
  const json = await startCli(ns, ['--json', '--wait', '-i', 'eth1', '--timeout', '5']).done;
  assert.is(json.status, 0, explain(json));
  const j = JSON.parse(json.stdout);
  assert.equal(Object.keys(j).sort(), ['dryRun', 'ok', 'op', 'plan', 'result']);
  assert.is(j.ok, true);
  assert.is(j.op, 'wait');
  assert.is(j.result.name, 'eth1');
  assert.is(j.result.operstate, 'up');
  assert.is(j.result.alreadyUp, true);
  assert.is(typeof j.result.index, 'number');
});

maybe('CLI: lo counts as up with operstate UNKNOWN (IFF_UP and LOWER_UP, a driver without an operstate)', async () => {
  const ns = freshNs();
  assert.is(ipLink(ns, 'lo')?.operstate, 'UNKNOWN');
  const r = await startCli(ns, ['--json', '--wait', '-i', 'lo', '--timeout', '5']).done;
  assert.is(r.status, 0, explain(r));
  assert.is(JSON.parse(r.stdout).result.operstate, 'unknown');
});

maybe('library: Pipework.wait waits in the client\'s host namespace (hostNetns), default eth1', async () => {
  const ns = freshNs();
  const { Pipework } = await import('../src/index'); // loaded here: only this test depends on the whole API
  const pw = new Pipework({ hostNetns: ns });
  try {
    assert.is((await pw.wait({ guestIf: 'lo', timeoutMs: 5000 })).operstate, 'unknown');
    const e = await timeoutError(pw.wait({ timeoutMs: 100 }));
    assert.is(e.message, 'timed out after 0.1 s waiting for eth1 to be up (it does not exist)');
    await pw.wait({ guestIf: 'eth/1' }).then(
      () => assert.unreachable('eth/1'),
      (x: PipeworkError) => assert.is(x.code, 'USAGE'),
    );
  } finally {
    pw.close();
  }
});

// ---- (b) appears later ---------------------------------------------------------

maybe('CLI: a link that appears later: waits while it is missing, down, up without carrier; exits 0 once up', async () => {
  const ns = freshNs();
  const run = startCli(ns, ['--wait', '-i', 'eth1', '--timeout', '20']);
  await assertStillWaiting(run, 300, 'before eth1 existed');
  veth(ns, 'eth1', 'peer1', { a: false, b: false });
  await assertStillWaiting(run, 300, 'while eth1 existed but was down');
  ip(ns, 'link', 'set', 'eth1', 'up'); // no carrier: its peer is down
  assert.equal(ipLink(ns, 'eth1')?.flags.includes('NO-CARRIER'), true);
  await assertStillWaiting(run, 300, 'while eth1 was up without carrier');
  ip(ns, 'link', 'set', 'peer1', 'up');
  const r = await run.done;
  assert.is(r.status, 0, explain(r));
  assert.is(r.stdout, 'eth1 is up\n');
  assert.is(r.stderr, '');
  const l = ipLink(ns, 'eth1')!;
  assert.ok(l.flags.includes('LOWER_UP') && l.flags.includes('UP'), JSON.stringify(l));
});

maybe('CLI: without --timeout the wait has no end: still there after 1.5 s with nothing happening, then exits 0 on up', async () => {
  const ns = freshNs();
  const run = startCli(ns, ['--wait']);
  await assertStillWaiting(run, 1500, 'with no timeout and no link');
  veth(ns, 'eth1', 'peer1');
  const r = await run.done;
  assert.is(r.status, 0, explain(r));
  assert.is(r.stdout, 'eth1 is up\n');
});

maybe('library: resolves with the link that came up; alreadyUp false', async () => {
  const ns = freshNs();
  const fd = openNs(ns);
  try {
    const p = waitForLink('eth2', { nsFd: fd, signal: AbortSignal.timeout(10_000) });
    await sleep(100);
    veth(ns, 'eth2', 'peer2');
    const r = await p;
    assert.is(r.name, 'eth2');
    assert.is(r.alreadyUp, false);
    assert.is(r.operstate, 'up');
    assert.is(r.index, ipJson<Array<{ ifindex: number }>>(ns, 'link', 'show', 'eth2')[0]!.ifindex);
  } finally {
    fs.closeSync(fd);
  }
});

// ---- (c) timeout ---------------------------------------------------------------

maybe('CLI: timeout: exit 1, one line naming the interface and its state (missing, down, no carrier)', async () => {
  const ns = freshNs();
  const cases: Array<[string, () => void]> = [
    ['it does not exist', () => {}],
    ['it exists but is down', () => veth(ns, 'eth1', 'peer1', { a: false, b: false })],
    ['it is up but has no carrier', () => ip(ns, 'link', 'set', 'eth1', 'up')],
  ];
  for (const [state, setup] of cases) {
    setup();
    const r = await startCli(ns, ['--wait', '--timeout', '0.5']).done;
    assert.is(r.status, 1, explain(r));
    assert.is(r.stdout, '');
    assert.equal(r.errLines, [`pipework: timed out after 0.5 s waiting for eth1 to be up (${state})`], explain(r));
  }
  const j = await startCli(ns, ['--wait', '--json', '-i', 'eth9', '--timeout', '0.2']).done;
  assert.is(j.status, 1, explain(j));
  const out = JSON.parse(j.stdout);
  assert.is(out.ok, false);
  assert.is(out.error.code, 'TIMEOUT');
  assert.is(out.error.message, 'timed out after 0.2 s waiting for eth9 to be up (it does not exist)');
});

maybe('timeout message tells the state at the deadline: renamed away while waiting is "does not exist"', async () => {
  const ns = freshNs();
  veth(ns, 'eth1', 'peer1', { a: false });
  const fd = openNs(ns);
  try {
    const p = waitForLink('eth1', { nsFd: fd, timeoutMs: 800 });
    await sleep(200);
    ip(ns, 'link', 'set', 'eth1', 'name', 'gone1');
    const e = await timeoutError(p);
    assert.is(e.code, 'TIMEOUT');
    assert.is(e.message, 'timed out after 0.8 s waiting for eth1 to be up (it does not exist)');
  } finally {
    fs.closeSync(fd);
  }
});

// ---- (d) the race ----------------------------------------------------------------

/**
 * The order this implementation does NOT use, written out for the control:
 * check with a GETLINK, then (after `window`) subscribe and wait for a
 * notification. Returns 'up' or 'missed' (nothing within `patienceMs`).
 */
async function naiveWait(nsFd: number, name: string, window: () => Promise<void>, patienceMs: number): Promise<'up' | 'missed'> {
  const check = new NetlinkSocket({ nsFd });
  let l: Link | undefined;
  try {
    const [reply] = await check.request(getLink({ name }));
    l = reply ? decodeLink(reply) : undefined;
  } catch (e) {
    if (!(e instanceof NetlinkError && e.code === 'ENODEV')) throw e;
  } finally {
    check.close();
  }
  if (l && isOperationallyUp(l)) return 'up';
  await window();
  const sub = new NetlinkSocket({ nsFd });
  try {
    return await new Promise<'up' | 'missed'>((resolve) => {
      const timer = setTimeout(() => resolve('missed'), patienceMs);
      sub.subscribe([RTNLGRP_LINK], (msg) => {
        if (readHeader(msg).type !== RTM_NEWLINK) return;
        const n = decodeLink(msg);
        if (n.name === name && isOperationallyUp(n)) {
          clearTimeout(timer);
          resolve('up');
        }
      });
    });
  } finally {
    sub.close();
  }
}

maybe('race: a link that appears and comes up between subscription and check is not missed; the naive order misses it', async () => {
  // Control: check, then the link appears and comes up, then subscribe. Nothing
  // more happens to the link, so no notification ever tells the late subscriber.
  const nsA = freshNs();
  const fdA = openNs(nsA);
  try {
    const verdict = await naiveWait(
      fdA,
      'eth1',
      async () => {
        veth(nsA, 'eth1', 'peer1');
        await ipUntilUp(nsA, 'eth1');
      },
      700,
    );
    assert.is(verdict, 'missed', 'the naive order should have missed the link');
  } finally {
    fs.closeSync(fdA);
  }

  // waitForLink, with the same change made in its window (after the
  // subscription, before the GETLINK).
  const nsB = freshNs();
  const fdB = openNs(nsB);
  try {
    let window: Promise<void> | undefined;
    const r: WaitResult = await waitForLink('eth1', {
      nsFd: fdB,
      signal: AbortSignal.timeout(5000),
      afterSubscribe: () =>
        (window = (async () => {
          assert.is(ipLink(nsB, 'eth1'), undefined);
          veth(nsB, 'eth1', 'peer1');
          await ipUntilUp(nsB, 'eth1');
        })()),
    });
    // It may resolve from a notification while the window is still open (the
    // window yields to the event loop); either way it did not time out.
    assert.ok(window, 'the window never ran');
    await window;
    assert.is(r.name, 'eth1');
    assert.is(r.alreadyUp, false, 'seen through the subscription, before the check');

    // The same with a window that never yields (the event loop blocked while the
    // link appears and comes up): the GETLINK goes out with every notification
    // already queued; the wait still ends.
    ip(nsB, 'link', 'del', 'eth1');
    const r2 = await waitForLink('eth1', {
      nsFd: fdB,
      signal: AbortSignal.timeout(5000),
      afterSubscribe: () => {
        veth(nsB, 'eth1', 'peer1');
        const until = Date.now() + 300;
        while (Date.now() < until && ipLink(nsB, 'eth1')?.operstate !== 'UP') {
          // spawnSync only: nothing else runs meanwhile
        }
      },
    });
    assert.is(r2.name, 'eth1');
  } finally {
    fs.closeSync(fdB);
  }

  // And the mirror case: the link appears (down) in the window, so the check
  // sees it down; it comes up later and only a notification can say so.
  const nsC = freshNs();
  const fdC = openNs(nsC);
  try {
    const p = waitForLink('eth1', {
      nsFd: fdC,
      signal: AbortSignal.timeout(5000),
      afterSubscribe: () => veth(nsC, 'eth1', 'peer1', { a: false, b: false }),
    });
    await sleep(200);
    ip(nsC, 'link', 'set', 'eth1', 'up');
    ip(nsC, 'link', 'set', 'peer1', 'up');
    const r = await p;
    assert.is(r.alreadyUp, false);
  } finally {
    fs.closeSync(fdC);
  }
});

// ---- (e) renamed into the name -------------------------------------------------

maybe('CLI: a link renamed into the name (already up, with carrier) ends the wait', async () => {
  const ns = freshNs();
  veth(ns, 'tmpa', 'tmpb');
  await ipUntilUp(ns, 'tmpa');
  const run = startCli(ns, ['--wait', '-i', 'eth1', '--timeout', '20']);
  await assertStillWaiting(run, 400, 'before anything was named eth1');
  // Kernels before 6.x refuse to rename a running device (EBUSY): then down, rename, up.
  const live = spawnSync('ip', ['-n', ns, 'link', 'set', 'tmpa', 'name', 'eth1'], { encoding: 'utf8' });
  if (live.status !== 0) {
    ip(ns, 'link', 'set', 'tmpa', 'down');
    ip(ns, 'link', 'set', 'tmpa', 'name', 'eth1');
    await assertStillWaiting(run, 300, 'when eth1 appeared down');
    ip(ns, 'link', 'set', 'eth1', 'up');
  }
  const r = await run.done;
  assert.is(r.status, 0, explain(r));
  assert.is(r.stdout, 'eth1 is up\n');
});

maybe('library: a down link renamed into the name does not end the wait; bringing it up does', async () => {
  const ns = freshNs();
  veth(ns, 'tmpa', 'tmpb', { a: false });
  const fd = openNs(ns);
  try {
    let settled = false;
    const p = waitForLink('eth3', { nsFd: fd, signal: AbortSignal.timeout(10_000) }).finally(() => (settled = true));
    await sleep(150);
    ip(ns, 'link', 'set', 'tmpa', 'name', 'eth3');
    await sleep(300);
    assert.is(settled, false, 'resolved while eth3 was down');
    ip(ns, 'link', 'set', 'eth3', 'up');
    const r = await p;
    assert.is(r.name, 'eth3');
    assert.is(r.alreadyUp, false);
  } finally {
    fs.closeSync(fd);
  }
});

// ---- ENOBUFS --------------------------------------------------------------------

/**
 * A Sys whose netlink sockets, once `armed`, lose every notification (seq 0):
 * each is read and thrown away and the recv fails with ENOBUFS, as after a
 * receive-queue overflow. Replies to our requests still arrive.
 */
class LossyTap {
  armed = false;
  dropped = 0;
  enobufs = 0;
  getlinks = 0;
  readonly sys: Sys = {
    name: 'lossy',
    openPacket: (ifindex, ethertype, nsFd) => sys().openPacket(ifindex, ethertype, nsFd),
    openFile: (path, flags, nsFd) => sys().openFile(path, flags, nsFd),
    openNetlink: (protocol, nsFd) => this.wrap(sys().openNetlink(protocol, nsFd)),
  };

  private wrap(real: SysSocket): SysSocket {
    return wrapSocket(real, {
      send: (buf) => {
        if (Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).readUInt16LE(4) === 18 /* RTM_GETLINK */) this.getlinks++;
        return real.send(buf);
      },
      recv: (buf) => {
        const n = real.recv(buf);
        if (n < 0 || !this.armed) return n;
        if (Buffer.from(buf.buffer, buf.byteOffset, n).readUInt32LE(8) !== 0) return n;
        this.dropped++;
        this.enobufs++;
        throw Object.assign(new Error('recv: ENOBUFS: No buffer space available'), { code: 'ENOBUFS', errno: -105, syscall: 'recv' });
      },
    });
  }
}

maybe('ENOBUFS: every notification lost, the wait re-checks with GETLINK and still sees the link come up', async () => {
  const ns = freshNs();
  const fd = openNs(ns);
  const tap = new LossyTap();
  try {
    const p = waitForLink('eth1', { nsFd: fd, signal: AbortSignal.timeout(10_000), sys: tap.sys });
    await sleep(100);
    assert.is(tap.getlinks, 1);
    tap.armed = true;
    veth(ns, 'eth1', 'peer1'); // spawnSync: every notification is queued before we read any
    const r = await p;
    assert.is(r.name, 'eth1');
    assert.ok(tap.enobufs >= 1, `enobufs ${tap.enobufs}`);
    assert.ok(tap.getlinks >= 2, `only ${tap.getlinks} GETLINK: no re-check`);
  } finally {
    fs.closeSync(fd);
  }
});

maybe('ENOBUFS with no timeout: the process keeps waiting (the subscription keeps the event loop alive)', async () => {
  const ns = freshNs();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test', 'helpers', 'wait-child.ts'), path.join(NETNS_DIR, ns), 'eth1'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let exited: number | null | undefined;
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const closed = new Promise<void>((r) => child.on('close', (code) => ((exited = code), r())));
  try {
    for (let i = 0; i < 200 && !out.includes('enobufs') && exited === undefined; i++) await sleep(25);
    assert.ok(out.includes('enobufs'), `child: ${out} ${err}`);
    await sleep(1000);
    assert.is(exited, undefined, `the child exited (${exited}) after ENOBUFS: ${out} ${err}`);
    veth(ns, 'eth1', 'peer1');
    await Promise.race([closed, sleep(10_000)]);
    assert.is(exited, 0, `${out} ${err}`);
    assert.is(out, 'enobufs\nup eth1\n');
  } finally {
    if (exited === undefined) child.kill('SIGKILL');
  }
});

// ---- abort, errors, and the socket closed on every path ----------------------------

maybe('the socket is closed on every path: up, timeout, abort, kernel error', async () => {
  const ns = freshNs();
  const fd = openNs(ns);
  try {
    await waitForLink('lo', { nsFd: fd, timeoutMs: 1000 }); // warm up whatever is opened once
    const before = fdCount();

    await waitForLink('lo', { nsFd: fd });
    assert.is(fdCount(), before, 'after success');

    assert.is((await timeoutError(waitForLink('eth7', { nsFd: fd, timeoutMs: 50 }))).code, 'TIMEOUT');
    assert.is(fdCount(), before, 'after a timeout');

    const ac = new AbortController();
    const p = waitForLink('eth7', { nsFd: fd, signal: ac.signal });
    await sleep(50);
    ac.abort();
    try {
      await p;
      assert.unreachable('abort should reject');
    } catch (e) {
      assert.is((e as Error).name, 'AbortError');
    }
    assert.is(fdCount(), before, 'after an abort');

    // A file that is not a namespace: setns fails, the wait rejects with KERNEL.
    const notNs = fs.openSync(os.devNull, 'r');
    try {
      const e = await waitForLink('eth1', { nsFd: notNs, timeoutMs: 1000 }).then(
        () => assert.unreachable('expected an error') as never,
        (x: unknown) => x as PipeworkError,
      );
      assert.instance(e, PipeworkError);
      assert.is(e.code, 'KERNEL');
    } finally {
      fs.closeSync(notNs);
    }
    assert.is(fdCount(), before, 'after a kernel error');

    // An already aborted signal, an invalid name and a bad timeout reject before any socket.
    await waitForLink('eth1', { signal: AbortSignal.abort() }).then(
      () => assert.unreachable('aborted'),
      (e: Error) => assert.is(e.name, 'AbortError'),
    );
    for (const [name, t] of [['eth/1', 1000], ['eth1', 0], ['eth1', -5], ['eth1', Number.NaN]] as const) {
      await waitForLink(name, { timeoutMs: t }).then(
        () => assert.unreachable(`${name} ${t}`),
        (e: PipeworkError) => assert.is(e.code, 'USAGE'),
      );
    }
    assert.is(fdCount(), before, 'after refusals');
  } finally {
    fs.closeSync(fd);
  }
});

// ---- (f) no polling ------------------------------------------------------------------

withStrace('no polling: a 2 s wait under strace makes a handful of recv and epoll calls', async () => {
  const ns = freshNs();
  const log = path.join(os.tmpdir(), `pwwait-${process.pid}-strace.txt`);
  try {
    const r = await startCli(ns, ['--wait', '-i', 'eth1', '--timeout', '2'], [
      'strace', '-f', '-c', '-o', log, '-e', 'trace=recvfrom,recvmsg,epoll_wait,epoll_pwait,epoll_pwait2,poll,ppoll,select,pselect6,nanosleep,clock_nanosleep',
    ]).done;
    assert.is(r.status, 1, explain(r));
    assert.match(r.stderr, 'timed out after 2 s waiting for eth1 to be up (it does not exist)');
    const calls = new Map<string, number>();
    for (const line of fs.readFileSync(log, 'utf8').split('\n')) {
      // % time  seconds  usecs/call  calls  [errors]  syscall
      const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
      if (m && m[2] !== 'total') calls.set(m[2]!, Number(m[1]));
    }
    const sum = (names: string[]) => names.reduce((s, n) => s + (calls.get(n) ?? 0), 0);
    const recvs = sum(['recvfrom', 'recvmsg']);
    const waits = sum(['epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'poll', 'ppoll', 'select', 'pselect6']);
    const sleeps = sum(['nanosleep', 'clock_nanosleep']);
    const summary = JSON.stringify(Object.fromEntries(calls));
    assert.ok(recvs > 0, `no recv at all? ${summary}`);
    assert.ok(recvs < 50, `recv calls: ${recvs} ${summary}`);
    assert.ok(waits < 50, `epoll/poll calls: ${waits} ${summary}`);
    assert.ok(sleeps < 10, `sleep calls: ${sleeps} ${summary}`);
  } finally {
    fs.rmSync(log, { force: true });
  }
});

test.run();
