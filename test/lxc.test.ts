// A real LXC container (lxc-create -t busybox, lxc.net.0.type = empty, so
// its network namespace holds lo only) found by name through its cgroup,
// given an interface on a bridge of the test's host namespace, detached, and
// gc'd once stopped, restarted or destroyed. Oracles: lxc-info -p for the init
// (LXC's own answer), `lxc-attach -n NAME -- ip -o addr` for what the
// container sees, `ip -j -d -n HOST link` for the host side and its mark, and
// our show() as the second view.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pipework } from '../src';
import { resolveGuest } from '../src/netns';
import { assertDistFresh, explain, netState, pipework, type CliResult } from './helpers/cli';
import { cleanupCgroups, cleanupLxc, destroyLxc, lxcAttach, lxcInfoPid, mountPoints, startAgain, startLxc, stopLxc } from './helpers/lxc';
import { NetnsScope, ip, ipJson, nsExec, runOk, uniquePrefix } from './helpers/netns';
import { requireIf } from './helpers/skip';

const TAG = 'pwlxc';
const P = uniquePrefix(TAG); // pwlxc-<pid>-
const A = `${P}a`;
const root = typeof process.getuid === 'function' && process.getuid() === 0;

// Leftovers of crashed runs first, then the container, at load time: the tests skip, saying why, when it cannot run.
if (root) {
  cleanupLxc(TAG);
  cleanupCgroups(TAG);
}
const why = root ? startLxc(A) : 'not running as root';
const maybe = requireIf(test, why === '', `no LXC container could run here: ${why}`);

let scope: NetnsScope | undefined;
let H = '';
let pw: Pipework | undefined;
const children: ChildProcess[] = [];

const cli = (...argv: string[]): CliResult => pipework(['--host-netns', H, ...argv]);

function ok(r: CliResult): CliResult {
  assert.is(r.status, 0, explain(r));
  assert.is(r.stderr, '', explain(r));
  return r;
}

/** The container's own view: `ip -o addr` lines of dev, through lxc-attach (busybox ip inside). */
function addrsInside(dev: string): string[] {
  return lxcAttach(A, 'ip', '-o', 'addr')
    .split('\n')
    .filter((l) => new RegExp(`^\\d+:\\s+${dev}\\s`).test(l))
    .map((l) => /\binet6? (\S+)/.exec(l)?.[1] ?? '')
    .filter((a) => a !== '' && !a.startsWith('fe80:'));
}

function linksInside(): string[] {
  return lxcAttach(A, 'ip', '-o', 'link').split('\n').filter(Boolean).map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1] ?? '');
}

const ports = (): any[] => ipJson(H, '-d', 'link', 'show', 'master', 'br1');
const netIno = (pid: number) => fs.statSync(`/proc/${pid}/ns/net`).ino;

/** Binds the container's current namespace under a netns name of the scope: it then outlives the container. */
function holdNamespace(label: string): string {
  const name = scope!.name(label);
  fs.writeFileSync(`/var/run/netns/${name}`, '');
  runOk('mount', ['--bind', `/proc/${lxcInfoPid(A)}/ns/net`, `/var/run/netns/${name}`]);
  return name;
}

