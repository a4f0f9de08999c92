// Guest resolution against a real Docker engine and real namespaces. A few
// behaviours a real engine will not show on demand (PID 0 while running, a PID
// that changes between two inspects, an ambiguous id prefix answered for a
// digit string) are driven by a scripted engine on a unix socket of our own.

import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PipeworkError } from '../src/errors';
import { Guest, openNamespace, resolveGuest } from '../src/netns';
import { assertDistFresh, explain, pipework } from './helpers/cli';
import { cleanupContainers, containerPid, createContainer, docker, dockerAvailable, ensureBusyboxImage, removeContainer, runContainer } from './helpers/docker';
import { NetnsScope, netnsInode, startSleeper, uniquePrefix } from './helpers/netns';
import { requireDocker, requireRoot } from './helpers/skip';

const TAG = 'pwnetns';
const P = uniquePrefix(TAG); // pwnetns-<pid>-
const WEB = `${P}web`;
const STOPPED = `${P}stopped`;
const hostIno = fs.statSync('/proc/self/ns/net').ino;

const maybeDocker = requireDocker(test);
const maybeRoot = requireRoot(test);

let scope: NetnsScope;
let red = ''; // a named netns
let sleeper: Awaited<ReturnType<typeof startSleeper>> | undefined; // a process inside red
let webId = '';
let tmp = '';
const guests: Guest[] = [];

function keep(g: Guest): Guest {
  guests.push(g);
  return g;
}

function fdIno(fd: number): number {
  return fs.fstatSync(fd).ino;
}

async function rejects(p: Promise<unknown>, code: string, text?: RegExp): Promise<PipeworkError> {
  try {
    const g = await p;
    if (g && typeof (g as Guest).close === 'function') (g as Guest).close();
  } catch (e) {
    assert.instance(e, PipeworkError, `expected a PipeworkError, got ${String(e)}`);
    const pe = e as PipeworkError;
    assert.is(pe.code, code, `code of "${pe.message}"`);
    if (text) assert.match(pe.message, text);
    return pe;
  }
  assert.unreachable(`expected ${code}, but it resolved`);
  throw new Error('unreachable');
}

test.before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), P));
  if (process.getuid?.() !== 0) return;
  scope = new NetnsScope(TAG);
  red = scope.create('red');
  sleeper = await startSleeper(red);
  if (dockerAvailable) {
    cleanupContainers(TAG);
    ensureBusyboxImage();
    webId = runContainer(WEB).id;
    createContainer(STOPPED);
  }
});

