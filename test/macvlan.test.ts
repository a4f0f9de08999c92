// The macvlan host-interface kind against the real kernel, in throwaway
// namespaces: a "host" namespace of the test's own holds the parents (veth
// pairs made here: a macvlan never goes on a NIC the test did not create),
// guest namespaces stand in for containers. Results are checked with
// `ip -j -d` (an independent decoder) and with our own show().
//
// The default mode goes through the library and the CLI; the other modes
// through the operations layer with a request built by hand (the request's
// macvlanMode field), as the CLI option and the library option would.
//
// What the kernel makes visible and the tests lean on: a macvlan's IFLA_LINK
// is its parent's ifindex in the namespace IFLA_LINK_NETNSID names
// (`link_index` and `link_netnsid` in `ip -j -d`); a veth cannot filter
// unicast addresses, so while any macvlan is up on it (its MAC on the veth's
// unicast list) the kernel holds it in promiscuous mode, `promiscuity` 1 in
// `ip -j -d`, back to 0 when the last one is gone (net/core/dev.c,
// __dev_set_rx_mode(): one uc_promisc, however many addresses).
//
// Namespaces: pwmac-<pid>-*; all removed in after.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Pipework, PipeworkError, type BeforeStep } from '../src';
import { NetlinkSocket } from '../src/netlink';
import { decodeArp } from '../src/packet';
import { openGuest, openHost, type Namespace } from '../src/pipework/namespace';
import { attach, type RunOptions } from '../src/pipework/operations';
import type { AttachResult } from '../src/pipework/results';
import type { AttachRequest, MacvlanMode } from '../src/request/types';
import { RTM_NEWLINK, decodeLink, decodeMacvlanMode, getLink, macvlanData, newLink } from '../src/rtnl';
import { pipeworkRejection } from './helpers/assert';
import { capture, hasTcpdump } from './helpers/capture';
import { assertDistFresh, explain, netState, pipework } from './helpers/cli';
import { macBytes, received, sent } from './helpers/golden';
import { libraryOnHost } from './helpers/library';
import { NetnsScope, ip, ipJson, run } from './helpers/netns';
import { assertConflict, attachTwice, faultAtEveryStep } from './helpers/lifecycle';
import { requireIf } from './helpers/skip';
import { captureIp, have, iproute2Version } from './helpers/strace';

const TAG = 'pwmac';
const test = suite('macvlan');
const scope = new NetnsScope(TAG);
const H = scope.name('host');
const root = process.getuid?.() === 0;
const withTcpdump = requireIf(test, hasTcpdump, 'tcpdump is not installed');

// ---- helpers ---------------------------------------------------------------

/** A guest namespace with IPv6 off (no link-local addresses changing under comparisons). */
function guest(label: string): string {
  const ns = scope.create(label);
  noIpv6(ns);
  return ns;
}

function noIpv6(ns: string): void {
  run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
}