test.before(() => {
  if (why) return;
  assertDistFresh();
  scope = new NetnsScope(TAG);
  H = scope.create('host');
  nsExec(H, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  ip(H, 'link', 'add', 'br1', 'type', 'bridge');
  ip(H, 'link', 'set', 'br1', 'address', '02:00:00:00:00:01', 'up');
  pw = new Pipework({ hostNetns: H });
});

test.after.each(() => {
  // One failure must not cascade: whatever a test left attached goes.
  if (H) for (const l of ipJson<any[]>(H, 'link', 'show', 'master', 'br1')) ip(H, 'link', 'delete', l.ifname);
});

test.after(() => {
  for (const c of children) c.kill('SIGKILL');
  pw?.close();
  if (root) destroyLxc(A);
  scope?.cleanup();
});

maybe('lxc:NAME and NAME resolve to the init lxc-info reports, not the monitor, not a process lxc-attach runs', async () => {
  const init = lxcInfoPid(A);
  // The monitor's cgroup is there (LXC 4+), beside the payload's; its process is lxc-start's, in our namespaces.
  const monitors = mountPoints()
    .filter((m) => m.fstype === 'cgroup' || m.fstype === 'cgroup2')
    .map((m) => `${m.dir}/lxc.monitor.${A}/cgroup.procs`)
    .filter((f) => fs.existsSync(f));
  assert.ok(monitors.length > 0, 'LXC made lxc.monitor.NAME cgroups');
  const monitor = Number(fs.readFileSync(monitors[0]!, 'utf8').split('\n')[0]);
  assert.ok(monitor > 0 && monitor !== init);
  // A process lxc-attach put in the container (parent outside the cgroup, like init's): still the init.
  const attached = spawn('lxc-attach', ['-n', A, '--', 'sleep', '600'], { stdio: 'ignore' });
  children.push(attached);
  const payload = monitors[0]!.replace('lxc.monitor.', 'lxc.payload.');
  for (let i = 0; i < 300 && fs.readFileSync(payload, 'utf8').split('\n').filter(Boolean).length < 5; i++) await new Promise((r) => setTimeout(r, 10));
  for (const spec of [`lxc:${A}`, A]) {
    const g = await resolveGuest(spec);
    try {
      assert.is(g.kind, 'lxc', spec);
      assert.is(g.name, A);
      assert.is(g.pid, init, `${spec}: lxc-info's PID`);
      assert.is(fs.fstatSync(g.nsFd).ino, netIno(init));
      assert.is.not(fs.fstatSync(g.nsFd).ino, netIno(monitor), 'not the monitor\'s namespace');
    } finally {
      g.close();
    }
  }
  attached.kill('SIGKILL');
});

maybe('attach lxc:NAME: the container sees the address (lxc-attach ip), show() sees it, the host side carries the mark', async () => {
  const before = netState([H]);
  const dry = cli('--dry-run', 'br1', `lxc:${A}`, '198.51.100.5/24');
  ok(dry);
  assert.match(dry.stdout, new RegExp(`^nsenter -t ${lxcInfoPid(A)} -n ip addr add 198\\.51\\.100\\.5/24`, 'm'), dry.stdout);
  assert.equal(netState([H]), before, 'the dry run changed nothing');

  const r = ok(cli('br1', `lxc:${A}`, '198.51.100.5/24'));
  assert.match(r.stdout, new RegExp(`to lxc ${A}`));
  assert.equal(addrsInside('eth1'), ['198.51.100.5/24']);
  const shown = await pw!.show(`lxc:${A}`);
  assert.is(shown.guest.kind, 'lxc');
  assert.is(shown.guest.name, A);
  assert.is(shown.guest.pid, lxcInfoPid(A));
  const global = (a: string[] | undefined) => (a ?? []).filter((x) => !x.startsWith('fe80:'));
  assert.equal(global(shown.interfaces.find((i) => i.name === 'eth1')?.addresses), ['198.51.100.5/24']);
  const json = JSON.parse(ok(cli('show', '--json', A)).stdout);
  assert.equal(global(json.result.interfaces.find((i: any) => i.name === 'eth1')?.addresses), ['198.51.100.5/24']);
  const p = ports();
  assert.is(p.length, 1);
  assert.is(p[0].ifalias, `pipework:2:bridge:lxc:${A}:eth1`);
  // Re-run: in place, nothing changed.
  assert.match(ok(cli('br1', `lxc:${A}`, '198.51.100.5/24')).stdout, /already attached/);

  const d = ok(cli('detach', `lxc:${A}`));
  assert.match(d.stdout, new RegExp(`LXC container ${A}|lxc ${A}`));
  assert.not.ok(linksInside().includes('eth1'), 'eth1 is gone from the container');
  assert.equal(ports(), []);
});

maybe('gc: kept while the container runs; gone once stopped, once restarted (another init, another namespace), once destroyed', async () => {
  const hostSides = (): string[] => ports().map((l) => l.ifname);
  // Each round: attach, hold the container's namespace (so the veth outlives it), change the container, gc.
  const round = async (label: string, change: () => void, reason: RegExp) => {
    const r = await pw!.attach({ hostIf: 'br1', guest: `lxc:${A}`, address: '198.51.100.6/24' });
    const held = holdNamespace(label);
    const kept = await pw!.gc();
    assert.equal(kept.kept.map((e) => e.hostSide), [r.hostSide], JSON.stringify(kept));
    assert.equal(kept.removed, []);
    change();
    assert.equal(hostSides(), [r.hostSide], 'the veth outlives the change: its peer namespace is held');
    const done = await pw!.gc();
    assert.equal(done.removed.map((e) => e.hostSide), [r.hostSide], JSON.stringify(done));
    assert.match(done.removed[0]!.reason, reason);
    assert.is(done.removed[0]!.guest, `LXC container ${A}`);
    assert.equal(hostSides(), []);
    assert.equal(ipJson(held, 'link', 'show').map((l: any) => l.ifname), ['lo'], 'the peer went with it');
    scope!.delete(held);
  };
  await round('stopped', () => stopLxc(A), new RegExp(`^LXC container ${A} is gone$`));
  // Stopped: detach has nothing to do, and says why.
  const d = ok(cli('detach', `lxc:${A}`));
  assert.match(d.stdout, new RegExp(`LXC container ${A} is not running: it has no interfaces, so nothing to detach`));
  assert.is(startAgain(A), '');
  await round('restarted', () => {
    stopLxc(A);
    assert.is(startAgain(A), '');
  }, /now lives in another namespace/);
  await round('destroyed', () => destroyLxc(A), new RegExp(`^LXC container ${A} is gone$`));
  const gone = cli('show', `lxc:${A}`);
  assert.is(gone.status, 1, explain(gone));
  assert.match(gone.stderr, new RegExp(`^pipework: no running LXC container named ${A} `));
});

test.run();
