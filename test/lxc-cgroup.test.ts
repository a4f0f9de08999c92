// Finding an LXC container's init through its cgroup, in each layout LXC has
// used, with real processes in real cgroups this test makes: a cgroup2 mount
// (the v2 tree: lxc.payload.NAME, LXC 4+ on a unified or hybrid host) and a
// named v1 hierarchy (lxc/NAME of LXC 1.x-3.0, lxc.payload/NAME of LXC 3.1-3.2;
// the layouts are the same in every v1 controller, and a named hierarchy is
// the one v1 hierarchy a test can mount afresh without taking a controller
// from the host). No LXC here: test/lxc.test.ts has the real containers.
// The oracle for "the right process" is the process the test put there, and
// for "its namespace" the inode of /proc/PID/ns/net read by stat.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PipeworkError } from '../src/errors';
import { resolveGuest, type Guest } from '../src/netns';
import { cgroupMounts } from '../src/netns/lxc';
import { describeMark, formatMark, parseMark } from '../src/pipework/mark';
import { cleanupCgroups, dropNamedHierarchy, namedHierarchies, removeCgroup } from './helpers/lxc';
import { run, uniquePrefix } from './helpers/netns';
import { requireIf, requireRoot } from './helpers/skip';

// Not 'pwlxc': lxc.test.ts may run in this same process, and its cleanup must not take these, nor these its.
const TAG = 'pwlxcg';
const P = uniquePrefix(TAG); // pwlxcg-<pid>-
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const maybeRoot = requireRoot(test);

const children: ChildProcess[] = [];
const guests: Guest[] = [];
const made: string[] = []; // cgroups, removed deepest first
const mounts: string[] = [];

/** Mounts fstype at a fresh directory: the directory, or why it could not. */
function mountAt(label: string, fstype: string, options: string[]): { dir: string; why: string } {
  const dir = fs.mkdtempSync(`/tmp/${P}${label}-`);
  const r = run('mount', ['-t', fstype, ...options, `${P}${label}`, dir]);
  if (r.status !== 0) {
    fs.rmdirSync(dir);
    return { dir: '', why: `mount -t ${fstype} ${options.join(' ')} failed: ${r.stderr.trim() || `exit ${r.status}`}` };
  }
  mounts.push(dir);
  return { dir, why: '' };
}

// Made at load time, so that each group of tests can say why it skips.
if (root) cleanupCgroups(TAG);
const v2 = root ? mountAt('v2', 'cgroup2', []) : { dir: '', why: 'not running as root' };
const v1 = root ? mountAt('v1', 'cgroup', ['-o', `none,name=${P}v1`]) : { dir: '', why: 'not running as root' };
const maybeV2 = requireIf(test, v2.why === '', `no cgroup2 tree of our own (${v2.why})`);
const maybeV1 = requireIf(test, v1.why === '', `no v1 hierarchy of our own (${v1.why})`);

function cgroup(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  made.push(dir);
  return dir;
}

function place(dir: string, pid: number): void {
  fs.writeFileSync(`${dir}/cgroup.procs`, String(pid));
}

const netIno = (pid: number) => fs.statSync(`/proc/${pid}/ns/net`).ino;
const selfIno = netIno(process.pid);

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting until ${what}`);
}

function track(child: ChildProcess): ChildProcess & { pid: number } {
  if (child.pid === undefined) throw new Error('could not start a process');
  children.push(child);
  return child as ChildProcess & { pid: number };
}

/** A container-like init: PID 1 of its own PID namespace, in its own network namespace. Its host PID. */
async function nsInit(): Promise<number> {
  const u = track(spawn('unshare', ['--net', '--pid', '--fork', 'sleep', '600'], { stdio: 'ignore' }));
  let pid = 0;
  await until('unshare forked its init', () => {
    const kids = (fs.readFileSync(`/proc/${u.pid}/task/${u.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean));
    pid = Number(kids[0] ?? 0);
    return pid > 0 && fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep';
  });
  return pid;
}