test.after(() => {
  for (const g of guests) g.close();
  sleeper?.kill('SIGKILL');
  if (dockerAvailable) {
    removeContainer(WEB);
    removeContainer(STOPPED);
    cleanupContainers(TAG, true);
  }
  scope?.cleanup();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// ---- Docker, the real engine ----

maybeDocker('unprefixed container name: its namespace, full id, name and PID', async () => {
  const g = keep(await resolveGuest(WEB));
  const pid = containerPid(WEB);
  assert.is(g.kind, 'docker');
  assert.is(g.spec, WEB);
  assert.is(g.name, WEB);
  assert.is(g.id, webId);
  assert.match(g.id ?? '', /^[0-9a-f]{64}$/);
  assert.is(g.pid, pid);
  assert.is(fdIno(g.nsFd), fs.statSync(`/proc/${pid}/ns/net`).ino);
  assert.is.not(fdIno(g.nsFd), hostIno, 'a --net none container has its own namespace');
});

maybeDocker('docker: prefix, full id and id prefix', async () => {
  const want = fs.statSync(`/proc/${containerPid(WEB)}/ns/net`).ino;
  for (const spec of [`docker:${WEB}`, webId, `docker:${webId}`, `docker:${webId.slice(0, 12)}`, `/${WEB}`]) {
    const g = keep(await resolveGuest(spec));
    assert.is(g.kind, 'docker', spec);
    assert.is(g.name, WEB, spec);
    assert.is(g.id, webId, spec);
    assert.is(g.spec, spec);
    assert.is(fdIno(g.nsFd), want, spec);
  }
});

maybeDocker('a created, never started container is GUEST_NOT_RUNNING', async () => {
  await rejects(resolveGuest(STOPPED), 'GUEST_NOT_RUNNING', new RegExp(`^container ${STOPPED} is not running$`));
  await rejects(resolveGuest(`docker:${STOPPED}`), 'GUEST_NOT_RUNNING', /is not running/);
});

maybeDocker('a killed container is GUEST_NOT_RUNNING', async () => {
  const name = `${P}killed`;
  runContainer(name);
  try {
    const g = await resolveGuest(name);
    g.close();
    assert.is(g.kind, 'docker');
    docker('kill', name);
    docker('wait', name);
    await rejects(resolveGuest(name), 'GUEST_NOT_RUNNING', new RegExp(`container ${name} is not running`));
  } finally {
    removeContainer(name);
  }
});

maybeDocker('unknown names are GUEST_NOT_FOUND, naming the guest', async () => {
  const ghost = `${P}ghost`;
  await rejects(resolveGuest(ghost), 'GUEST_NOT_FOUND', new RegExp(`^no container, network namespace or process named ${ghost}$`));
  await rejects(resolveGuest(`docker:${ghost}`), 'GUEST_NOT_FOUND', new RegExp(`^no container named ${ghost}$`));
  await rejects(resolveGuest('docker:not/a/name'), 'GUEST_NOT_FOUND', /no container named not\/a\/name/);
});

// ---- Docker not there ----

test('docker: with DOCKER_HOST at a missing socket is DOCKER_UNREACHABLE naming the socket', async () => {
  const sock = path.join(tmp, 'missing.sock');
  await rejects(resolveGuest(`docker:${WEB}`, { dockerHost: `unix://${sock}` }), 'DOCKER_UNREACHABLE', new RegExp(`^Docker is not reachable at ${sock}: no such socket$`));
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = `unix://${sock}`;
  try {
    const e = await rejects(resolveGuest(`docker:${WEB}`), 'DOCKER_UNREACHABLE', new RegExp(sock));
    assert.is(e.errno, 'ENOENT');
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
});

test('DOCKER_HOST other than unix:// is USAGE', async () => {
  await rejects(resolveGuest('docker:web1', { dockerHost: 'tcp://127.0.0.1:2375' }), 'USAGE', /only a local socket/);
});

maybeRoot('unprefixed falls through to netns and PID when no engine answers', async () => {
  const missing = `unix://${path.join(tmp, 'missing.sock')}`;
  const g = keep(await resolveGuest(red, { dockerHost: missing }));
  assert.is(g.kind, 'netns');
  assert.is(fdIno(g.nsFd), netnsInode(red));
  const pid = sleeper!.pid;
  const gp = keep(await resolveGuest(String(pid), { dockerHost: missing }));
  assert.is(gp.kind, 'pid');
  assert.is(fdIno(gp.nsFd), netnsInode(red));
  // A file that is not a socket: connection refused, also "no engine".
  const notSock = path.join(tmp, 'not-a-socket');
  fs.writeFileSync(notSock, '');
  const g2 = keep(await resolveGuest(red, { dockerHost: `unix://${notSock}` }));
  assert.is(g2.kind, 'netns');
  await rejects(resolveGuest(`${P}ghost`, { dockerHost: missing }), 'DOCKER_UNREACHABLE', /^no network namespace or process named \S+, and Docker is not reachable at/);
  await rejects(resolveGuest(`docker:${red}`, { dockerHost: `unix://${notSock}` }), 'DOCKER_UNREACHABLE', new RegExp(notSock));
});

/** A unix socket file with nobody listening: connect() gets ECONNREFUSED, as from an engine that died. */
async function staleSocket(file: string): Promise<string> {
  // node:net unlinks its socket file on close; a second link to the inode outlives it.
  const live = `${file}.live`;
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(live, resolve));
  fs.linkSync(live, file);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(fs.statSync(file).isSocket());
  return file;
}

test('unprefixed, Docker not askable, and no netns or process by that name: DOCKER_UNREACHABLE naming the socket and errno', async () => {
  const missing = path.join(tmp, 'nonexistent.sock');
  const refusing = await staleSocket(path.join(tmp, 'refusing.sock'));
  for (const [sock, errno] of [
    [missing, 'ENOENT'],
    [refusing, 'ECONNREFUSED'],
  ] as const) {
    for (const spec of [`${P}web1`, '4194305']) {
      const e = await rejects(
        resolveGuest(spec, { dockerHost: `unix://${sock}` }),
        'DOCKER_UNREACHABLE',
        new RegExp(`^no network namespace or process named ${spec}, and Docker is not reachable at ${sock} \\(${errno}\\) to look for a container$`),
      );
      assert.is(e.errno, errno);
      assert.is((e.cause as PipeworkError).code, 'DOCKER_UNREACHABLE');
    }
    const reason = errno === 'ENOENT' ? 'no such socket' : 'connection refused';
    const d = await rejects(resolveGuest(`docker:${P}web1`, { dockerHost: `unix://${sock}` }), 'DOCKER_UNREACHABLE', new RegExp(`^Docker is not reachable at ${sock}: ${reason}$`));
    assert.is(d.errno, errno);
  }
  // A name Docker cannot hold is not looked for there: plain "not found".
  await rejects(resolveGuest(`${P}a+b`, { dockerHost: `unix://${missing}` }), 'GUEST_NOT_FOUND', new RegExp(`^no container, network namespace or process named ${P}a\\+b$`));
});

test('CLI: show of an unprefixed guest with DOCKER_HOST at a missing or refusing socket: exit 1, one line naming the socket', async () => {
  assertDistFresh();
  const missing = path.join(tmp, 'cli-nonexistent.sock');
  const refusing = await staleSocket(path.join(tmp, 'cli-refusing.sock'));
  for (const [sock, errno] of [
    [missing, 'ENOENT'],
    [refusing, 'ECONNREFUSED'],
  ] as const) {
    const env = { ...process.env, DOCKER_HOST: `unix://${sock}` };
    const r = pipework(['show', `${P}web1`], { env });
    assert.is(r.status, 1, explain(r));
    assert.equal(r.errLines, [`pipework: no network namespace or process named ${P}web1, and Docker is not reachable at ${sock} (${errno}) to look for a container`], explain(r));
    assert.is(r.stdout, '', explain(r));
    const j = pipework(['--json', 'show', `${P}web1`], { env });
    assert.is(j.status, 1, explain(j));
    const out = JSON.parse(j.stdout);
    assert.is(out.error.code, 'DOCKER_UNREACHABLE');
    assert.is(out.error.errno, errno);
    const d = pipework(['show', `docker:${P}web1`], { env });
    assert.is(d.status, 1, explain(d));
    assert.equal(d.errLines.length, 1, explain(d));
    assert.match(d.errLines[0]!, new RegExp(`^pipework: Docker is not reachable at ${sock}: `), explain(d));
  }
});

// ---- named netns, pid, path ----

maybeRoot('named netns, unprefixed and netns:', async () => {
  for (const spec of [red, `netns:${red}`]) {
    const g = keep(await resolveGuest(spec));
    assert.is(g.kind, 'netns', spec);
    assert.is(g.name, red);
    assert.is(g.pid, undefined);
    assert.is(g.id, undefined);
    assert.is(fdIno(g.nsFd), netnsInode(red), spec);
  }
  await rejects(resolveGuest(`netns:${P}ghost`), 'GUEST_NOT_FOUND', new RegExp(`network namespace ${P}ghost does not exist`));
  await rejects(resolveGuest('netns:a/b'), 'USAGE', /invalid network namespace name/);
  await rejects(resolveGuest('netns:..'), 'USAGE');
});

maybeRoot('a stale /var/run/netns file (not mounted) is refused', async () => {
  const name = scope.name('stale');
  fs.writeFileSync(`/var/run/netns/${name}`, '');
  try {
    await rejects(resolveGuest(`netns:${name}`), 'GUEST_NOT_FOUND', /is not mounted/);
    await rejects(resolveGuest(name, { dockerHost: `unix://${path.join(tmp, 'missing.sock')}` }), 'GUEST_NOT_FOUND', /is not mounted/);
    assert.throws(() => openNamespace(name), (e: unknown) => e instanceof PipeworkError && e.code === 'GUEST_NOT_FOUND');
  } finally {
    fs.rmSync(`/var/run/netns/${name}`, { force: true });
  }
});

maybeRoot('pid: and unprefixed digits', async () => {
  const pid = sleeper!.pid;
  for (const spec of [`pid:${pid}`, String(pid)]) {
    const g = keep(await resolveGuest(spec));
    assert.is(g.kind, 'pid', spec);
    assert.is(g.name, String(pid));
    assert.is(g.pid, pid);
    assert.is(fdIno(g.nsFd), fs.statSync(`/proc/${pid}/ns/net`).ino, spec);
    assert.is(fdIno(g.nsFd), netnsInode(red));
  }
  const self = keep(await resolveGuest(`pid:${process.pid}`));
  assert.is(fdIno(self.nsFd), hostIno);
  await rejects(resolveGuest('pid:abc'), 'USAGE', /not a process id/);
  await rejects(resolveGuest('pid:0'), 'USAGE');
  // 2^22 is above pid_max's ceiling: no such process can exist.
  await rejects(resolveGuest('pid:4194305'), 'GUEST_NOT_FOUND', /^no process with PID 4194305$/);
});

maybeRoot('path: a bind-mounted netns and a /proc link; not-a-namespace refused', async () => {
  const pid = sleeper!.pid;
  const g = keep(await resolveGuest(`path:/var/run/netns/${red}`));
  assert.is(g.kind, 'path');
  assert.is(g.name, `/var/run/netns/${red}`);
  assert.is(fdIno(g.nsFd), netnsInode(red));
  const gp = keep(await resolveGuest(`path:/proc/${pid}/ns/net`));
  assert.is(fdIno(gp.nsFd), netnsInode(red));
  await rejects(resolveGuest(`path:/proc/${pid}/ns/uts`), 'GUEST_NOT_FOUND', /not a network namespace.*uts namespace/);
  await rejects(resolveGuest('path:/etc/hostname'), 'GUEST_NOT_FOUND', /not a network namespace/);
  await rejects(resolveGuest('path:/'), 'GUEST_NOT_FOUND', /directory/);
  await rejects(resolveGuest(`path:${tmp}/nothing`), 'GUEST_NOT_FOUND', /does not exist/);
});

maybeRoot('close() closes the fd, twice is harmless', async () => {
  const g = await resolveGuest(`netns:${red}`);
  const fd = g.nsFd;
  fs.fstatSync(fd);
  g.close();
  g.close();
  assert.throws(() => fs.fstatSync(fd), /EBADF/);
});

maybeRoot('openNamespace: a name or an absolute path', () => {
  const fd = openNamespace(red);
  try {
    assert.is(fdIno(fd), netnsInode(red));
  } finally {
    fs.closeSync(fd);
  }
  const fd2 = openNamespace(`/var/run/netns/${red}`);
  try {
    assert.is(fdIno(fd2), netnsInode(red));
  } finally {
    fs.closeSync(fd2);
  }
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return (e as PipeworkError).code;
    }
    return 'resolved';
  };
  assert.is(code(() => openNamespace('run/netns/x')), 'USAGE');
  assert.is(code(() => openNamespace(`${P}ghost`)), 'GUEST_NOT_FOUND');
  assert.is(code(() => openNamespace('/etc/hostname')), 'GUEST_NOT_FOUND');
});

