// "No process is ever spawned", proven three ways, in throwaway namespaces:
//
// 1. The CLI runs under test/helpers/no-child-process.cjs, a preload that makes
//    every child_process function (and process.binding('spawn_sync'/
//    'process_wrap'), process.execve) throw and print a marker: attach, re-run,
//    show, --dry-run, --json, --wait, detach, gc and failing command lines all
//    behave as usual and the marker never appears.
// 2. The library (dist/, as shipped) runs under the same preload through
//    test/helpers/library-driver.cjs; this test, outside the preload, checks
//    the namespaces with `ip -j` (the oracles need processes, the code under
//    test does not).
// 3. strace -f of a CLI attach: exactly one execve (node itself), no fork or
//    vfork, and every clone/clone3 carries CLONE_THREAD (threads, not processes).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, ROOT, assertDistFresh, type CliResult } from './helpers/cli';
import { NETNS_DIR, NetnsScope, ip, ipJson, netnsInode, runOk } from './helpers/netns';
import { requireIf, requireRoot } from './helpers/skip';
import { have } from './helpers/strace';

const test = suite('no-subprocess');
const asRoot = requireRoot(test);
const isRoot = process.getuid?.() === 0;
const withStrace = requireIf(test, isRoot && have('strace', ['-V']), isRoot ? 'strace is not installed' : 'not running as root');

const PRELOAD = path.join(ROOT, 'test', 'helpers', 'no-child-process.cjs');
const DRIVER = path.join(ROOT, 'test', 'helpers', 'library-driver.cjs');
const MARK = 'NO_CHILD_PROCESS_VIOLATION';

const scope = new NetnsScope('pwnosub');
const H = scope.name('host');