/** A process alone in a network namespace, in ours PID namespace (a container sharing the host's). */
async function netOnly(): Promise<number> {
  const c = track(spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' }));
  await until(`${c.pid} has its own namespace`, () => netIno(c.pid) !== selfIno && fs.readFileSync(`/proc/${c.pid}/comm`, 'utf8').trim() === 'sleep');
  return c.pid;
}

/** A process in our namespaces whose parent (this test) is outside the cgroup: what lxc-attach leaves there. */
async function plain(): Promise<number> {
  const c = track(spawn('sleep', ['600'], { stdio: 'ignore' }));
  await until(`${c.pid} runs sleep`, () => fs.readFileSync(`/proc/${c.pid}/comm`, 'utf8').trim() === 'sleep');
  return c.pid;
}

async function resolves(spec: string, pid: number): Promise<Guest> {
  const g = await resolveGuest(spec);
  guests.push(g);
  assert.is(g.kind, 'lxc', spec);
  assert.is(g.pid, pid, `${spec}: the init`);
  assert.is(fs.fstatSync(g.nsFd).ino, netIno(pid), `${spec}: the init's network namespace`);
  assert.ok(g.isCurrent());
  return g;
}

async function rejects(spec: string, code: string, re: RegExp): Promise<void> {
  try {
    const g = await resolveGuest(spec);
    guests.push(g);
    assert.unreachable(`${spec} resolved to ${g.kind} ${g.name} (PID ${g.pid})`);
  } catch (e) {
    if (e instanceof assert.Assertion) throw e;
    assert.instance(e, PipeworkError);
    assert.is((e as PipeworkError).code, code, (e as Error).message);
    assert.match((e as Error).message, re);
  }
}

test.after(() => {
  for (const g of guests) g.close();
  for (const c of children) c.kill('SIGKILL');
  for (const dir of made.reverse()) removeCgroup(dir);
  // And in our own v1 hierarchy, the parents mkdir -p made (lxc/, lxc.payload/): it outlives its mount while
  // it has a cgroup. Only there: the v2 tree is the host's, where other LXC containers live.
  if (v1.dir) for (const e of fs.readdirSync(v1.dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroup(`${v1.dir}/${e.name}`);
  for (const dir of mounts) {
    run('umount', [dir]);
    fs.rmdirSync(dir);
  }
  // Removed cgroups may still be dying at that unmount, which then keeps the (empty) hierarchy, and
  // their release can take seconds: one more try here; the next run's cleanupCgroups lets go of what is left.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  if (namedHierarchies().includes(`${P}v1`)) dropNamedHierarchy(`${P}v1`, TAG);
});

test('mountinfo: v1 controllers and the v2 tree, escaped mount points, one entry per hierarchy', () => {
  const info = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct',
    '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,release_agent=/x,name=systemd',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate',
    '42 31 0:38 / /tmp/my\\040tree rw,relatime - cgroup2 none rw',
    '43 31 0:38 /lxc.payload.web1 /mnt/sub rw,relatime - cgroup2 none rw',
  ].join('\n');
  assert.equal(cgroupMounts(info), [
    { dir: '/sys/fs/cgroup/cpu,cpuacct', root: '/', version: 1, controllers: ['cpu', 'cpuacct'] },
    { dir: '/sys/fs/cgroup/systemd', root: '/', version: 1, controllers: ['xattr', 'name=systemd'] },
    { dir: '/sys/fs/cgroup/unified', root: '/', version: 2, controllers: [] },
    { dir: '/mnt/sub', root: '/lxc.payload.web1', version: 2, controllers: [] },
  ]);
});

test('marks: an LXC guest is recorded by its name, and reads back as LXC container NAME', () => {
  const m = parseMark('pipework:2:bridge:lxc:web1:eth1');
  assert.equal(m, { hostKind: 'bridge', kind: 'lxc', id: 'web1', ifname: 'eth1' });
  assert.is(formatMark(m!), 'pipework:2:bridge:lxc:web1:eth1');
  assert.is(describeMark(m!), 'LXC container web1');
  assert.is(parseMark('pipework:2:bridge:lxd:web1:eth1'), undefined);
});

maybeV2('v2 lxc.payload.NAME: the PID 1 of a PID namespace is the init, not an older process lxc-attach-like beside it', async () => {
  const name = `${P}a`;
  const dir = cgroup(`${v2.dir}/lxc.payload.${name}`);
  const attached = await plain(); // started first: the oldest is not what decides
  const init = await nsInit();
  place(dir, attached);
  place(dir, init);
  const g = await resolves(`lxc:${name}`, init);
  assert.is.not(fs.fstatSync(g.nsFd).ino, selfIno);
  // Unprefixed: no Docker container has this name; LXC comes next.
  await resolves(name, init);
});

maybeV2('v2: the init in a cgroup below lxc.payload.NAME (a systemd guest keeps none in the top one)', async () => {
  const name = `${P}b`;
  const top = cgroup(`${v2.dir}/lxc.payload.${name}`);
  const init = await nsInit();
  place(cgroup(`${top}/init.scope`), init);
  assert.is(fs.readFileSync(`${top}/cgroup.procs`, 'utf8'), '');
  await resolves(`lxc:${name}`, init);
});

/** A nested container's init: PID 1 of a PID namespace inside another one. Its host PID. */
async function nestedInit(): Promise<number> {
  const u = track(spawn('unshare', ['--pid', '--fork', 'unshare', '--net', '--pid', '--fork', 'sleep', '600'], { stdio: 'ignore' }));
  let pid = 0;
  await until('the inner unshare forked its init', () => {
    const status = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => {
      try {
        return { pid: Number(d), text: fs.readFileSync(`/proc/${d}/status`, 'utf8') };
      } catch {
        return { pid: 0, text: '' };
      }
    });
    // The sleep whose ancestry leads to u: NSpid has three levels, the last 1.
    const mine = status.find((s) => /^Name:\s+sleep$/m.test(s.text) && /^NSpid:\s+\d+\s+\d+\s+1$/m.test(s.text) && ancestors(s.pid).includes(u.pid));
    pid = mine?.pid ?? 0;
    return pid > 0;
  });
  return pid;
}

function ancestors(pid: number): number[] {
  const out: number[] = [];
  for (let p = pid, i = 0; p > 1 && i < 10; i++) {
    const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
    p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    out.push(p);
  }
  return out;
}

maybeV2('v2: a nested container\'s init (PID 1 one namespace deeper), even an older one, is not the init', async () => {
  const name = `${P}n`;
  const dir = cgroup(`${v2.dir}/lxc.payload.${name}`);
  const nested = await nestedInit(); // older than the outer init below
  const init = await nsInit();
  place(dir, nested);
  place(dir, init);
  await resolves(`lxc:${name}`, init);
});

maybeV2('v2: lxc.monitor.NAME is never taken (lxc-start\'s monitor lives in the host\'s namespaces)', async () => {
  const name = `${P}c`;
  place(cgroup(`${v2.dir}/lxc.monitor.${name}`), await nsInit());
  await rejects(`lxc:${name}`, 'GUEST_NOT_FOUND', new RegExp(`^no running LXC container named ${name} \\(`));
  await rejects(name, 'GUEST_NOT_FOUND', new RegExp(`^no container, network namespace or process named ${name}$`));
  // With its payload beside it, the payload's init.
  const init = await nsInit();
  place(cgroup(`${v2.dir}/lxc.payload.${name}`), init);
  await resolves(`lxc:${name}`, init);
});

maybeV2('v2: no process is PID 1 of its own PID namespace: the oldest whose parent is outside', async () => {
  const name = `${P}d`;
  const dir = cgroup(`${v2.dir}/lxc.payload.${name}`);
  const first = await netOnly();
  const second = await netOnly();
  place(dir, second);
  place(dir, first);
  await resolves(`lxc:${name}`, first);
});

maybeV2('v2: an empty cgroup is no running container; the init killed: not found, and the guest held is no longer current', async () => {
  const name = `${P}e`;
  const dir = cgroup(`${v2.dir}/lxc.payload.${name}`);
  await rejects(`lxc:${name}`, 'GUEST_NOT_FOUND', /no running LXC container/);
  const init = await nsInit();
  place(dir, init);
  const g = await resolves(`lxc:${name}`, init);
  process.kill(init, 'SIGKILL');
  await until('the init is gone from the cgroup', () => fs.readFileSync(`${dir}/cgroup.procs`, 'utf8') === '');
  assert.not.ok(g.isCurrent());
  await rejects(`lxc:${name}`, 'GUEST_NOT_FOUND', /no running LXC container/);
});

maybeRoot('lxc: names nothing, or a path: USAGE / GUEST_NOT_FOUND', async () => {
  await rejects('lxc:', 'USAGE', /names nothing after "lxc:"/);
  await rejects('lxc:a/b', 'GUEST_NOT_FOUND', /^no running LXC container named a\/b/);
  await rejects('lxc:..', 'GUEST_NOT_FOUND', /^no running LXC container named \.\./);
});

maybeV1('v1 lxc/NAME (LXC 1.x-3.0) and lxc.payload/NAME (LXC 3.1-3.2); lxc.monitor/NAME not taken', async () => {
  const legacy = `${P}f`;
  const mid = `${P}g`;
  const initF = await nsInit();
  const initG = await nsInit();
  place(cgroup(`${v1.dir}/lxc/${legacy}`), initF);
  place(cgroup(`${v1.dir}/lxc.monitor/${mid}`), await plain());
  await rejects(`lxc:${mid}`, 'GUEST_NOT_FOUND', /no running LXC container/);
  place(cgroup(`${v1.dir}/lxc.payload/${mid}`), initG);
  await resolves(`lxc:${legacy}`, initF);
  await resolves(`lxc:${mid}`, initG);
  await resolves(legacy, initF);
});

maybeV1('one name, two inits in two hierarchies: USAGE, naming both', async () => {
  if (!v2.dir) return;
  const name = `${P}h`;
  const a = await nsInit();
  const b = await nsInit();
  place(cgroup(`${v1.dir}/lxc/${name}`), a);
  place(cgroup(`${v2.dir}/lxc.payload.${name}`), b);
  await rejects(`lxc:${name}`, 'USAGE', new RegExp(`^LXC container ${name} is ambiguous: .*PID (${a}|${b}) in .*PID (${a}|${b}) in .*name one with pid:N$`));
});

test.run();
