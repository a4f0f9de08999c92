// Lifecycle (issue 3), against the real kernel in throwaway namespaces: the
// mark, idempotent attach, rollback at every step, namespace safety against
// PID reuse, detach --all, gc, and 32 concurrent attaches and detaches.
//
// "Nothing changed" and "zero residue" are judged by `ip -j` dumps (links,
// addresses, routes of every table; netState in helpers/cli) of the host and
// the guest, taken before and after. One kernel side effect no dump of links,
// addresses or routes shows is left on purpose: the first veth between two
// namespaces allocates a peer nsid for each in the other (`ip netns list-id`),
// and nsids are never freed while both live; iproute2 does the same.
//
// Namespaces: pwlife-<pid>-*; containers: pwlife-<pid>-*; all removed in after.
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Pipework, PipeworkError, parseMark, type AttachOptions, type BeforeStep } from '../src';
import { pipeworkRejection } from './helpers/assert';
import { assertDistFresh, explain, netState, pipework, pipeworkAsync } from './helpers/cli';
import { cleanupContainers, containerPid, dockerAvailable, dockerWhyNot, ensureBusyboxImage, removeContainer, runContainer } from './helpers/docker';
import { NETNS_DIR, NetnsScope, ip, ipJson, ipTry, netnsInode, nsExec, runOk } from './helpers/netns';
import { assertConflict, attachTwice, faultAtEveryStep } from './helpers/lifecycle';
import { requireIf } from './helpers/skip';
import { killAndReap, netSleeper as netSleeperOf, sleeperAtPid as sleeperAtPidOf, until, type Tracked } from './helpers/pids';

const TAG = 'pwlife';
const test = suite('lifecycle');
const scope = new NetnsScope(TAG);
const withDocker = requireIf(test, dockerAvailable, `Docker is not reachable (${dockerWhyNot})`);
const BR0_MAC = '02:00:00:00:0a:01';
let H = ''; // the host: br0 (pinned MAC, up), IPv6 off
let pw: Pipework;
const children = new Set<ChildProcess>();
const containers: string[] = [];
const binds: string[] = [];

// ---- helpers ------------------------------------------------------------------

/** A guest namespace; IPv6 off unless asked for (no link-local addresses changing under comparisons). */
function guest(label: string, opts: { ipv6?: boolean } = {}): string {
  const ns = scope.create(label);
  if (!opts.ipv6) noIpv6(ns);
  return ns;
}