test('empty guest and empty prefixed guest are USAGE', async () => {
  await rejects(resolveGuest(''), 'USAGE');
  await rejects(resolveGuest('docker:'), 'USAGE');
  await rejects(resolveGuest('pid:'), 'USAGE');
});

// ---- a scripted engine, for what a real one will not do on demand ----

interface Scripted {
  sock: string;
  requests: string[];
  close(): Promise<void>;
}

/** An Engine API stand-in: each GET /containers/X/json is answered by the next reply. */
async function scriptedEngine(replies: Array<(ref: string) => { status: number; body: unknown }>): Promise<Scripted> {
  const sock = path.join(tmp, `engine-${Math.random().toString(36).slice(2)}.sock`);
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const m = /^\/containers\/([^/]+)\/json$/.exec(req.url ?? '');
    const ref = m ? decodeURIComponent(m[1] as string) : '';
    requests.push(ref);
    const reply = replies[Math.min(requests.length - 1, replies.length - 1)];
    const { status, body } = reply ? reply(ref) : { status: 500, body: { message: 'no script' } };
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  return { sock, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const FAKE_ID = 'f'.repeat(64);
const running = (pid: number) => () => ({ status: 200, body: { Id: FAKE_ID, Name: '/fake1', State: { Status: 'running', Running: true, Pid: pid } } });

maybeRoot('scripted engine: PID 0 while running is retried, then resolved', async () => {
  const pid = sleeper!.pid;
  const e = await scriptedEngine([running(0), running(0), running(pid)]);
  try {
    const g = keep(await resolveGuest('docker:fake1', { dockerHost: `unix://${e.sock}`, retryDelayMs: 5 }));
    assert.is(g.kind, 'docker');
    assert.is(g.name, 'fake1');
    assert.is(g.id, FAKE_ID);
    assert.is(g.pid, pid);
    assert.is(fdIno(g.nsFd), netnsInode(red));
    // two PID-0 answers, one with the PID, then the re-check by full id
    assert.equal(e.requests, ['fake1', FAKE_ID, FAKE_ID, FAKE_ID]);
  } finally {
    await e.close();
  }
});

maybeRoot('scripted engine: PID 0 for good is GUEST_NOT_RUNNING after pidRetries', async () => {
  const e = await scriptedEngine([running(0)]);
  try {
    await rejects(resolveGuest('docker:fake1', { dockerHost: `unix://${e.sock}`, retryDelayMs: 1, pidRetries: 2 }), 'GUEST_NOT_RUNNING', /fake1 .*PID 0 after 3 tries/);
    assert.is(e.requests.length, 3);
  } finally {
    await e.close();
  }
});

maybeRoot('scripted engine: a PID that changes before the re-check is looked up again', async () => {
  const pid = sleeper!.pid;
  // first inspect says our own PID; the re-check says the sleeper's; then it stays.
  const e = await scriptedEngine([running(process.pid), running(pid), running(pid), running(pid)]);
  try {
    const g = keep(await resolveGuest('docker:fake1', { dockerHost: `unix://${e.sock}`, retryDelayMs: 1 }));
    assert.is(g.pid, pid);
    assert.is(fdIno(g.nsFd), netnsInode(red), 'the fd is the namespace of the PID the engine confirmed');
    assert.is(e.requests.length, 4);
  } finally {
    await e.close();
  }
});

maybeRoot('scripted engine: stopped between inspect and re-check is GUEST_NOT_RUNNING', async () => {
  const stopped = () => ({ status: 200, body: { Id: FAKE_ID, Name: '/fake1', State: { Status: 'exited', Running: false, Pid: 0 } } });
  const e = await scriptedEngine([running(process.pid), stopped]);
  try {
    await rejects(resolveGuest('fake1', { dockerHost: `unix://${e.sock}` }), 'GUEST_NOT_RUNNING', /^container fake1 is not running$/);
  } finally {
    await e.close();
  }
});

maybeRoot('scripted engine: digits that are both a PID and an id prefix are refused, prefixes disambiguate', async () => {
  const pid = sleeper!.pid;
  const e = await scriptedEngine([running(process.pid)]);
  try {
    await rejects(resolveGuest(String(pid), { dockerHost: `unix://${e.sock}` }), 'USAGE', new RegExp(`write pid:${pid} or docker:${pid}`));
    const g = keep(await resolveGuest(`pid:${pid}`, { dockerHost: `unix://${e.sock}` }));
    assert.is(fdIno(g.nsFd), netnsInode(red));
    const d = keep(await resolveGuest(`docker:${pid}`, { dockerHost: `unix://${e.sock}` }));
    assert.is(d.kind, 'docker');
    assert.is(fdIno(d.nsFd), hostIno);
  } finally {
    await e.close();
  }
});

maybeRoot('scripted engine: an ambiguous id prefix is USAGE; an engine error is not "not found"', async () => {
  const e = await scriptedEngine([() => ({ status: 500, body: { message: 'Multiple IDs found with provided prefix: 9' } })]);
  try {
    await rejects(resolveGuest('docker:9', { dockerHost: `unix://${e.sock}` }), 'USAGE', /ambiguous/);
  } finally {
    await e.close();
  }
  const e2 = await scriptedEngine([() => ({ status: 500, body: { message: 'boom' } })]);
  try {
    await rejects(resolveGuest('docker:x1', { dockerHost: `unix://${e2.sock}` }), 'INTERNAL', /HTTP 500.*boom/);
  } finally {
    await e2.close();
  }
});

maybeRoot('scripted engine: a silent engine times out as DOCKER_UNREACHABLE, and is not taken for absent', async () => {
  const sock = path.join(tmp, 'silent.sock');
  const server = http.createServer(() => {
    /* never answers */
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  try {
    await rejects(resolveGuest(`${P}ghost`, { dockerHost: `unix://${sock}`, dockerTimeoutMs: 100 }), 'DOCKER_UNREACHABLE', /^no network namespace or process named \S+, and Docker is not reachable at \S+silent\.sock \(ETIMEDOUT\) to look for a container$/);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test.run();