/** A parent for macvlans: a veth pair made in ns, both ends up, the first end's MTU as given. */
function parentPair(ns: string, parent: string, peer: string, mtu = 1500): void {
  ip(ns, 'link', 'add', parent, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', peer, 'mtu', String(mtu));
  ip(ns, 'link', 'set', parent, 'up');
  ip(ns, 'link', 'set', peer, 'up');
}

interface Ask {
  hostIf?: string;
  guest: string;
  guestIf?: string;
  address?: string;
  gateway?: string;
  mac?: string;
  mode?: MacvlanMode;
  hostLinkName?: string;
}

/** The normalised request the CLI parser and the library produce, written out by hand. */
function request(o: Ask): AttachRequest {
  const r: AttachRequest = { op: 'attach', hostIf: o.hostIf ?? 'par0', guest: `netns:${o.guest}`, guestIf: o.guestIf ?? 'eth1' };
  if (o.address) {
    const [address, len] = o.address.split('/') as [string, string];
    r.address = { address, prefixLength: Number(len), family: address.includes(':') ? 6 : 4 };
  }
  if (o.gateway) r.gateway = o.gateway;
  if (o.mac) r.mac = o.mac;
  if (o.mode) r.macvlanMode = o.mode;
  if (o.hostLinkName) r.hostLinkName = o.hostLinkName;
  return r;
}

/** An attach through the operations layer, on the test's host namespace (or another one). */
async function op(o: Ask, opts: RunOptions = {}, on: Namespace = lib.host): Promise<AttachResult> {
  return (await attach(request(o), on, opts)).result;
}

/** The PipeworkError an attach through the operations layer throws (fails the test when it succeeds). */
async function opFails(o: Ask, beforeStep?: BeforeStep, on: Namespace = lib.host): Promise<PipeworkError> {
  return pipeworkRejection(`attach ${JSON.stringify(o)}`, op(o, { beforeStep }, on));
}

/** `ip -j -d link show dev DEV` in ns. */
function linkOf(ns: string, dev: string): any {
  return ipJson(ns, '-d', 'link', 'show', 'dev', dev)[0];
}

/** The namespace a guest's link_netnsid names, by its /var/run/netns name (`ip netns list-id` inside the guest). */
function nsidName(ns: string, nsid: number): string | undefined {
  return ipJson<any[]>(ns, 'netns', 'list-id').find((x) => x.nsid === nsid)?.name;
}

/** One ping from a namespace: whether an answer came within the wait. */
function reaches(from: string, to: string, waitS = 2): boolean {
  return run('ip', ['netns', 'exec', from, 'busybox', 'ping', '-c', '1', '-W', String(waitS), to]).status === 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  for (let waited = 0; waited < ms; waited += 20) {
    if (ok()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** Everything a macvlan guest link is expected to be, checked with ip -j -d and with show(). */
async function checkGuestLink(
  G: string,
  want: { dev: string; parent: string; mode: MacvlanMode; mtu: number; mac?: string; address: string; broadcast: string; gateway?: string },
): Promise<any> {
  const parentIndex = linkOf(H, want.parent).ifindex;
  const l = linkOf(G, want.dev);
  assert.is(l.linkinfo?.info_kind, 'macvlan', `${G} ${want.dev}: kind`);
  assert.is(l.linkinfo.info_data.mode, want.mode, 'mode');
  assert.is(l.link_index, parentIndex, `its parent is ${want.parent} (ifindex ${parentIndex})`);
  assert.type(l.link_netnsid, 'number', 'the parent is in another namespace');
  assert.is(nsidName(G, l.link_netnsid), H, 'that namespace is the host');
  assert.is(l.mtu, want.mtu, 'MTU');
  assert.is(l.ifalias, `pipework:2:macvlan:netns:${G}:${want.dev}`, 'our mark');
  assert.ok(l.flags.includes('UP'), 'up');
  if (want.mac) assert.is(l.address, want.mac, 'MAC');
  const [a] = ipJson(G, 'addr', 'show', 'dev', want.dev);
  const [prefix, len] = want.address.split('/');
  assert.equal(
    a.addr_info.filter((x: any) => x.family === 'inet').map((x: any) => [x.local, x.prefixlen, x.broadcast]),
    [[prefix, Number(len), want.broadcast]],
    'address and broadcast',
  );
  const routes = ipJson(G, 'route', 'show');
  if (want.gateway) {
    assert.ok(routes.some((r: any) => r.dst === 'default' && r.gateway === want.gateway && r.dev === want.dev), JSON.stringify(routes));
  } else {
    assert.not.ok(routes.some((r: any) => r.dst === 'default' && r.dev === want.dev), JSON.stringify(routes));
  }

  // our decoder's view agrees
  const s = await lib.pw.show(`netns:${G}`);
  const v = s.interfaces.find((i) => i.name === want.dev)!;
  assert.ok(v, `show lists ${want.dev}`);
  assert.is(v.kind, 'macvlan');
  assert.is(v.mac, l.address);
  assert.is(v.mtu, want.mtu);
  assert.is(v.up, true);
  assert.equal(v.addresses, [want.address]);
  if (want.gateway) assert.ok(s.routes.some((r) => r.dst === 'default' && r.via === want.gateway && r.dev === want.dev), JSON.stringify(s.routes));
  // and so do decodeLink and decodeMacvlanMode, on the guest's own answer
  const g = await openGuest(`netns:${G}`);
  try {
    const mine = (await g.ns.linkByName(want.dev))!;
    assert.is(mine.kind, 'macvlan');
    assert.is(decodeMacvlanMode(mine.infoData), want.mode);
    assert.is(mine.link, parentIndex);
    assert.is(mine.linkNetnsid, l.link_netnsid);
    assert.is(mine.alias, l.ifalias);
  } finally {
    g.ns.close();
  }
  return l;
}

/** `ip -j -d` promiscuity count of a host link: 1 while any macvlan is up on a veth, 0 when none is. */
function promiscuity(dev: string, ns = H): number {
  return linkOf(ns, dev).promiscuity;
}

// ---- hooks ------------------------------------------------------------------

const lib = libraryOnHost(test, scope, () => {
  scope.create('host');
  noIpv6(H);
  parentPair(H, 'par0', 'par1', 1400);
  return H;
});

// ---- 1. two guests on one parent, mode bridge -------------------------------

test('two guests with macvlans (mode bridge, the default) on one parent reach each other; kind, mode, parent, MTU, mark, MAC, address, route', async () => {
  const A = guest('a');
  const B = guest('b');
  const hostBefore = ipJson(H, 'link', 'show').map((l: any) => l.ifname);
  const ra = await lib.pw.attach({ hostIf: 'par0', guest: `netns:${A}`, address: '198.51.100.10/24', gateway: '198.51.100.1', mac: '02:00:5e:00:53:0a' });
  const rb = await lib.pw.attach({ hostIf: 'par0', guest: `netns:${B}`, address: '198.51.100.11/24', gateway: '198.51.100.1' });
  for (const r of [ra, rb]) {
    assert.is(r.kind, 'macvlan');
    assert.is(r.link, 'macvlan on par0, mode bridge');
    assert.is(r.hostSide, undefined, 'a macvlan has no host side');
    assert.is(r.mtu, 1400, "the parent's MTU");
    assert.equal(r.created, []);
    assert.is(r.announced, 'gratuitous-arp');
  }
  assert.is(ra.mac, '02:00:5e:00:53:0a');
  assert.equal(ra.routes, [{ dst: 'default', via: '198.51.100.1', dev: 'eth1' }]);

  await checkGuestLink(A, { dev: 'eth1', parent: 'par0', mode: 'bridge', mtu: 1400, mac: '02:00:5e:00:53:0a', address: '198.51.100.10/24', broadcast: '198.51.100.255', gateway: '198.51.100.1' });
  const lb = await checkGuestLink(B, { dev: 'eth1', parent: 'par0', mode: 'bridge', mtu: 1400, address: '198.51.100.11/24', broadcast: '198.51.100.255', gateway: '198.51.100.1' });
  assert.is(lb.address, rb.mac, 'the result names the MAC the kernel gave');

  assert.ok(reaches(A, '198.51.100.11'), 'A reaches B');
  assert.ok(reaches(B, '198.51.100.10'), 'B reaches A');
  assert.equal(ipJson(H, 'link', 'show').map((l: any) => l.ifname), hostBefore, 'the host gained no link');
  assert.is(promiscuity('par0'), 1, 'macvlans are up on par0');
  await lib.pw.detach({ guest: `netns:${A}` });
  await lib.pw.detach({ guest: `netns:${B}` });
  assert.is(promiscuity('par0'), 0);
});

test("the guest's link is born in the guest: one RTM_NEWLINK, nothing named eth1 ever appears on the host; --dry-run says so and changes nothing", async () => {
  const G = guest('born');
  const before = netState([H, G]);
  const plan = await lib.pw.planAttach({ hostIf: 'par0', guest: `netns:${G}`, address: '203.0.113.10/24', mac: '02:00:5e:00:53:10' });
  assert.equal(netState([H, G]), before, 'the dry run changed nothing');
  assert.equal(
    plan.map((s) => s.command),
    [
      `ip netns exec ${H} ip link add link par0 name eth1 mtu 1400 address 02:00:5e:00:53:10 netns ${G} type macvlan mode bridge`,
      `ip netns exec ${G} ip addr add 203.0.113.10/24 broadcast 203.0.113.255 dev eth1`,
      `ip netns exec ${G} ip link set eth1 up`,
      `ip netns exec ${G} arping -c 1 -A -I eth1 203.0.113.10`,
    ],
  );

  // Watch the host's link events while the CLI attaches.
  const monitor = spawn('ip', ['-n', H, '-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let events = '';
  monitor.stdout!.setEncoding('utf8').on('data', (d: string) => (events += d));
  try {
    await sleep(200);
    assertDistFresh();
    const r = pipework(['--host-netns', H, 'par0', `netns:${G}`, '203.0.113.10/24', '02:00:5e:00:53:10']);
    assert.is(r.status, 0, explain(r));
    assert.is(r.stdout, `attached eth1 (02:00:5e:00:53:10, 203.0.113.10/24) to netns ${G}; macvlan on par0, mode bridge\n`);
    await sleep(200);
  } finally {
    monitor.kill();
  }
  const lines = events.split('\n').filter((l) => l !== '');
  assert.ok(lines.every((l) => /^\d+: par0@par1: /.test(l)), `only par0 changed on the host (its promiscuity): ${JSON.stringify(lines)}`);
  await checkGuestLink(G, { dev: 'eth1', parent: 'par0', mode: 'bridge', mtu: 1400, mac: '02:00:5e:00:53:10', address: '203.0.113.10/24', broadcast: '203.0.113.255' });
  const r = pipework(['--host-netns', H, 'detach', `netns:${G}`]);
  assert.is(r.status, 0, explain(r));
  assert.equal(netState([H, G]), before);
});

test("the CLI, as in pipework's README: `pipework eth2 $(docker run ...) IP/24` and `pipework eth0 ... IP/24 MAC`, -i, @gateway", async () => {
  const G = guest('cli');
  let r = pipework(['--host-netns', H, 'par0', `netns:${G}`, '198.51.100.157/24']);
  assert.is(r.status, 0, explain(r));
  r = pipework(['--host-netns', H, 'par0', '-i', 'eth2', `netns:${G}`, '192.0.2.2/24@192.0.2.1', '26:2e:71:98:60:8f']);
  assert.is(r.status, 0, explain(r));
  assert.is(r.stdout, `attached eth2 (26:2e:71:98:60:8f, 192.0.2.2/24, default via 192.0.2.1) to netns ${G}; macvlan on par0, mode bridge\n`);
  await checkGuestLink(G, { dev: 'eth1', parent: 'par0', mode: 'bridge', mtu: 1400, address: '198.51.100.157/24', broadcast: '198.51.100.255' });
  await checkGuestLink(G, { dev: 'eth2', parent: 'par0', mode: 'bridge', mtu: 1400, mac: '26:2e:71:98:60:8f', address: '192.0.2.2/24', broadcast: '192.0.2.255', gateway: '192.0.2.1' });
  r = pipework(['--host-netns', H, 'show', `netns:${G}`]);
  assert.is(r.status, 0, explain(r));
  assert.match(r.stdout, /^eth2 +UP +26:2e:71:98:60:8f +mtu 1400 macvlan  192\.0\.2\.2\/24$/m);
  r = pipework(['--host-netns', H, 'detach', '--all', `netns:${G}`]);
  assert.is(r.status, 0, explain(r));
  assert.is(r.stdout, `removed eth1, eth2 from netns ${G}\n`);
  assert.equal(ipJson(G, 'link', 'show').map((l: any) => l.ifname), ['lo']);
});

// ---- 2. the announcement ----------------------------------------------------

withTcpdump("the gratuitous ARP leaves through the parent: seen on the parent's peer with the guest's MAC and IP", async () => {
  const G = guest('garp');
  let mac = '';
  const frames = await capture(H, 'par1', 'arp and src host 198.51.100.77', 1, async () => {
    mac = (await lib.pw.attach({ hostIf: 'par0', guest: `netns:${G}`, address: '198.51.100.77/24', mac: '02:00:5e:10:00:77' })).mac;
  });
  assert.is(mac, '02:00:5e:10:00:77');
  assert.is(frames.length, 1);
  const arp = decodeArp(frames[0]!)!;
  assert.ok(arp, 'an ARP frame');
  assert.is(arp.dst, 'ff:ff:ff:ff:ff:ff');
  assert.is(arp.src, mac, "the frame's source is the macvlan's MAC, not the parent's");
  assert.is(arp.op, 2, 'a reply, as arping -A sends');
  assert.is(arp.senderMac, mac);
  assert.is(arp.senderIp, '198.51.100.77');
  assert.is(arp.targetMac, mac);
  assert.is(arp.targetIp, '198.51.100.77');
  await lib.pw.detach({ guest: `netns:${G}` });
});

// ---- 3. re-runs ---------------------------------------------------------------

test('the same attach again is alreadyInPlace and changes nothing; another mode, parent, host namespace, kind, MAC or MTU is CONFLICT naming it', async () => {
  const G = guest('idem');
  parentPair(H, 'par2', 'par3', 1400);
  ip(H, 'link', 'add', 'brX', 'type', 'bridge');
  const H2 = scope.create('host2');
  noIpv6(H2);
  parentPair(H2, 'par0', 'par1', 1400);
  const host2 = openHost(H2);
  try {
    const o = { hostIf: 'par0', guest: `netns:${G}`, address: '203.0.113.20/28', gateway: '198.51.100.1', mac: '02:00:5e:00:53:20' };
    const [first, second, after1] = await attachTwice(lib.pw, o, () => netState([H, G]));
    assert.is(second.link, 'macvlan on par0, mode bridge');
    assert.is(second.mac, first.mac);
    assert.equal(second.routes, first.routes, 'the on-link route and the default route are recognised');
    // The mode asked for explicitly is the same attach; the CLI's re-run too.
    const third = await op({ guest: G, address: o.address, gateway: o.gateway, mac: o.mac, mode: 'bridge' });
    assert.is(third.alreadyInPlace, true);
    const cli = pipework(['--host-netns', H, 'par0', `netns:${G}`, `${o.address}@${o.gateway}`, o.mac]);
    assert.is(cli.status, 0, explain(cli));
    assert.is(cli.stdout, `eth1 is already attached to netns ${G} as asked (macvlan on par0, mode bridge): nothing changed\n`);
    assert.equal(netState([H, G]), after1);

    assert.is(linkOf(H2, 'par0').ifindex, linkOf(H, 'par0').ifindex, "the other host's par0 has the same ifindex");
    const base: Ask = { guest: G, address: o.address, gateway: o.gateway, mac: o.mac };
    const differences: [string, Ask, RegExp, Namespace?][] = [
      ['mode private', { ...base, mode: 'private' }, /^mode bridge, not private$/],
      ['mode passthru', { ...base, mode: 'passthru' }, /^mode bridge, not passthru$/],
      ['another parent', { ...base, hostIf: 'par2' }, /^on par0, not par2$/],
      ['a parent of the same ifindex in another host namespace', base, /^on a parent in another namespace, not par0$/, host2],
      ['a bridge', { ...base, hostIf: 'brX' }, /^it was made as a macvlan link, and brX now takes a bridge one$/],
      ['a missing br* name', { ...base, hostIf: 'brnope' }, /^it was made as a macvlan link, and brnope now takes a bridge one$/],
      ['MAC', { ...base, mac: '02:00:5e:00:53:21' }, /^MAC 02:00:5e:00:53:20, not 02:00:5e:00:53:21$/],
    ];
    for (const [what, ask, named, on] of differences) {
      const e = await opFails(ask, undefined, on);
      assertConflict(what, e, named);
      assert.equal(netState([H, G]), after1, `${what}: nothing changed`);
    }
    // The parent's MTU changed since: the guest's link no longer matches it.
    ip(H, 'link', 'set', 'par0', 'mtu', '1500');
    const e = await opFails(base);
    assert.is(e.code, 'CONFLICT');
    assert.match(e.message, /with MTU 1400, not par0's 1500: detach/);
    ip(H, 'link', 'set', 'par0', 'mtu', '1400');
    await lib.pw.detach({ guest: `netns:${G}` });
  } finally {
    host2.close();
    ip(H, 'link', 'del', 'par2');
    ip(H, 'link', 'del', 'brX');
  }
});

// ---- 4. rollback ------------------------------------------------------------------

test('rollback at every step (mode private): a failure injected before each step leaves host and guest exactly as they were', async () => {
  const G = guest('every');
  const o: Ask = { guest: G, address: '203.0.113.40/28', gateway: '198.51.100.1', mode: 'private' };
  const before = netState([H, G]);
  const titles = await faultAtEveryStep(
    (beforeStep) => op(o, { beforeStep }),
    (inject, title) => {
      assert.equal(netState([H, G]), before, `zero residue after a fault before step ${inject} (${title})`);
      assert.is(promiscuity('par0'), 0, 'no macvlan left on par0');
    },
  );
  assert.equal(titles.map((t) => t.replace(G, 'G')), [
    'confirm netns G is still there',
    'create macvlan eth1 on par0 (mode private) in netns G',
    'add address 203.0.113.40/28 to eth1',
    'bring eth1 up',
    'add on-link route to gateway 198.51.100.1 via eth1',
    'set default route via 198.51.100.1 on eth1',
    'confirm netns G is still there',
    'confirm par0 is still there',
    'announce 203.0.113.40 on eth1',
    'confirm netns G is still there',
  ]);
  assert.is(linkOf(G, 'eth1').linkinfo.info_data.mode, 'private');
  await lib.pw.detach({ guest: `netns:${G}` });
  assert.equal(netState([H, G]), before);
});

test('rollback: the parent removed mid-way (it takes the macvlan along): an error naming the step, the guest as before', async () => {
  const G = guest('pargone');
  const before = netState([G]);
  for (const [at, error] of [
    ['add address', /^add address 192\.0\.2\.50\/24 to eth1 failed: ENODEV/],
    ['confirm parR', /^confirm parR is still there: host interface parR went away during the attach$/],
  ] as const) {
    parentPair(H, 'parR', 'parS');
    const hostBefore = netState([H]);
    let hostAfterDelete: unknown;
    const e = await opFails({ hostIf: 'parR', guest: G, address: '192.0.2.50/24', gateway: '192.0.2.1' }, (step) => {
      if (step.title.startsWith(at)) {
        ip(H, 'link', 'del', 'parR');
        hostAfterDelete = netState([H]);
      }
    });
    assert.match(e.message, error, e.message);
    assert.not.match(e.message, /rollback incomplete/, 'a macvlan already gone needs no undoing');
    assert.ok(hostAfterDelete, `the fault was injected at "${at}"`);
    assert.not.equal(hostAfterDelete, hostBefore);
    assert.equal(netState([H]), hostAfterDelete, 'the host: as the deletion left it');
    assert.equal(netState([G]), before, 'the guest: unchanged');
  }
});

// ---- 5. detach, detach --all, gc ------------------------------------------------

test('detach removes the macvlan and only it; detach --all removes macvlans and veths alike; an unmarked link stays', async () => {
  const G = guest('detach');
  ip(H, 'link', 'add', 'brD', 'type', 'bridge');
  // A fixed MAC: a bridge whose MAC was never set takes its ports' lowest, and loses it with them.
  ip(H, 'link', 'set', 'brD', 'address', '02:00:00:00:0a:0d', 'up');
  ip(G, 'link', 'add', 'eth9', 'type', 'veth', 'peer', 'name', 'eth9p');
  try {
    const before = netState([H, G]);
    await lib.pw.attach({ hostIf: 'par0', guest: `netns:${G}`, address: '198.51.100.60/24' });
    const veth = await lib.pw.attach({ hostIf: 'brD', guest: `netns:${G}`, guestIf: 'eth2', address: '192.0.2.60/24' });
    const mid = netState([H]);
    assert.is(promiscuity('par0'), 1);

    const d = await lib.pw.detach({ guest: `netns:${G}`, guestIf: 'eth1' });
    assert.is(d.removed, true);
    assert.is(d.hostSide, undefined, 'a macvlan has no host side');
    assert.is(d.message, `removed eth1 from netns ${G}`);
    assert.equal(ipJson(G, 'link', 'show').map((l: any) => l.ifname).sort(), ['eth2', 'eth9', 'eth9p', 'lo']);
    assert.equal(netState([H]), mid, 'the host: untouched (par0 is still there, brD keeps its port)');
    assert.is(promiscuity('par0'), 0, 'the macvlan is gone from par0');
    const again = await lib.pw.detach({ guest: `netns:${G}`, guestIf: 'eth1' });
    assert.is(again.removed, false);
    assert.match(again.message, /nothing to detach/);

    await op({ guest: G, guestIf: 'eth3', address: '198.51.100.61/24', mode: 'vepa' });
    const r = pipework(['--host-netns', H, 'detach', '--all', `netns:${G}`]);
    assert.is(r.status, 0, explain(r));
    assert.is(r.stdout, `removed eth2 (host side ${veth.hostSide}), eth3 from netns ${G}\n`);
    assert.equal(netState([H, G]), before, 'exactly the state before the attaches: the unmarked eth9 pair survives');
  } finally {
    ip(H, 'link', 'del', 'brD');
  }
});

test('gc has nothing to do for macvlans: a deleted guest takes its macvlan along; gc removes nothing and leaves the parent alone', async () => {
  const HG = scope.create('gchost');
  noIpv6(HG);
  parentPair(HG, 'par0', 'par1');
  const gpw = new Pipework({ hostNetns: HG });
  try {
    const baseline = netState([HG]);
    const K = guest('gck');
    const D = guest('gcd');
    await gpw.attach({ hostIf: 'par0', guest: `netns:${D}`, address: '198.51.100.71/24' });
    assert.is(promiscuity('par0', HG), 1);
    assert.equal(netState([HG]), baseline, 'a macvlan, and the host has not changed');
    const live = await gpw.gc();
    assert.equal([live.removed, live.kept, live.undecided], [[], [], []], 'macvlans are nothing gc looks at');
    assert.is(live.message, 'nothing to remove; 0 kept');

    scope.delete(D);
    await until("D's macvlan is gone with its namespace", () => promiscuity('par0', HG) === 0);
    await gpw.attach({ hostIf: 'par0', guest: `netns:${K}`, address: '198.51.100.70/24' });
    const dry = await gpw.gc({ dryRun: true });
    assert.equal(dry.removed, []);
    const done = await gpw.gc();
    assert.equal([done.removed, done.kept, done.undecided], [[], [], []]);
    assert.is(done.message, 'nothing to remove; 0 kept');
    const r = pipework(['--host-netns', HG, 'gc']);
    assert.is(r.status, 0, explain(r));
    assert.is(r.stdout, 'nothing to remove; 0 kept\n');
    assert.equal(netState([HG]), baseline, 'the parent is untouched');
    assert.is(promiscuity('par0', HG), 1, "K's macvlan is still on it");
    assert.ok(reaches(K, '198.51.100.70', 1), 'K still has its address');
  } finally {
    gpw.close();
  }
});

// ---- 6. refusals ---------------------------------------------------------------------

test('refused with one clear line, nothing changed: a loopback parent, the host end of a guest veth, -l, a missing parent, the parent MAC, passthru with a MAC', async () => {
  const G = guest('refuse');
  const X = guest('refusex');
  ip(H, 'link', 'add', 'brV', 'type', 'bridge');
  ip(H, 'link', 'set', 'brV', 'up');
  try {
    // The host end of another guest's veth.
    const veth = await lib.pw.attach({ hostIf: 'brV', guest: `netns:${X}`, address: '192.0.2.80/24' });
    const parMac = linkOf(H, 'par0').address;
    const before = netState([H, G, X]);
    const cases: [string, string[], string, RegExp][] = [
      ['lo', ['lo', `netns:${G}`, '192.0.2.81/24'], 'HOSTIF_UNSUPPORTED', /^host interface lo is a loopback device: a macvlan needs an Ethernet parent$/],
      [
        'the host end of a guest veth',
        [veth.hostSide!, `netns:${G}`, '192.0.2.81/24'],
        'HOSTIF_UNSUPPORTED',
        new RegExp(`^host interface ${veth.hostSide} is one end of a veth whose other end is in another namespace \\(a guest's link\\): not a parent for a macvlan$`),
      ],
      ['-l', ['par0', '-l', 'hostmv0', `netns:${G}`, '192.0.2.81/24'], 'USAGE', /^-l hostmv0: a macvlan on par0 has no host-side end to name$/],
      [
        'a missing parent',
        ['nosuch0', `netns:${G}`, '192.0.2.81/24'],
        'HOSTIF_NOT_FOUND',
        /^host interface nosuch0 does not exist \(only missing names starting with "br" are created, as bridges, and "ovs", as Open vSwitch bridges\)$/,
      ],
      ["the parent's MAC", ['par0', `netns:${G}`, '192.0.2.81/24', parMac], 'MAC_CONFLICT', new RegExp(`^MAC ${parMac} is host interface par0's own address$`)],
    ];
    for (const [what, argv, code, message] of cases) {
      const r = pipework(['--host-netns', H, ...argv]);
      assert.is.not(r.status, 0, `${what}: ${explain(r)}`);
      assert.equal(r.stdout, '', what);
      assert.is(r.errLines.length, 1, `${what}: one line: ${explain(r)}`);
      assert.match(r.errLines[0]!, /^pipework: /, what);
      assert.match(r.errLines[0]!.slice('pipework: '.length), message, `${what}: ${r.errLines[0]}`);
      const j = pipework(['--host-netns', H, '--json', ...argv]);
      assert.is(JSON.parse(j.stdout).error.code, code, `${what}: ${j.stdout}`);
      assert.equal(netState([H, G, X]), before, `${what}: nothing changed`);
    }
    // The same through the operations layer, with the mode passthru (the kernel would take the parent's MAC instead).
    let e = await opFails({ guest: G, address: '192.0.2.81/24', mode: 'passthru', mac: '02:00:5e:00:53:81' });
    assert.is(e.code, 'USAGE');
    assert.is(e.message, `MAC 02:00:5e:00:53:81: a passthru macvlan has its parent's address (par0's ${parMac}), it cannot be given another`);
    e = await opFails({ hostIf: 'lo', guest: G, address: '192.0.2.81/24', mode: 'vepa' });
    assert.is(e.code, 'HOSTIF_UNSUPPORTED');
    assert.equal(netState([H, G, X]), before, 'nothing changed');
  } finally {
    await lib.pw.detach({ guest: `netns:${X}` });
    ip(H, 'link', 'del', 'brV');
  }
});

// ---- 7. modes ------------------------------------------------------------------------

test('modes: private and vepa (no hairpin here) guests on one parent cannot reach each other, bridge ones can; each reaches the outside', async () => {
  // One parent per mode, and on each parent's peer an address standing for the rest of the network.
  const subnets: [MacvlanMode, string, string][] = [
    ['private', 'pv', '192.0.2.0'],
    ['vepa', 'pe', '192.0.2.64'],
    ['bridge', 'pb', '192.0.2.128'],
  ];
  const base = (net: string, k: number) => net.replace(/\d+$/, (d) => String(Number(d) + k));
  try {
    for (const [mode, p, net] of subnets) {
      parentPair(H, `${p}0`, `${p}1`);
      ip(H, 'addr', 'add', `${base(net, 62)}/26`, 'dev', `${p}1`);
      const A = guest(`${p}a`);
      const B = guest(`${p}b`);
      const ra = await op({ hostIf: `${p}0`, guest: A, address: `${base(net, 1)}/26`, mode });
      await op({ hostIf: `${p}0`, guest: B, address: `${base(net, 2)}/26`, mode });
      assert.is(ra.link, `macvlan on ${p}0, mode ${mode}`);
      for (const [G, k] of [[A, 1], [B, 2]] as const) {
        await checkGuestLink(G, { dev: 'eth1', parent: `${p}0`, mode, mtu: 1500, address: `${base(net, k)}/26`, broadcast: base(net, 63) });
      }
      assert.ok(reaches(A, base(net, 62)), `${mode}: A reaches the parent's peer`);
      assert.ok(reaches(B, base(net, 62)), `${mode}: B reaches the parent's peer`);
      const sibling = reaches(A, base(net, 2), 1);
      assert.is(sibling, mode === 'bridge', `${mode}: A ${mode === 'bridge' ? 'reaches' : 'does not reach'} B`);
    }
  } finally {
    for (const [, p] of subnets) ip(H, 'link', 'del', `${p}0`);
  }
});

test("modes: passthru: one guest works with the parent's MAC; a second macvlan on that parent fails with the kernel's error and rolls back", async () => {
  parentPair(H, 'pt0', 'pt1');
  ip(H, 'addr', 'add', '192.0.2.254/26', 'dev', 'pt1');
  try {
    const A = guest('pta');
    const B = guest('ptb');
    const ptMac = linkOf(H, 'pt0').address;
    const r = await op({ hostIf: 'pt0', guest: A, address: '192.0.2.193/26', mode: 'passthru' });
    assert.is(r.link, 'macvlan on pt0, mode passthru');
    assert.is(r.mac, ptMac, "a passthru macvlan has its parent's MAC");
    await checkGuestLink(A, { dev: 'eth1', parent: 'pt0', mode: 'passthru', mtu: 1500, mac: ptMac, address: '192.0.2.193/26', broadcast: '192.0.2.255' });
    assert.ok(reaches(A, '192.0.2.254'), "A reaches the parent's peer");
    // Its own MAC (the parent's) is accepted, and the same attach is in place.
    const again = await op({ hostIf: 'pt0', guest: A, address: '192.0.2.193/26', mode: 'passthru', mac: ptMac });
    assert.is(again.alreadyInPlace, true);

    const before = netState([H, B]);
    for (const mode of ['passthru', 'bridge'] as const) {
      const e = await opFails({ hostIf: 'pt0', guest: B, address: '192.0.2.194/26', mode });
      assert.is(e.code, 'KERNEL', e.message);
      assert.is(e.errno, 'EINVAL');
      assert.ok(e.message.startsWith(`create macvlan eth1 on pt0 (mode ${mode}) in netns ${B} failed: EINVAL`), e.message);
      assert.not.match(e.message, /rollback incomplete|\n/);
      assert.equal(netState([H, B]), before, `${mode}: nothing changed`);
    }
    assert.ok(reaches(A, '192.0.2.254'), 'A still works');
  } finally {
    ip(H, 'link', 'del', 'pt0');
  }
});

test('the host cannot reach its own macvlans through their parent (a kernel property): only through the wire beyond it', async () => {
  parentPair(H, 'ph0', 'ph1');
  ip(H, 'addr', 'add', '203.0.113.1/25', 'dev', 'ph0');
  ip(H, 'addr', 'add', '203.0.113.129/25', 'dev', 'ph1');
  try {
    const G = guest('self');
    await lib.pw.attach({ hostIf: 'ph0', guest: `netns:${G}`, address: '203.0.113.2/25' });
    assert.not.ok(reaches(G, '203.0.113.1', 1), "the guest does not reach the parent's own address");
    assert.not.ok(run('ip', ['netns', 'exec', H, 'busybox', 'ping', '-c', '1', '-W', '1', '203.0.113.2']).status === 0, 'nor the host the guest, through ph0');
    await lib.pw.detach({ guest: `netns:${G}` });
  } finally {
    ip(H, 'link', 'del', 'ph0');
  }
});

// ---- 8. golden bytes ----------------------------------------------------------------

// iproute2-6.1.0's RTM_NEWLINK for these commands, captured with
//   ip netns exec NS strace -qq -e trace=sendmsg,sendto -e write=all ip ARGS...
// (test/helpers/strace.ts) in a fresh namespace NS after
// `ip link add par0 type veth peer name par1`, which makes par1 ifindex 2 and
// par0 ifindex 3. The attribute order is iproute2's: MTU, ADDRESS, NET_NS_FD
// in command-line order, then IFLA_LINK and IFLA_IFNAME (resolved after the
// list), then IFLA_LINKINFO, neither it nor IFLA_INFO_DATA flagged nested.
// NET_NS_FD is the number of the fd iproute2 opened on /run/netns/GUEST: 4
// (0-2 stdio, 3 its rtnetlink socket); our encoder is pure, so the test passes
// 4 as well. Compared as the kernel receives them: our flags | NLM_F_REQUEST |
// NLM_F_ACK (the socket adds those), nlmsg_seq and nlmsg_pid zeroed on both sides.
const GOLDEN = {
  // ip link add link par0 name mv0 mtu 1400 address 02:00:00:00:00:01 type macvlan mode bridge
  plain: {
    cmd: 'link add link par0 name mv0 mtu 1400 address 02:00:00:00:00:01 type macvlan mode bridge',
    hex:
      '60000000 1000 0506 1a32136b 00000000 00000000 00000000 00000000 00000000' +
      ' 0800 0400 78050000' + // IFLA_MTU 1400
      ' 0a00 0100 02000000 00010000' + // IFLA_ADDRESS
      ' 0800 0500 03000000' + // IFLA_LINK 3 (par0)
      ' 0800 0300 6d763000' + // IFLA_IFNAME "mv0"
      ' 1c00 1200' + // IFLA_LINKINFO
      '  0b00 0100 6d616376 6c616e00' + // IFLA_INFO_KIND "macvlan" (no NUL; padding)
      '  0c00 0200 0800 0100 04000000', // IFLA_INFO_DATA { IFLA_MACVLAN_MODE 4 (bridge) }
  },
  // ip link add link par0 name mv1 mtu 1400 address 02:00:00:00:00:02 netns GUEST type macvlan mode bridge
  netns: {
    cmd: 'link add link par0 name mv1 mtu 1400 address 02:00:00:00:00:02 netns GUEST type macvlan mode bridge',
    hex:
      '68000000 1000 0506 1a32136b 00000000 00000000 00000000 00000000 00000000' +
      ' 0800 0400 78050000 0a00 0100 02000000 00020000' +
      ' 0800 1c00 04000000' + // IFLA_NET_NS_FD 4
      ' 0800 0500 03000000 0800 0300 6d763100' +
      ' 1c00 1200 0b00 0100 6d616376 6c616e00 0c00 0200 0800 0100 04000000',
  },
  // ip link add link par0 name mv2 type macvlan mode private
  private: {
    cmd: 'link add link par0 name mv2 type macvlan mode private',
    hex:
      '4c000000 1000 0506 1a32136b 00000000 00000000 00000000 00000000 00000000' +
      ' 0800 0500 03000000 0800 0300 6d763200' +
      ' 1c00 1200 0b00 0100 6d616376 6c616e00 0c00 0200 0800 0100 01000000', // IFLA_MACVLAN_MODE 1 (private)
  },
} as const;

const PAR0 = 3;
const GUEST_FD = 4;

const ours = {
  plain: () => newLink({ name: 'mv0', mtu: 1400, mac: macBytes('02:00:00:00:00:01'), link: PAR0, kind: 'macvlan', infoData: macvlanData('bridge') }),
  netns: () => newLink({ name: 'mv1', mtu: 1400, mac: macBytes('02:00:00:00:00:02'), link: PAR0, nsFd: GUEST_FD, kind: 'macvlan', infoData: macvlanData('bridge') }),
  private: () => newLink({ name: 'mv2', link: PAR0, kind: 'macvlan', infoData: macvlanData('private') }),
};

test('golden: ip link add link par0 name mv0 mtu 1400 address ... type macvlan mode bridge == newLink({ link, mtu, mac, kind, macvlanData })', () => {
  assert.is(sent(ours.plain()), received(GOLDEN.plain.hex));
});

test('golden: ... netns GUEST type macvlan mode bridge == newLink({ ..., nsFd }), IFLA_NET_NS_FD where iproute2 puts it', () => {
  assert.is(sent(ours.netns()), received(GOLDEN.netns.hex));
});

test('golden: ip link add link par0 name mv2 type macvlan mode private == newLink(...), and every mode number is if_link.h\'s', () => {
  assert.is(sent(ours.private()), received(GOLDEN.private.hex));
  // enum macvlan_mode (linux/if_link.h): PRIVATE 1, VEPA 2, BRIDGE 4, PASSTHRU 8; read back by decodeMacvlanMode
  for (const [mode, value] of [['private', 1], ['vepa', 2], ['bridge', 4], ['passthru', 8]] as const) {
    const b = newLink({ name: 'x', kind: 'macvlan', infoData: macvlanData(mode) });
    // nlmsghdr 16, ifinfomsg 16, IFLA_IFNAME "x" 8, IFLA_LINKINFO 4, IFLA_INFO_KIND "macvlan" 12, IFLA_INFO_DATA 4, then the mode
    const data = b.subarray(16 + 16 + 8 + 4 + 12);
    assert.is(data.readUInt16LE(2), 2, 'IFLA_INFO_DATA');
    assert.is(data.readUInt32LE(8), value, mode);
    assert.is(decodeMacvlanMode(data.subarray(4, data.readUInt16LE(0))), mode);
  }
  assert.is(decodeMacvlanMode(undefined), undefined);
  assert.is(decodeMacvlanMode(Buffer.from('0800010010000000', 'hex')), undefined, "MACVLAN_MODE_SOURCE (16) is not one we make");
});

const version = iproute2Version();
const CAPTURED_WITH = 'iproute2-6.1.0';
const haveStrace = have('strace', ['-V']);
const recaptureWhyNot = !root
  ? 'not root'
  : !haveStrace
    ? 'strace not installed'
    : version !== CAPTURED_WITH
      ? `the bytes were captured from ${CAPTURED_WITH}, this is ${version}; a different layout would not be our bug`
      : undefined;
const recapture = requireIf(test, recaptureWhyNot === undefined, recaptureWhyNot ?? '');

recapture('golden: the captures are what this iproute2 sends today (strace, fresh namespace)', () => {
  const ns = scope.create('cap');
  const g = scope.create('capguest');
  ip(ns, 'link', 'add', 'par0', 'type', 'veth', 'peer', 'name', 'par1');
  assert.is(linkOf(ns, 'par0').ifindex, PAR0);
  for (const [key, gold] of Object.entries(GOLDEN)) {
    const cap = captureIp(ns, ...gold.cmd.replace('GUEST', g).split(' '));
    assert.is(cap.status, 0, `ip ${gold.cmd}: ${cap.stderr.split('\n').filter((l) => /^(Error|RTNETLINK)/.test(l)).join(' ')}`);
    const last = cap.messages.filter((m) => m.readUInt16LE(4) === RTM_NEWLINK).pop();
    assert.ok(last, `ip ${gold.cmd} sent no RTM_NEWLINK that strace showed`);
    assert.is(received(last!), received(gold.hex), `${key}: ip ${gold.cmd}`);
  }
});

test('golden, live: our messages make what iproute2 makes (ip -j -d of both, the one born in a guest too)', async () => {
  const view = (ns: string, dev: string) => {
    const l = linkOf(ns, dev);
    // A MAC not asked for is the kernel's random one.
    return { mtu: l.mtu, address: /^02:00:00:00:00:/.test(l.address) ? l.address : 'random', kind: l.linkinfo.info_kind, mode: l.linkinfo.info_data.mode, link: l.link ?? l.link_index, netnsid: l.link_netnsid !== undefined };
  };
  const theirs = scope.create('ipway');
  const theirGuest = scope.create('ipwayguest');
  const mine = scope.create('ourway');
  const myGuest = scope.create('ourwayguest');
  for (const ns of [theirs, mine]) ip(ns, 'link', 'add', 'par0', 'type', 'veth', 'peer', 'name', 'par1');
  for (const gold of Object.values(GOLDEN)) ip(theirs, ...gold.cmd.replace('GUEST', theirGuest).split(' '));
  const fd = fs.openSync(`/var/run/netns/${mine}`, 'r');
  const guestFd = fs.openSync(`/var/run/netns/${myGuest}`, 'r');
  const sock = new NetlinkSocket({ nsFd: fd });
  try {
    const par0 = decodeLink((await sock.request(getLink({ name: 'par0' })))[0]!).index;
    await sock.request(newLink({ name: 'mv0', mtu: 1400, mac: macBytes('02:00:00:00:00:01'), link: par0, kind: 'macvlan', infoData: macvlanData('bridge') }));
    await sock.request(newLink({ name: 'mv1', mtu: 1400, mac: macBytes('02:00:00:00:00:02'), link: par0, nsFd: guestFd, kind: 'macvlan', infoData: macvlanData('bridge') }));
    await sock.request(newLink({ name: 'mv2', link: par0, kind: 'macvlan', infoData: macvlanData('private') }));
  } finally {
    sock.close();
    fs.closeSync(fd);
    fs.closeSync(guestFd);
  }
  for (const dev of ['mv0', 'mv2']) assert.equal(view(mine, dev), view(theirs, dev), dev);
  assert.equal(view(myGuest, 'mv1'), view(theirGuest, 'mv1'), 'mv1, in the guest');
  assert.equal(view(myGuest, 'mv1'), { mtu: 1400, address: '02:00:00:00:00:02', kind: 'macvlan', mode: 'bridge', link: PAR0, netnsid: true });
  assert.is(view(mine, 'mv2').mode, 'private');
});

test.run();