/** `node -r no-child-process.cjs bin/pipework ...argv` */
function guarded(argv: string[]): CliResult {
  const r = spawnSync(process.execPath, ['-r', PRELOAD, BIN, ...argv], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { argv, status: r.status ?? 128, stdout: r.stdout, stderr: r.stderr, errLines: r.stderr.split('\n').filter((l) => l !== '') };
}

/**
 * Keeps namespace `from` alive under another name of this scope and deletes
 * the name `from`: its guest is then gone for gc, but its veth is not (a
 * namespace that dies takes its veth pairs along). scope.cleanup() removes it.
 */
function renameNetns(from: string, label: string): void {
  const to = scope.name(label);
  fs.writeFileSync(`${NETNS_DIR}/${to}`, '');
  runOk('mount', ['--bind', `${NETNS_DIR}/${from}`, `${NETNS_DIR}/${to}`]);
  scope.delete(from);
}

function say(r: CliResult): string {
  return `pipework ${JSON.stringify(r.argv)} -> exit ${r.status}, stdout ${JSON.stringify(r.stdout.slice(0, 600))}, stderr ${JSON.stringify(r.stderr.slice(0, 600))}`;
}

/** Ran under the preload, and nothing tried to start a process. */
function clean(r: { stderr: string }, what: string): void {
  assert.not.ok(r.stderr.includes(MARK), `${what} tried to start a process: ${r.stderr}`);
}

function cli(...argv: string[]): CliResult {
  const r = guarded(['--host-netns', H, ...argv]);
  clean(r, `pipework ${argv.join(' ')}`);
  return r;
}

test.before(() => {
  assertDistFresh();
  if (process.getuid?.() !== 0) return;
  scope.create('host');
  ip(H, 'link', 'add', 'br0', 'type', 'bridge');
  ip(H, 'link', 'set', 'br0', 'up');
});

test.after(() => {
  scope.cleanup();
});

test('the preload works: every child_process function throws, also when called through ESM or process.binding', () => {
  const attempts = [
    "require('child_process').spawn('true')",
    "require('child_process').spawnSync('true')",
    "require('child_process').exec('true')",
    "require('child_process').execSync('true')",
    "require('child_process').execFile('true')",
    "require('child_process').execFileSync('true')",
    "require('child_process').fork('x')",
    "import('node:child_process').then((m) => m.execFileSync('true'))",
    "process.binding('spawn_sync')",
    // caught and swallowed: still seen, and the exit status says so
    "try { require('node:child_process').spawnSync('true') } catch {}",
  ];
  for (const code of attempts) {
    const r = spawnSync(process.execPath, ['-r', PRELOAD, '-e', code], { encoding: 'utf8' });
    assert.ok(r.status !== 0, `${code}: exit ${r.status}`);
    assert.ok(r.stderr.includes(MARK), `${code}: ${r.stderr}`);
  }
  const ok = spawnSync(process.execPath, ['-r', PRELOAD, '-e', "require('node:fs'); require('node:child_process'); console.log('fine')"], { encoding: 'utf8' });
  assert.is(ok.status, 0, ok.stderr);
  assert.is(ok.stdout, 'fine\n');
});

asRoot('the CLI without child_process: attach, re-run, show, --dry-run, --json, --wait, detach, gc, failures', () => {
  const G = scope.create('cli');
  const hostSide = `veth1pl${netnsInode(G).toString(36)}`;

  // --dry-run changes nothing and prints the iproute2 equivalent
  let r = cli('--dry-run', 'br0', `netns:${G}`, '198.51.100.33/24@198.51.100.1');
  assert.is(r.status, 0, say(r));
  assert.match(r.stdout, /route replace default via 198\.51\.100\.1 dev eth1$/m);
  assert.equal(ipJson(G, 'link', 'show').map((l: any) => l.ifname), ['lo']);

  // attach, --json
  r = cli('--json', 'br0', `netns:${G}`, '198.51.100.33/24@198.51.100.1');
  assert.is(r.status, 0, say(r));
  const j = JSON.parse(r.stdout);
  assert.is(j.ok, true);
  assert.is(j.result.hostSide, hostSide);
  assert.is(j.result.announced, 'gratuitous-arp');
  const [link] = ipJson(G, 'addr', 'show', 'dev', 'eth1');
  assert.is(link.operstate, 'UP');
  assert.equal(
    link.addr_info.filter((a: any) => a.family === 'inet').map((a: any) => `${a.local}/${a.prefixlen} brd ${a.broadcast}`),
    ['198.51.100.33/24 brd 198.51.100.255'],
  );
  assert.ok(ipJson(G, 'route', 'show').some((x: any) => x.dst === 'default' && x.gateway === '198.51.100.1'));
  assert.equal(ipJson(H, 'link', 'show', 'master', 'br0').map((l: any) => l.ifname), [hostSide]);

  // re-run: in place, nothing changes
  r = cli('--json', 'br0', `netns:${G}`, '198.51.100.33/24@198.51.100.1');
  assert.is(r.status, 0, say(r));
  assert.is(JSON.parse(r.stdout).result.alreadyInPlace, true);

  // show, plain and --json
  r = cli('show', `netns:${G}`);
  assert.is(r.status, 0, say(r));
  assert.match(r.stdout, /198\.51\.100\.33\/24/);
  r = cli('show', '--json', `netns:${G}`);
  assert.is(r.status, 0, say(r));
  assert.ok(JSON.parse(r.stdout).result.interfaces.some((i: any) => i.name === 'eth1'), r.stdout);

  // --wait (in the host namespace, for the host side, which is up)
  r = cli('--wait', '-i', hostSide, '--timeout', '5');
  assert.is(r.status, 0, say(r));
  assert.is(r.stdout, `${hostSide} is up\n`);

  // failures: the command line (2), the host interface (1), a guest that is nowhere (1)
  r = cli('br0', `netns:${G}`, '198.51.100.300/24');
  assert.is(r.status, 2, say(r));
  r = cli('--json', 'nosuchif0', `netns:${G}`, '198.51.100.34/24');
  assert.is(r.status, 1, say(r));
  assert.is(JSON.parse(r.stdout).ok, false, r.stdout);
  r = cli('br0', `${scope.prefix}nowhere`, '198.51.100.35/24');
  assert.is(r.status, 1, say(r));
  assert.is(r.errLines.length, 1, say(r));
  r = cli('--wait', '-i', 'nosuch0', '--timeout', '0.2');
  assert.is(r.status, 1, say(r));
  assert.match(r.stderr, /timed out/);

  // detach, and again (nothing to detach)
  r = cli('detach', `netns:${G}`);
  assert.is(r.status, 0, say(r));
  assert.equal(ipJson(G, 'link', 'show').map((l: any) => l.ifname), ['lo']);
  assert.equal(ipJson(H, 'link', 'show', 'master', 'br0'), []);
  r = cli('detach', `netns:${G}`);
  assert.is(r.status, 0, say(r));

  // gc: a guest whose netns name is gone leaves its host side behind; gc removes it
  const Z = scope.create('cligc');
  r = cli('br0', `netns:${Z}`, '198.51.100.36/24');
  assert.is(r.status, 0, say(r));
  renameNetns(Z, 'cligcy');
  r = cli('gc', '--dry-run');
  assert.is(r.status, 0, say(r));
  assert.match(r.stdout, /ip link delete veth1pl\w+$/m);
  r = cli('gc', '--json');
  assert.is(r.status, 0, say(r));
  assert.is(JSON.parse(r.stdout).result.removed.length, 1, r.stdout);
  assert.equal(ipJson(H, 'link', 'show', 'master', 'br0'), []);
});

/** Runs the library driver under the preload; its parsed output. */
function library(ops: object[]): { ok: boolean; results: { op: string; result?: any; error?: any }[]; error?: any } {
  const r = spawnSync(process.execPath, ['-r', PRELOAD, DRIVER, JSON.stringify({ hostNetns: H, ops })], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  clean(r, 'the library');
  assert.is(r.status, 0, `library driver: exit ${r.status}, ${r.stdout} ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  assert.ok(out.ok, JSON.stringify(out.error));
  return out;
}

asRoot('the library without child_process: attach (v4, v6), plan, show, wait, detach, gc, a failure', () => {
  const A = scope.create('liba');
  const B = scope.create('libb');
  let out = library([
    { op: 'plan', hostIf: 'br0', guest: `netns:${A}`, address: '198.51.100.40/24', gateway: '198.51.100.1' },
    { op: 'attach', hostIf: 'br0', guest: `netns:${A}`, address: '198.51.100.40/24', gateway: '198.51.100.1', mac: 'U:liba' },
    { op: 'attach', hostIf: 'br0', guest: `netns:${A}`, guestIf: 'eth2', address: '2001:db8::40/64', gateway: '2001:db8::1' },
    { op: 'attach', hostIf: 'br0', guest: `netns:${A}`, address: '198.51.100.40/24', gateway: '198.51.100.1', mac: 'U:liba' },
    { op: 'attach', hostIf: 'br0', guest: `netns:${B}`, address: '198.51.100.41/24' },
    { op: 'show', guest: `netns:${A}` },
    { op: 'attach', hostIf: 'nosuchif0', guest: `netns:${A}`, guestIf: 'eth3', address: '198.51.100.42/24' },
  ]);
  const [plan, v4, v6, again, b, show, bad] = out.results;
  assert.ok(Array.isArray(plan!.result) && plan!.result.length > 0, JSON.stringify(plan));
  assert.is(v4!.result?.announced, 'gratuitous-arp', JSON.stringify(v4));
  assert.is(v6!.result?.announced, 'neighbour-advertisement', JSON.stringify(v6));
  assert.is(again!.result?.alreadyInPlace, true, JSON.stringify(again));
  assert.ok(b!.result, JSON.stringify(b));
  assert.equal(show!.result.interfaces.map((i: any) => i.name).sort(), ['eth1', 'eth2', 'lo']);
  assert.is(bad!.error?.code, 'HOSTIF_NOT_FOUND', JSON.stringify(bad));

  // ip's view of what the library did
  const [e1] = ipJson(A, 'addr', 'show', 'dev', 'eth1');
  assert.is(e1.address, v4!.result.mac);
  assert.ok(e1.addr_info.some((a: any) => a.local === '198.51.100.40' && a.prefixlen === 24), JSON.stringify(e1));
  const [e2] = ipJson(A, 'addr', 'show', 'dev', 'eth2');
  assert.ok(e2.addr_info.some((a: any) => a.local === '2001:db8::40' && a.prefixlen === 64), JSON.stringify(e2));
  assert.ok(ipJson(A, '-6', 'route', 'show').some((x: any) => x.dst === 'default' && x.gateway === '2001:db8::1'));
  assert.ok(ipJson(A, 'route', 'show').some((x: any) => x.dst === 'default' && x.gateway === '198.51.100.1'));
  const ports = ipJson(H, 'link', 'show', 'master', 'br0').map((l: any) => l.ifname).sort();
  assert.equal(ports, [v4!.result.hostSide, v6!.result.hostSide, b!.result.hostSide].sort());
  assert.ok(!ipJson(A, 'link', 'show').some((l: any) => l.ifname === 'eth3'), 'the failed attach left nothing');

  // detach one, --all the rest of A; B's namespace goes and gc removes its host side
  renameNetns(B, 'libby');
  out = library([
    { op: 'wait', guestIf: v4!.result.hostSide, timeoutMs: 5000 },
    { op: 'detach', guest: `netns:${A}`, guestIf: 'eth2' },
    { op: 'detach', guest: `netns:${A}`, all: true },
    { op: 'gc', dryRun: true },
    { op: 'gc' },
  ]);
  const [wait, d1, dall, dry, gc] = out.results;
  assert.is(wait!.result?.name, v4!.result.hostSide, JSON.stringify(wait));
  assert.is(d1!.result?.removed, true, JSON.stringify(d1));
  assert.is(dall!.result?.removed, true, JSON.stringify(dall));
  assert.equal(dry!.result?.removed.map((e: any) => e.hostSide), [b!.result.hostSide], JSON.stringify(dry));
  assert.equal(gc!.result?.removed.map((e: any) => e.hostSide), [b!.result.hostSide], JSON.stringify(gc));
  assert.equal(ipJson(A, 'link', 'show').map((l: any) => l.ifname), ['lo']);
  assert.equal(ipJson(H, 'link', 'show', 'master', 'br0'), []);
});

withStrace('strace -f of a CLI attach: one execve (node), no fork/vfork, every clone a thread', () => {
  const G = scope.create('strace');
  const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pwnosub-')), 'trace');
  try {
    const r = spawnSync(
      'strace',
      ['-f', '-qq', '-o', log, '-e', 'trace=execve,execveat,clone,clone3,fork,vfork', process.execPath, BIN, '--host-netns', H, 'br0', `netns:${G}`, '198.51.100.50/24'],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    if (r.error) throw r.error;
    assert.is(r.status, 0, `exit ${r.status}: ${r.stderr}`);
    assert.ok(ipJson(G, 'link', 'show').some((l: any) => l.ifname === 'eth1'), 'the attach happened');
    // Lines: "<pid> syscall(args) = ret" (an interrupted call is split in
    // "<unfinished ...>" and "<... syscall resumed>": count each call once).
    const lines = fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.trim() !== '' && !/resumed>/.test(l));
    const calls = lines.map((l) => /^\d+\s+(\w+)\(/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    const execs = lines.filter((l) => /^\d+\s+execve(at)?\(/.test(l));
    assert.is(execs.length, 1, execs.join('\n'));
    assert.match(execs[0]!, new RegExp(`execve\\("${process.execPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
    assert.equal(calls.filter((m) => m[1] === 'fork' || m[1] === 'vfork').map((m) => m.input), []);
    const clones = lines.filter((l) => /^\d+\s+clone3?\(/.test(l));
    assert.ok(clones.length > 0, 'node starts threads: the trace saw them');
    const processes = clones.filter((l) => !/CLONE_THREAD/.test(l));
    assert.equal(processes, [], 'every clone is a thread (CLONE_THREAD)');
  } finally {
    fs.rmSync(path.dirname(log), { recursive: true, force: true });
  }
});

test.run();