function noIpv6(ns: string): void {
  nsExec(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
}

/** Bridge, MTU, up, with a fixed MAC (a bridge whose MAC was never set takes its ports' lowest). */
function bridge(ns: string, name: string, mac: string): void {
  ip(ns, 'link', 'add', name, 'type', 'bridge');
  ip(ns, 'link', 'set', name, 'address', mac, 'up');
}

/** The PipeworkError an attach throws (fails the test when it succeeds). */
async function attachFails(o: AttachOptions, beforeStep?: BeforeStep, client = pw): Promise<PipeworkError> {
  return pipeworkRejection(`attach ${JSON.stringify(o)}`, client.attach(o, { beforeStep }));
}

/** `ip -j -d link` aliases by name. */
function aliases(ns: string | null, prefix: string[] = []): Record<string, string | undefined> {
  const links = prefix.length
    ? JSON.parse(runOk(prefix[0]!, [...prefix.slice(1), 'ip', '-j', '-d', 'link', 'show']))
    : ipJson(ns, '-d', 'link', 'show');
  return Object.fromEntries(links.map((l: any) => [l.ifname, l.ifalias]));
}

/** Names of the links in a namespace given by path (a held fd, /proc/N/ns/net). */
function linkNamesAt(nsPath: string): string[] {
  return JSON.parse(runOk('nsenter', [`--net=${nsPath}`, 'ip', '-j', 'link', 'show'])).map((l: any) => l.ifname);
}

function track(child: ChildProcess): Tracked {
  if (child.pid === undefined) throw new Error('spawn failed');
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child as Tracked;
}

const netSleeper = () => netSleeperOf(track);
const sleeperAtPid = (pid: number, ns: string) => sleeperAtPidOf(pid, ns, track);

function bindNetns(from: string, to: string): void {
  fs.writeFileSync(`${NETNS_DIR}/${to}`, '');
  binds.push(to);
  runOk('mount', ['--bind', from, `${NETNS_DIR}/${to}`]);
}

// ---- hooks -----------------------------------------------------------------------

test.before(() => {
  cleanupContainers(TAG);
  H = scope.create('host');
  noIpv6(H);
  bridge(H, 'br0', BR0_MAC);
  pw = new Pipework({ hostNetns: H });
});

test.after(async () => {
  pw?.close();
  for (const c of [...children]) await killAndReap(c);
  for (const c of containers) removeContainer(c);
  for (const b of binds) ipTry(null, 'netns', 'delete', b);
  scope.cleanup();
});

// ---- 1. the mark -------------------------------------------------------------------

test('the mark: both ends carry pipework:2:bridge:<kind>:<guest id>:<ifname> as IFLA_IFALIAS (netns and pid guests)', async () => {
  const G = guest('mark');
  const r = await pw.attach({ hostIf: 'br0', guest: `netns:${G}`, guestIf: 'eth7', address: '192.0.2.7/24' });
  const want = `pipework:2:bridge:netns:${G}:eth7`;
  assert.is(aliases(H)[r.hostSide!], want, 'host end');
  assert.is(aliases(G)['eth7'], want, 'guest end');
  assert.equal(parseMark(want), { hostKind: 'bridge', kind: 'netns', id: G, ifname: 'eth7' });
  assert.equal(parseMark(`pipework:netns:${G}:eth7`), { hostKind: 'bridge', kind: 'netns', id: G, ifname: 'eth7' }, 'version 1 still reads');
  assert.is(aliases(G)['lo'], undefined, 'nothing else is marked');
  assert.is(aliases(H)['br0'], undefined, 'an existing bridge is not marked');

  const p = await netSleeper();
  const rp = await pw.attach({ hostIf: 'br0', guest: `pid:${p.pid}`, address: '192.0.2.8/24' });
  const wantP = `pipework:2:bridge:pid:${p.pid}:eth1`;
  assert.is(aliases(H)[rp.hostSide!], wantP, 'host end, pid guest');
  assert.is(aliases(null, ['nsenter', '-t', String(p.pid), '-n'])['eth1'], wantP, 'guest end, pid guest');
  await pw.detach({ guest: `netns:${G}`, guestIf: 'eth7' });
  await pw.detach({ guest: `pid:${p.pid}` });
  await killAndReap(p);
});

withDocker('the mark of a container names its full id, not its name', async () => {
  ensureBusyboxImage();
  const name = scope.name('mark');
  containers.push(name);
  const c = runContainer(name);
  const r = await pw.attach({ hostIf: 'br0', guest: `docker:${name}`, address: '192.0.2.9/24' });
  const want = `pipework:2:bridge:docker:${c.id}:eth1`;
  assert.is(c.id.length, 64);
  assert.is(aliases(H)[r.hostSide!], want, 'host end');
  assert.is(aliases(null, ['nsenter', '-t', String(containerPid(name)), '-n'])['eth1'], want, 'guest end');
  removeContainer(name); // its namespace, and with it both ends of the veth, go
  await until(`${r.hostSide!} is gone with the container`, () => ipTry(H, 'link', 'show', 'dev', r.hostSide!).status !== 0);
});

// ---- 2. idempotent attach ------------------------------------------------------------

test('the same attach twice: the second is alreadyInPlace and changes nothing; any difference is CONFLICT, one line, nothing changed', async () => {
  const G = guest('idem');
  bridge(H, 'br9', '02:00:00:00:0a:09');
  const o: AttachOptions = { hostIf: 'br0', guest: `netns:${G}`, address: '203.0.113.10/28', gateway: '198.51.100.1', mac: '02:00:5e:00:53:10' };
  const [first, second, after1] = await attachTwice(pw, o, () => netState([H, G]));
  assert.is(second.hostSide, first.hostSide);
  assert.is(second.mac, first.mac);
  assert.equal(second.addresses, first.addresses);
  assert.equal(second.routes, first.routes, 'the on-link route and the default route are recognised');
  // Without -m the MAC is not part of the question.
  const third = await pw.attach({ ...o, mac: undefined });
  assert.is(third.alreadyInPlace, true);
  assert.equal(netState([H, G]), after1);

  const differences: [string, Partial<AttachOptions>, RegExp][] = [
    ['address', { address: '203.0.113.11/28' }, /^address 203\.0\.113\.10\/28, not 203\.0\.113\.11\/28$/],
    ['gateway', { gateway: '203.0.113.1' }, /^default route via 198\.51\.100\.1, not 203\.0\.113\.1$/],
    ['no gateway', { gateway: undefined }, /^default route via 198\.51\.100\.1, not none$/],
    ['MAC', { mac: '02:00:5e:00:53:11' }, /^MAC 02:00:5e:00:53:10, not 02:00:5e:00:53:11$/],
    ['another bridge', { hostIf: 'br9' }, /^on br0, not br9$/],
    ['a missing bridge (not created)', { hostIf: 'brnope' }, /^on br0, not brnope$/],
    ['-l name', { hostLinkName: 'other0' }, new RegExp(`^host side ${first.hostSide}, not other0$`)],
  ];
  for (const [what, change, named] of differences) {
    const e = await attachFails({ ...o, ...change });
    assertConflict(what, e, named);
    assert.equal(netState([H, G]), after1, `${what}: nothing changed`);
  }
  await pw.detach({ guest: `netns:${G}` });
  ip(H, 'link', 'del', 'br9');
});

test('a host-side name that exists, is down and is not ours is never deleted: LINK_EXISTS (default and -l names)', async () => {
  const G = guest('taken');
  const defaultName = `veth1pl${netnsInode(G).toString(36)}`;
  ip(H, 'link', 'add', defaultName, 'type', 'veth', 'peer', 'name', 'pwltaken0');
  ip(H, 'link', 'add', 'lx0', 'type', 'veth', 'peer', 'name', 'pwltaken1');
  const before = netState([H, G]);
  for (const [name, o] of [
    [defaultName, { hostIf: 'br0', guest: `netns:${G}`, address: '192.0.2.30/24' }],
    ['lx0', { hostIf: 'br0', guest: `netns:${G}`, hostLinkName: 'lx0', address: '192.0.2.30/24' }],
  ] as const) {
    const e = await attachFails(o);
    assert.is(e.code, 'LINK_EXISTS', e.message);
    assert.is(e.message, `host interface ${name} already exists`);
    const [l] = ipJson(H, 'link', 'show', 'dev', name);
    assert.ok(l, `${name} is still there`);
    assert.not.ok(l.flags.includes('UP'), `${name} is still down`);
    assert.equal(netState([H, G]), before, 'nothing changed');
  }
  ip(H, 'link', 'del', defaultName);
  ip(H, 'link', 'del', 'lx0');
});

// ---- 3. rollback ---------------------------------------------------------------------

test('rollback at every step: a failure injected before each step leaves host and guest exactly as they were', async () => {
  const G = guest('every');
  const o: AttachOptions = { hostIf: 'brR', guest: `netns:${G}`, address: '203.0.113.20/28', gateway: '198.51.100.1' };
  const before = netState([H, G]);
  // Inject before step 0, 1, 2, ... until an attach runs past its last step.
  const titles = await faultAtEveryStep(
    (beforeStep) => pw.attach(o, { beforeStep }),
    (inject, title) => assert.equal(netState([H, G]), before, `zero residue after a fault before step ${inject} (${title})`),
  );
  assert.equal(titles.map((t) => t.replace(/veth1pl\w+/, 'veth1pl*').replace(G, 'G')), [
    'confirm netns G is still there',
    'create bridge brR',
    'create veth veth1pl* on bridge brR with peer eth1 in netns G',
    'add address 203.0.113.20/28 to eth1',
    'bring eth1 up',
    'add on-link route to gateway 198.51.100.1 via eth1',
    'set default route via 198.51.100.1 on eth1',
    'confirm netns G is still there',
    'confirm veth1pl* is still a port of brR',
    'announce 203.0.113.20 on eth1',
    'confirm netns G is still there',
  ]);
  await pw.detach({ guest: `netns:${G}` });
  ip(H, 'link', 'del', 'brR');
  assert.equal(netState([H, G]), before);
});

test('rollback keeps a bridge it created when another attach has a port on it by then', async () => {
  const [A, B] = [guest('keepa'), guest('keepb')];
  const other = new Pipework({ hostNetns: H });
  try {
    const e = await attachFails({ hostIf: 'brK', guest: `netns:${A}`, address: '192.0.2.40/24' }, async (step) => {
      if (step.title.startsWith('add address')) {
        const r = await other.attach({ hostIf: 'brK', guest: `netns:${B}`, address: '192.0.2.41/24' });
        assert.equal(r.created, [], 'B found the bridge A made');
        throw new Error('injected');
      }
    });
    assert.match(e.message, /^add address 192\.0\.2\.40\/24 to eth1 failed: injected/);
    assert.equal(ipJson(H, 'link', 'show', 'master', 'brK').map((l: any) => l.ifname), [`veth1pl${netnsInode(B).toString(36)}`]);
    assert.equal(ipJson(A, 'link', 'show').map((l: any) => l.ifname), ['lo']);
    await other.detach({ guest: `netns:${B}` });
  } finally {
    other.close();
    ipTry(H, 'link', 'del', 'brK');
  }
});

test('a missing br* bridge made meanwhile by another attach is used (EEXIST); only its maker says it created it, and only its maker may remove it', async () => {
  const [A, B] = [guest('racea'), guest('raceb')];
  const pwB = new Pipework({ hostNetns: H });
  try {
    // Both plan while brM is missing; A creates it first, then B's "create bridge" meets EEXIST.
    let bPlanned!: () => void;
    const planned = new Promise<void>((r) => (bPlanned = r));
    const a = pw.attach({ hostIf: 'brM', guest: `netns:${A}`, address: '192.0.2.44/24' }, {
      beforeStep: async (step) => {
        if (step.title === 'create bridge brM') await planned;
      },
    });
    const b = await pwB.attach({ hostIf: 'brM', guest: `netns:${B}`, address: '192.0.2.45/24' }, {
      beforeStep: async (step, index) => {
        if (index === 0) bPlanned();
        if (step.title === 'create bridge brM') await a;
      },
    });
    assert.equal((await a).created, ['bridge brM'], 'A made brM');
    assert.equal(b.created, [], 'B found it made: it did not create it');
    assert.is(ipJson(H, 'link', 'show', 'master', 'brM').length, 2);
    await pw.detach({ guest: `netns:${A}` });
    await pwB.detach({ guest: `netns:${B}` });
    ip(H, 'link', 'del', 'brM');

    // Again, and B fails after A is gone: brM, empty by then, is A's, not B's to remove.
    const before = netState([H, A, B]);
    let bPlanned2!: () => void;
    const planned2 = new Promise<void>((r) => (bPlanned2 = r));
    const a2 = pw.attach({ hostIf: 'brM', guest: `netns:${A}`, address: '192.0.2.44/24' }, {
      beforeStep: async (step) => {
        if (step.title === 'create bridge brM') await planned2;
      },
    });
    const e = await attachFails({ hostIf: 'brM', guest: `netns:${B}`, address: '192.0.2.45/24' }, async (step, index) => {
      if (index === 0) bPlanned2();
      if (step.title === 'create bridge brM') await a2;
      if (step.title.startsWith('add address')) {
        await pw.detach({ guest: `netns:${A}` });
        throw new Error('injected');
      }
    }, pwB);
    assert.match(e.message, /^add address 192\.0\.2\.45\/24 to eth1 failed: injected/);
    assert.is(ipJson(H, 'link', 'show', 'dev', 'brM').length, 1, 'brM is still there');
    assert.equal(ipJson(H, 'link', 'show', 'master', 'brM'), [], 'with no ports');
    ip(H, 'link', 'del', 'brM');
    assert.equal(netState([H, A, B]), before);
  } finally {
    pwB.close();
    ipTry(H, 'link', 'del', 'brM');
  }
});

test('rollback removes only what it made: our veth deleted mid-way and its name re-made by someone else: theirs survives', async () => {
  const G = guest('renamed');
  const before = netState([G]);
  let expectHost: unknown;
  let name = '';
  const e = await attachFails({ hostIf: 'br0', guest: `netns:${G}`, address: '192.0.2.46/24' }, (step) => {
    if (step.title.startsWith('add address')) {
      name = ipJson(H, 'link', 'show', 'master', 'br0').find((l: any) => l.ifalias === `pipework:2:bridge:netns:${G}:eth1`).ifname;
      ip(H, 'link', 'del', name);
      ip(H, 'link', 'add', name, 'type', 'veth', 'peer', 'name', 'pwlother0');
      expectHost = netState([H]);
    }
  });
  assert.is(e.errno, 'ENODEV', e.message);
  assert.match(e.message, /^add address 192\.0\.2\.46\/24 to eth1 failed: ENODEV/);
  assert.not.match(e.message, /rollback incomplete/, 'what is already gone needs no undoing');
  assert.equal(netState([H]), expectHost, `the other ${name} and its peer are still there`);
  assert.equal(netState([G]), before);
  ip(H, 'link', 'del', name);
});

test('rollback (a): a name clash in the guest made just before the veth step: the kernel refuses, nothing of ours is left', async () => {
  const G = guest('clash');
  const before = netState([H, G]);
  let withClash: unknown;
  const e = await attachFails({ hostIf: 'brA', guest: `netns:${G}`, address: '192.0.2.50/24', gateway: '192.0.2.1' }, (step) => {
    if (step.title.startsWith('create veth')) {
      ip(G, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p');
      withClash = netState([G]);
    }
  });
  assert.is(e.code, 'KERNEL');
  assert.is(e.errno, 'EEXIST');
  assert.match(e.message, /^create veth veth1pl\w+ on bridge brA with peer eth1 in netns \S+ failed: EEXIST/);
  assert.equal(netState([H]), { [H]: before[H] }, 'host: as before, bridge brA made for this attach gone too');
  assert.equal(netState([G]), withClash, 'guest: only the clash made by the test');
  ip(G, 'link', 'del', 'eth1');
  assert.equal(netState([H, G]), before);
});

test('rollback (b): gateways the kernel refuses (an on-link route that exists, an IPv6 gateway that is a local address)', async () => {
  // IPv4: the guest has a blackhole route for the gateway: nothing reaches it, and the on-link /32 is EEXIST.
  const G = guest('gw4');
  ip(G, 'route', 'add', 'blackhole', '198.51.100.1/32');
  let before = netState([H, G]);
  let e = await attachFails({ hostIf: 'brB', guest: `netns:${G}`, address: '203.0.113.30/28', gateway: '198.51.100.1' });
  assert.is(e.code, 'KERNEL');
  assert.is(e.errno, 'EEXIST');
  assert.match(e.message, /^add on-link route to gateway 198\.51\.100\.1 via eth1 failed: EEXIST/);
  assert.equal(netState([H, G]), before, 'zero residue, bridge brB included');

  // IPv6: the gateway is an address of the guest's own (on lo).
  const G6 = guest('gw6', { ipv6: true });
  ip(G6, 'addr', 'add', '2001:db8:1::9/128', 'dev', 'lo');
  before = netState([H, G6]);
  e = await attachFails({ hostIf: 'br0', guest: `netns:${G6}`, address: '2001:db8:1::5/64', gateway: '2001:db8:1::9' });
  assert.is(e.code, 'KERNEL');
  assert.is(e.errno, 'EINVAL');
  assert.match(e.message, /^set default route via 2001:db8:1::9 on eth1 failed: .*Gateway can not be a local address/);
  assert.equal(netState([H, G6]), before, 'zero residue');
});

test('rollback (c): the guest process exits before the first step: GUEST_NOT_RUNNING, nothing made', async () => {
  const p = await netSleeper();
  const before = netState([H]);
  const e = await attachFails({ hostIf: 'brC', guest: `pid:${p.pid}`, address: '192.0.2.60/24' }, async (_step, index) => {
    if (index === 0) await killAndReap(p);
  });
  assert.is(e.code, 'GUEST_NOT_RUNNING');
  assert.ok(e.message.startsWith(`confirm process ${p.pid} is still there: `), e.message);
  assert.equal(netState([H]), before, 'zero residue on the host');
});

test('rollback (c): the guest process exits before the final check: GUEST_NOT_RUNNING, everything undone', async () => {
  const p = await netSleeper();
  // Hold the namespace ourselves: the veth would survive in it if the rollback did not remove it.
  const held = fs.openSync(`/proc/${p.pid}/ns/net`, 'r');
  try {
    const before = netState([H]);
    const titles: string[] = [];
    let hostSideDuring: unknown;
    const e = await attachFails({ hostIf: 'brC', guest: `pid:${p.pid}`, address: '192.0.2.61/24', gateway: '192.0.2.1' }, async (step, index) => {
      titles.push(step.title);
      if (index > 0 && step.title.startsWith('confirm')) {
        hostSideDuring = ipJson(H, 'link', 'show', 'master', 'brC').map((l: any) => l.ifname);
        await killAndReap(p);
      }
    });
    assert.is(e.code, 'GUEST_NOT_RUNNING');
    const final = titles[titles.length - 1]!;
    assert.is(final, `confirm process ${p.pid} is still there`);
    assert.ok(titles.length > 5, `the final check comes after the changes: ${JSON.stringify(titles)}`);
    assert.ok(e.message.startsWith(`${final}: `), e.message);
    assert.equal(hostSideDuring, [`veth1pl${p.pid}`], 'the veth existed before the process exited');
    assert.equal(netState([H]), before, 'zero residue on the host, bridge brC included');
    assert.equal(linkNamesAt(`/proc/${process.pid}/fd/${held}`), ['lo'], 'and none in the (still held) guest namespace');
  } finally {
    fs.closeSync(held);
  }
});

test('rollback (d): the bridge removed mid-way (before the veth step): an error naming the step, zero residue', async () => {
  const G = guest('brgone');
  // A bridge that was there before the attach, deleted by someone else.
  bridge(H, 'brD', '02:00:00:00:0a:0d');
  let expectHost: unknown;
  const beforeG = netState([G]);
  let e = await attachFails({ hostIf: 'brD', guest: `netns:${G}`, address: '192.0.2.70/24' }, (step) => {
    if (step.title.startsWith('create veth')) {
      ip(H, 'link', 'del', 'brD');
      expectHost = netState([H]);
    }
  });
  assert.match(e.message, /^create veth veth1pl\w+ on bridge brD with peer eth1 in netns \S+ failed: /);
  assert.equal(netState([H]), expectHost, 'host: as the deletion left it');
  assert.equal(netState([G]), beforeG, 'guest: unchanged');

  // A bridge this attach made, deleted by someone else before the veth step.
  const before = netState([H, G]);
  e = await attachFails({ hostIf: 'brE', guest: `netns:${G}`, address: '192.0.2.71/24' }, (step) => {
    if (step.title.startsWith('create veth')) ip(H, 'link', 'del', 'brE');
  });
  assert.match(e.message, /^create veth veth1pl\w+ on bridge brE with peer eth1 in netns \S+ failed: /);
  assert.not.match(e.message, /rollback incomplete/, 'a bridge already gone needs no undoing');
  assert.equal(netState([H, G]), before, 'zero residue');
});

test('rollback (d): the bridge removed after the veth step: the final check notices, everything undone', async () => {
  const G = guest('brlate');
  const before = netState([H, G]);
  bridge(H, 'brL', '02:00:00:00:0a:0e');
  const e = await attachFails({ hostIf: 'brL', guest: `netns:${G}`, address: '192.0.2.72/24' }, (step) => {
    if (step.title.startsWith('add address')) ip(H, 'link', 'del', 'brL');
  });
  assert.match(e.message, /^confirm veth1pl\w+ is still a port of brL: bridge brL went away during the attach/);
  assert.is(e.code, 'HOSTIF_NOT_FOUND');
  assert.equal(netState([H, G]), before, 'zero residue: the bridge deleted by someone else, our veth by the rollback');
});

// ---- 4. namespace safety ------------------------------------------------------------

test('PID reuse: the guest pid:N exits and N is reused by a process in another namespace: it never gets the interface', async () => {
  const B = guest('reuse');
  for (const moment of ['before the first step', 'after the first check, before the veth is made'] as const) {
    const p = await netSleeper();
    const N = p.pid;
    const beforeB = netState([B]);
    const beforeH = netState([H]);
    let reused: (ChildProcess & { pid: number }) | undefined;
    let inBWhenChecked: string[] | undefined;
    const e = await attachFails({ hostIf: 'br0', guest: `pid:${N}`, address: '192.0.2.80/24' }, async (step, index) => {
      const swapNow = moment === 'before the first step' ? index === 0 : step.title.startsWith('create veth');
      if (swapNow) {
        await killAndReap(p);
        reused = await sleeperAtPid(N, B);
        assert.is(fs.statSync(`/proc/${N}/ns/net`).ino, netnsInode(B), `PID ${N} now lives in ${B}`);
      }
      if (index > 0 && step.title.startsWith('confirm')) inBWhenChecked = ipJson(B, 'link', 'show').map((l: any) => l.ifname);
    });
    assert.ok(reused, moment);
    assert.is(reused!.pid, N, 'the very same PID');
    assert.is(e.code, 'GUEST_NOT_RUNNING', `${moment}: ${e.message}`);
    assert.ok(e.message.startsWith(`confirm process ${N} is still there: `), e.message);
    if (moment !== 'before the first step') {
      assert.equal(inBWhenChecked, ['lo'], 'the veth, made after the swap, went into the held namespace, not into the new process\'s');
    }
    assert.equal(netState([B]), beforeB, `${moment}: the new process's namespace got nothing`);
    assert.equal(netState([H]), beforeH, `${moment}: zero residue on the host`);
    await killAndReap(reused!);
  }
});

// ---- 5. detach --all, gc ----------------------------------------------------------

test('detach --all removes every marked interface and its host side, and nothing else; again: removed=false', async () => {
  const G = guest('all');
  ip(G, 'link', 'add', 'eth9', 'type', 'veth', 'peer', 'name', 'eth9p');
  ip(G, 'link', 'set', 'eth9', 'up');
  const before = netState([H, G]);
  const sides: string[] = [];
  for (const [i, ifname] of ['eth1', 'eth2', 'eth3'].entries()) {
    sides.push((await pw.attach({ hostIf: 'br0', guest: `netns:${G}`, guestIf: ifname, address: `192.0.2.${91 + i}/24` })).hostSide!);
  }
  const d = await pw.detach({ guest: `netns:${G}`, all: true });
  assert.is(d.removed, true);
  assert.is(d.guestSide, '*');
  assert.equal(
    d.detached.map((x) => [x.guestSide, x.hostSide]).sort(),
    [['eth1', sides[0]], ['eth2', sides[1]], ['eth3', sides[2]]],
  );
  assert.equal(netState([H, G]), before, 'exactly the state before the attaches: the unmarked eth9 pair survives');
  const again = await pw.detach({ guest: `netns:${G}`, all: true });
  assert.is(again.removed, false);
  assert.equal(again.detached, []);
  assert.match(again.message, /nothing to detach/);
  const single = await pw.detach({ guest: `netns:${G}`, guestIf: 'eth1' });
  assert.is(single.removed, false);
  assert.equal(netState([H, G]), before);
});

test('gc: removes host sides whose guest is gone (netns name deleted, name re-made, process exited), keeps the rest; --dry-run lists only', async () => {
  const HG = scope.create('gchost');
  noIpv6(HG);
  bridge(HG, 'br0', '02:00:00:00:0a:0e');
  const gpw = new Pipework({ hostNetns: HG });
  try {
    const X = guest('gcx');
    const R = guest('gcr');
    const K = guest('gck');
    const Y = scope.name('gcy');
    const Y2 = scope.name('gcy2');
    const Y3 = scope.name('gcy3');
    const kept = await gpw.attach({ hostIf: 'br0', guest: `netns:${K}`, address: '198.51.100.2/24' });
    const baseline = netState([HG]);
    const x = await gpw.attach({ hostIf: 'br0', guest: `netns:${X}`, address: '198.51.100.3/24' });
    const r = await gpw.attach({ hostIf: 'br0', guest: `netns:${R}`, address: '198.51.100.4/24' });
    const p = await netSleeper();
    const rp = await gpw.attach({ hostIf: 'br0', guest: `pid:${p.pid}`, address: '198.51.100.5/24' });

    // X lives on as Y only: the mark's netns:X is gone.
    bindNetns(`${NETNS_DIR}/${X}`, Y);
    scope.delete(X);
    // R lives on as Y2, and a new, different namespace takes the name R.
    bindNetns(`${NETNS_DIR}/${R}`, Y2);
    scope.delete(R);
    scope.create('gcr');
    // The process exits; its namespace lives on as Y3.
    bindNetns(`/proc/${p.pid}/ns/net`, Y3);
    await killAndReap(p);

    const dry = await gpw.gc({ dryRun: true });
    const byHost = Object.fromEntries(dry.removed.map((e) => [e.hostSide, e]));
    assert.equal(Object.keys(byHost).sort(), [x.hostSide, r.hostSide, rp.hostSide].sort(), JSON.stringify(dry));
    assert.equal(byHost[x.hostSide!], { hostSide: x.hostSide!, guest: `netns ${X}`, guestSide: 'eth1', reason: `netns ${X} is gone` });
    assert.is(byHost[r.hostSide!]!.reason, `netns ${R} now lives in another namespace than this interface's peer`);
    assert.is(byHost[rp.hostSide!]!.reason, `process ${p.pid} is gone`);
    assert.is(dry.kept.length, 1);
    assert.equal(dry.undecided, []);
    const hostBefore = netState([HG]);
    assert.equal(ipJson(HG, 'link', 'show', 'master', 'br0').length, 4, 'the dry run removed nothing');
    assert.equal(netState([HG]), hostBefore);

    const done = await gpw.gc();
    assert.equal(done.removed.map((e) => e.hostSide).sort(), Object.keys(byHost).sort());
    assert.is(done.kept.length, 1);
    assert.match(done.message, /^removed .*; 1 kept$/);
    assert.equal(netState([HG]), baseline, 'only the live guest\'s host side is left');
    assert.equal(ipJson(HG, 'link', 'show', 'master', 'br0').map((l: any) => l.ifname), [kept.hostSide]);
    for (const ns of [Y, Y2, Y3]) assert.equal(ipJson(ns, 'link', 'show').map((l: any) => l.ifname), ['lo'], `${ns}: the guest end went too`);

    const again = await gpw.gc();
    assert.equal(again.removed, []);
    assert.is(again.message, 'nothing to remove; 1 kept');
  } finally {
    gpw.close();
  }
});

test('the CLI: detach --all, gc --dry-run lists and changes nothing, gc removes and says what, --json', async () => {
  const HG = scope.create('clihost');
  noIpv6(HG);
  bridge(HG, 'br0', '02:00:00:00:0a:0f');
  const A = guest('clia');
  const B = guest('clib');
  const Y = scope.name('cliy');
  const cli = (...argv: string[]) => pipework(['--host-netns', HG, ...argv]);
  for (const [i, g] of [[1, A], [2, A], [3, B]] as const) {
    const r = cli('br0', '-i', `eth${i}`, `netns:${g}`, `198.51.100.${10 + i}/24`);
    assert.is(r.status, 0, explain(r));
  }
  // detach --all: A's two go, B's stays
  let r = cli('detach', '--all', `netns:${A}`);
  assert.is(r.status, 0, explain(r));
  assert.match(r.stdout, new RegExp(`^removed eth1 \\(host side veth1pl\\w+\\), eth2 \\(host side veth2pl\\w+\\) from netns ${A}\\n$`));
  assert.equal(ipJson(A, 'link', 'show').map((l: any) => l.ifname), ['lo']);
  r = cli('detach', '--all', `netns:${A}`);
  assert.is(r.status, 0, explain(r));
  assert.match(r.stdout, /has no interface added by pipework: nothing to detach/);

  // B's name goes, its namespace lives on as Y: gc --dry-run lists it, gc removes it
  bindNetns(`${NETNS_DIR}/${B}`, Y);
  scope.delete(B);
  const before = netState([HG]);
  r = cli('gc', '--dry-run');
  assert.is(r.status, 0, explain(r));
  assert.match(r.stdout, new RegExp(`^ip netns exec ${HG} ip link delete veth3pl\\w+\\n$`));
  assert.equal(netState([HG]), before, 'the dry run changed nothing');
  r = cli('gc', '--json');
  assert.is(r.status, 0, explain(r));
  const out = JSON.parse(r.stdout);
  assert.is(out.ok, true);
  assert.is(out.result.removed.length, 1);
  assert.is(out.result.removed[0].reason, `netns ${B} is gone`);
  assert.match(out.result.message, /^removed veth3pl\w+ \(netns \S+ is gone\); 0 kept$/);
  assert.equal(ipJson(HG, 'link', 'show', 'master', 'br0'), []);
  assert.equal(ipJson(Y, 'link', 'show').map((l: any) => l.ifname), ['lo']);
});

withDocker('gc: a container removed while something else keeps its namespace: its host side goes; a silent engine: kept, undecided', async () => {
  ensureBusyboxImage();
  const HG = scope.create('gcdhost');
  noIpv6(HG);
  bridge(HG, 'br0', '02:00:00:00:0a:0f');
  const gpw = new Pipework({ hostNetns: HG });
  const silent = new Pipework({ hostNetns: HG, dockerHost: `unix:///run/${TAG}-${process.pid}-nosuch.sock` });
  try {
    const baseline = netState([HG]);
    const name = scope.name('gc');
    containers.push(name);
    runContainer(name);
    const r = await gpw.attach({ hostIf: 'br0', guest: `docker:${name}`, address: '198.51.100.6/24' });
    const Y = scope.name('gcdy');
    bindNetns(`/proc/${containerPid(name)}/ns/net`, Y);

    const live = await gpw.gc();
    assert.is(live.kept.length, 1, JSON.stringify(live));
    assert.equal(live.removed, []);

    removeContainer(name);
    assert.ok(ipJson(HG, 'link', 'show', 'dev', r.hostSide!).length === 1, 'the veth outlives the container: Y holds its namespace');
    const unsure = await silent.gc();
    assert.equal(unsure.removed, []);
    assert.is(unsure.undecided.length, 1, JSON.stringify(unsure));
    assert.is(unsure.undecided[0]!.hostSide, r.hostSide);
    assert.match(unsure.message, new RegExp(`kept ${r.hostSide}: cannot tell`));
    assert.is(ipJson(HG, 'link', 'show', 'dev', r.hostSide!).length, 1, 'kept when it cannot tell');

    const done = await gpw.gc();
    assert.equal(done.removed.map((e) => e.hostSide), [r.hostSide], JSON.stringify(done));
    assert.equal(netState([HG]), baseline);
    assert.equal(ipJson(Y, 'link', 'show').map((l: any) => l.ifname), ['lo']);
  } finally {
    gpw.close();
    silent.close();
  }
});

// ---- 6. concurrency -------------------------------------------------------------------

test('32 attaches at once from separate processes, racing to create the bridge; 32 detaches of one interface at once; no residue', async () => {
  assertDistFresh();
  const HC = scope.create('chost');
  noIpv6(HC);
  const guests = Array.from({ length: 32 }, (_, k) => scope.create(`c${k + 1}`));
  const before = netState([HC, ...guests]);

  const attached = await Promise.all(
    guests.map((g, k) => pipeworkAsync(['--host-netns', HC, 'brX', '-i', 'eth1', `netns:${g}`, `198.51.100.${k + 1}/24`])),
  );
  for (const r of attached) assert.is(r.status, 0, explain(r));
  assert.is(attached.filter((r) => /\(created\)/.test(r.stdout)).length, 1, 'exactly one of them created brX');
  const ports = ipJson(HC, 'link', 'show', 'master', 'brX').map((l: any) => l.ifname);
  const want = guests.map((g) => `veth1pl${netnsInode(g).toString(36)}`);
  assert.equal([...ports].sort(), [...want].sort(), '32 distinct ports, each named for its guest');
  for (const [k, g] of guests.entries()) {
    const [eth1] = ipJson(g, 'addr', 'show', 'dev', 'eth1');
    assert.equal(eth1.addr_info.filter((a: any) => a.family === 'inet').map((a: any) => a.local), [`198.51.100.${k + 1}`]);
  }

  const detached = await Promise.all(Array.from({ length: 32 }, () => pipeworkAsync(['--host-netns', HC, 'detach', '-i', 'eth1', `netns:${guests[0]}`])));
  for (const r of detached) assert.is(r.status, 0, explain(r));
  const removedBy = detached.filter((r) => r.stdout.startsWith('removed '));
  assert.is(removedBy.length, 1, detached.map((r) => r.stdout.trim()).join('\n'));
  assert.ok(removedBy[0]!.stdout.includes(want[0]!), `names the host side ${want[0]}: ${removedBy[0]!.stdout}`);
  for (const r of detached) if (r !== removedBy[0]) assert.match(r.stdout, /nothing to detach/, explain(r));

  const rest = await Promise.all(guests.slice(1).map((g) => pipeworkAsync(['--host-netns', HC, 'detach', '-i', 'eth1', `netns:${g}`])));
  for (const r of rest) assert.is(r.status, 0, explain(r));
  assert.equal(ipJson(HC, 'link', 'show', 'master', 'brX'), [], 'brX has no ports left');
  const after = netState([HC, ...guests]) as Record<string, any>;
  assert.equal(after[HC].link.map((l: any) => l.ifname), ['lo', 'brX'], 'the host holds only the bridge the attaches made');
  ip(HC, 'link', 'del', 'brX');
  assert.equal(netState([HC, ...guests]), before, 'zero residue');
});

test.run();
