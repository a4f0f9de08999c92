// @VID on a NIC (a VLAN device NIC.VID under the guest's macvlan or ipvlan),
// @VID on a Linux bridge (an untagged access port), --ipvlan, and the '@'
// text read once the host interface is known, against the real kernel in
// throwaway namespaces (pwvlan-<pid>-*): the parents are veths made here.
//
// This kernel has no 8021q, no ipvlan and no bridge VLAN filtering: what a
// user sees then (one line, exit 1, everything rolled back) is tested live
// here; the attaches themselves run where the kernel has the feature and
// are skipped, saying why, where it has not. Our bytes against iproute2's
// for the same requests: test/rtnl-kinds-golden.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Pipework } from '../src';
import { hasUppers } from '../src/pipework/hostif/uppers';
import { openHost, type Namespace } from '../src/pipework/namespace';
import { assertDistFresh, explain, netState, pipework } from './helpers/cli';
import { NetnsScope, ip, ipJson, ipTry, run } from './helpers/netns';
import { requireIf } from './helpers/skip';

const test = suite('vlan');
const scope = new NetnsScope('pwvlan');
const H = scope.name('host');
let pw: Pipework;
let host: Namespace;

/** Whether this kernel makes links of that kind (`ip link add ... type KIND ...` in a scratch namespace). */
function kernelHas(what: 'vlan' | 'ipvlan' | 'vlan_filtering'): boolean {
  const ns = scope.create(`probe${what.replace('_', '')}`);
  try {
    ip(ns, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
    if (what === 'vlan') return ipTry(ns, 'link', 'add', 'link', 'p0', 'name', 'p0.7', 'type', 'vlan', 'id', '7').status === 0;
    if (what === 'ipvlan') return ipTry(ns, 'link', 'add', 'link', 'p0', 'name', 'x', 'type', 'ipvlan', 'mode', 'l2').status === 0;
    ip(ns, 'link', 'add', 'b0', 'type', 'bridge');
    return ipTry(ns, 'link', 'set', 'dev', 'b0', 'type', 'bridge', 'vlan_filtering', '1').status === 0;
  } finally {
    scope.delete(ns);
  }
}

const root = process.getuid?.() === 0;
const has = root ? { vlan: kernelHas('vlan'), ipvlan: kernelHas('ipvlan'), filtering: kernelHas('vlan_filtering') } : { vlan: false, ipvlan: false, filtering: false };
const withVlan = requireIf(test, has.vlan, 'this kernel makes no VLAN devices (no 8021q)');
const withoutVlan = requireIf(test, !has.vlan, 'this kernel makes VLAN devices: its refusal cannot be seen here');
const withIpvlan = requireIf(test, has.ipvlan, 'this kernel makes no ipvlan devices');
const withoutIpvlan = requireIf(test, !has.ipvlan, 'this kernel makes ipvlan devices: its refusal cannot be seen here');
const withFiltering = requireIf(test, has.filtering, 'this kernel has no bridge VLAN filtering (vlan_filtering 1: EOPNOTSUPP)');
const withoutFiltering = requireIf(test, !has.filtering, 'this kernel filters VLANs on bridges: its refusal cannot be seen here');

/** IPv6 off: no link-local addresses appearing under the before/after comparisons. */
function noIpv6(ns: string): string {
  run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  return ns;
}

const guest = (label: string): string => noIpv6(scope.create(label));

/** The CLI on the test's host namespace; fails the test unless it exits as expected with one line. */
function refused(argv: string[], status: number, line: RegExp, namespaces: string[]): void {
  const before = netState(namespaces);
  const r = pipework(['--host-netns', H, ...argv]);
  assert.is(r.status, status, explain(r));
  assert.is(r.stdout, '', explain(r));
  assert.is(r.errLines.length, 1, `one line: ${explain(r)}`);
  assert.match(r.errLines[0]!, line, explain(r));
  assert.equal(netState(namespaces), before, `nothing changed: ${argv.join(' ')}`);
}

test.before(() => {
  assertDistFresh();
  noIpv6(scope.create('host'));
  for (const [a, b] of [
    ['par0', 'par1'],
    ['par2', 'par3'],
  ]) {
    ip(H, 'link', 'add', a, 'mtu', '1400', 'type', 'veth', 'peer', 'name', b, 'mtu', '1400');
    ip(H, 'link', 'set', a, 'up');
    ip(H, 'link', 'set', b, 'up');
  }
  ip(H, 'link', 'add', 'brv', 'type', 'bridge');
  // A fixed MAC: a bridge whose MAC was never set takes its ports' lowest, and loses it with them.
  ip(H, 'link', 'set', 'brv', 'address', '02:00:00:00:0a:0e', 'up');
  pw = new Pipework({ hostNetns: H });
  host = openHost(H);
});

test.after(() => {
  pw?.close();
  host?.close();
  scope.cleanup();
});

// ---- 1. the kernel's refusals, end to end -------------------------------------

withoutVlan('@10 on a NIC, no 8021q: one line naming what the kernel lacks, exit 1, nothing left (no par0.10, no macvlan)', () => {
  const G = guest('novlan');
  refused(
    ['par0', `netns:${G}`, '198.51.100.10/24', '@10'],
    1,
    /^pipework: create VLAN device par0\.10: this kernel cannot make VLAN devices \(it says "Unknown device type"\): it needs the 8021q module \(CONFIG_VLAN_8021Q\)$/,
    [H, G],
  );
  const j = pipework(['--host-netns', H, '--json', 'par0', `netns:${G}`, '198.51.100.10/24', '@10']);
  const err = JSON.parse(j.stdout).error;
  assert.equal([err.code, err.errno], ['KERNEL', 'ENOTSUP']);
  // the same with --ipvlan: the VLAN device is the first thing made
  refused(['--ipvlan', 'l2', 'par0', `netns:${G}`, '198.51.100.10/24', '@10'], 1, /^pipework: create VLAN device par0\.10: this kernel cannot make VLAN devices/, [H, G]);
});

withoutIpvlan('--ipvlan on a NIC, no ipvlan: one line, exit 1, nothing left', () => {
  const G = guest('noipvlan');
  refused(
    ['--ipvlan', 'l3', 'par0', `netns:${G}`, '198.51.100.11/24'],
    1,
    /^pipework: create ipvlan eth1 on par0 \(mode l3\) in netns \S+: this kernel cannot make ipvlan devices \(it says "Unknown device type"\): it needs the ipvlan module \(CONFIG_IPVLAN\)$/,
    [H, G],
  );
});

withoutFiltering('@10 on a bridge, no VLAN filtering: one line, exit 1, the veth and a bridge made for it rolled back, the bridge not left filtering', () => {
  const G = guest('nofilter');
  const line = /^pipework: turn on VLAN filtering on bridge (brv|brnew): this kernel cannot filter VLANs on a bridge \(EOPNOTSUPP\): it needs bridge VLAN filtering \(CONFIG_BRIDGE_VLAN_FILTERING\)$/;
  refused(['brv', `netns:${G}`, '198.51.100.12/24', '@10'], 1, line, [H, G]);
  // a missing br* name: the bridge made for the attach goes too
  refused(['brnew', `netns:${G}`, '198.51.100.12/24', '@10'], 1, line, [H, G]);
  assert.is(ipTry(H, 'link', 'show', 'brnew').status, 1, 'brnew was removed');
  assert.is(ipJson(H, '-d', 'link', 'show', 'brv')[0].linkinfo.info_data.vlan_filtering, 0);
});

// ---- 2. refusals before anything is made ---------------------------------------

test('an existing par0.10 that is no VLAN device of tag 10 on par0 is refused, as the original; nothing changed', async () => {
  const G = guest('taken');
  ip(H, 'link', 'add', 'par0.10', 'type', 'veth', 'peer', 'name', 'par0.10p');
  try {
    refused(['par0', `netns:${G}`, '198.51.100.13/24', '@10'], 1, /^pipework: host interface par0\.10 already exists but is not a VLAN device \(it is a veth link\)$/, [H, G]);
    const j = pipework(['--host-netns', H, '--json', 'par0', `netns:${G}`, '198.51.100.13/24', '@10']);
    assert.is(JSON.parse(j.stdout).error.code, 'LINK_EXISTS');
  } finally {
    ip(H, 'link', 'del', 'par0.10');
  }
});

test("'@' text that is no VLAN id (@4095, @010, @abc: partition keys on InfiniBand) is refused as one on a NIC and a bridge (exit 2), nothing changed", () => {
  const G = guest('tag');
  for (const [hostIf, tag, why] of [
    ['par0', '4095', /is out of range: 1\.\.4094$/],
    ['brv', '010', /has a leading zero \(write it in decimal without one\)$/],
    ['par0', 'abc', /is not a number 1\.\.4094$/],
  ] as const) {
    refused([hostIf, `netns:${G}`, '198.51.100.14/24', `@${tag}`], 2, new RegExp(`^pipework: VLAN id ${tag} in @${tag} ${why.source}`), [H, G]);
  }
});

test('--ipvlan: refused on a bridge, with --macvlan-mode, with another MAC, with -l, with a bad mode; for another command (exit 2, nothing changed)', () => {
  const G = guest('ipvlanbad');
  const parMac = ipJson(H, 'link', 'show', 'par0')[0].address;
  const cases: [string[], RegExp][] = [
    [['--ipvlan', 'l2', 'brv', `netns:${G}`, '198.51.100.15/24'], /^pipework: --ipvlan l2: an ipvlan needs a physical host interface, and brv is taken as a bridge host interface$/],
    [['--ipvlan', 'l2', '--macvlan-mode', 'vepa', 'par0', `netns:${G}`, '198.51.100.15/24'], /^pipework: --macvlan-mode vepa and --ipvlan l2: a guest gets a macvlan or an ipvlan, not both$/],
    [['--ipvlan=l2', 'par0', `netns:${G}`, '198.51.100.15/24', '02:00:5e:00:53:15'], new RegExp(`^pipework: MAC 02:00:5e:00:53:15: an ipvlan has its parent's address \\(par0's ${parMac}\\), it cannot be given another$`)],
    [['par0', '-l', 'x0', `netns:${G}`, '198.51.100.15/24', '--ipvlan', 'l3s'], /^pipework: -l x0: an ipvlan on par0 has no host-side end to name$/],
    [['--ipvlan', 'l4', 'par0', `netns:${G}`, '198.51.100.15/24'], /^pipework: ipvlan mode \(--ipvlan\) takes l2, l3 or l3s, not l4$/],
    [['show', `netns:${G}`, '--ipvlan', 'l2'], /^pipework: --ipvlan applies only to attach: /],
  ];
  for (const [argv, line] of cases) refused(argv, 2, line, [H, G]);
});

// ---- 3. --dry-run ------------------------------------------------------------------

test('--dry-run shows the VLAN device, the ipvlan, the port VLAN and the filtering that would be made; nothing is', () => {
  const G = guest('dry');
  const before = netState([H, G]);
  const dry = (argv: string[]): string[] => {
    const r = pipework(['--host-netns', H, '--dry-run', ...argv]);
    assert.is(r.status, 0, explain(r));
    return r.stdout.split('\n');
  };
  const x = `ip netns exec ${H} `;
  let out = dry(['par0', `netns:${G}`, '198.51.100.16/24', '@10']);
  assert.ok(out.includes(`${x}ip link add link par0 name par0.10 mtu 1400 up type vlan id 10`), out.join('\n'));
  assert.ok(out.includes(`${x}ip link add link par0.10 name eth1 mtu 1400 netns ${G} type macvlan mode bridge`), out.join('\n'));
  out = dry(['--ipvlan', 'l3', 'par0', `netns:${G}`, '198.51.100.16/24', '@20']);
  assert.ok(out.includes(`${x}ip link add link par0 name par0.20 mtu 1400 up type vlan id 20`), out.join('\n'));
  assert.ok(out.includes(`${x}ip link add link par0.20 name eth1 mtu 1400 netns ${G} type ipvlan mode l3`), out.join('\n'));
  assert.not.ok(out.some((l) => l.includes('arping')), 'no announcement in mode l3');
  out = dry(['--ipvlan', 'l2', 'par0', `netns:${G}`, '198.51.100.16/24']);
  assert.ok(out.includes(`${x}ip link add link par0 name eth1 mtu 1400 netns ${G} type ipvlan mode l2`), out.join('\n'));
  assert.ok(out.some((l) => l.includes('arping')), 'an announcement in mode l2');
  out = dry(['brv', `netns:${G}`, '198.51.100.16/24', '@10']);
  const vethLine = out.findIndex((l) => l.includes('type veth peer name eth1'));
  assert.ok(vethLine >= 0, out.join('\n'));
  const host = /ip link add (\S+) /.exec(out[vethLine]!)![1];
  assert.equal(out.slice(vethLine + 1, vethLine + 4), [
    `${x}ip link set dev brv type bridge vlan_filtering 1`,
    `${x}bridge vlan add dev ${host} vid 10 pvid untagged`,
    `${x}bridge vlan del dev ${host} vid 1`,
  ]);
  const j = JSON.parse(pipework(['--host-netns', H, '--dry-run', '--json', 'brv', `netns:${G}`, '198.51.100.16/24', '@10']).stdout);
  assert.is(j.result.link, `host side ${host} on bridge brv, untagged in VLAN 10`);
  assert.equal(netState([H, G]), before, 'a dry run changes nothing');
});

// ---- 4. the probe that tells whether a VLAN device we made still has guests ------------

test('hasUppers: true while a macvlan (down, in another namespace) hangs on the link, false once it is gone; the probe leaves nothing', async () => {
  const G = guest('uppers');
  const index = ipJson(H, 'link', 'show', 'par2')[0].ifindex as number;
  const before = netState([H, G]);
  assert.is(await hasUppers(host, index), false);
  assert.equal(netState([H, G]), before, 'the probe left nothing');
  ip(H, 'link', 'add', 'link', 'par2', 'name', 'mv0', 'netns', G, 'type', 'macvlan', 'mode', 'bridge');
  const mid = netState([H, G]);
  assert.is(await hasUppers(host, index), true, 'a down macvlan in a guest counts');
  assert.equal(netState([H, G]), mid);
  // and one made by us, up, as an attach makes it
  await pw.attach({ hostIf: 'par2', guest: `netns:${G}`, guestIf: 'eth5', address: '198.51.100.17/24' });
  ip(G, 'link', 'del', 'mv0');
  assert.is(await hasUppers(host, index), true, "the attach's macvlan counts");
  await pw.detach({ guest: `netns:${G}`, guestIf: 'eth5' });
  assert.is(await hasUppers(host, index), false);
  assert.equal(netState([H, G]), before);
});

// ---- 5. where the kernel has the feature -----------------------------------------

withVlan('@10 on a NIC: par0.10 made (ours, up), two guests share it, the first detach keeps it, the last removes it', async () => {
  const A = guest('va');
  const B = guest('vb');
  const before = netState([H, A, B]);
  const a = await pw.attach({ hostIf: 'par0', guest: `netns:${A}`, address: '198.51.100.20/24', mac: '@10' });
  assert.equal(a.created, ['VLAN device par0.10']);
  assert.is(a.link, 'macvlan on par0.10 (VLAN 10 on par0), mode bridge');
  const v = ipJson(H, '-d', 'link', 'show', 'par0.10')[0];
  assert.equal([v.linkinfo.info_kind, v.linkinfo.info_data.id, v.link, v.ifalias], ['vlan', 10, 'par0', 'pipework:2:vlan:shared']);
  const b = await pw.attach({ hostIf: 'par0', guest: `netns:${B}`, address: '198.51.100.21/24', vlan: 10 });
  assert.equal(b.created, []);
  const again = await pw.attach({ hostIf: 'par0', guest: `netns:${A}`, address: '198.51.100.20/24', mac: '@10' });
  assert.ok(again.alreadyInPlace);
  await pw.detach({ guest: `netns:${A}` });
  assert.is(ipTry(H, 'link', 'show', 'par0.10').status, 0, 'B still uses it');
  await pw.detach({ guest: `netns:${B}` });
  assert.equal(netState([H, A, B]), before, 'par0.10 went with its last guest');
});

withIpvlan('--ipvlan l2 on a NIC: an ipvlan with the parent MAC, mode l2, announced; detach removes it', async () => {
  const G = guest('ipv');
  const before = netState([H, G]);
  const r = await pw.attach({ hostIf: 'par0', guest: `netns:${G}`, address: '198.51.100.22/24', ipvlanMode: 'l2' });
  assert.is(r.link, 'ipvlan on par0, mode l2');
  const l = ipJson(G, '-d', 'link', 'show', 'eth1')[0];
  assert.equal([l.linkinfo.info_kind, l.linkinfo.info_data.mode, l.address], ['ipvlan', 'l2', ipJson(H, 'link', 'show', 'par0')[0].address]);
  await pw.detach({ guest: `netns:${G}` });
  assert.equal(netState([H, G]), before);
});

withFiltering('@10 on a bridge: filtering turned on (said so), the port untagged in VLAN 10 only; detach leaves filtering on', async () => {
  const G = guest('bv');
  const r = await pw.attach({ hostIf: 'brv', guest: `netns:${G}`, address: '198.51.100.23/24', vlan: 10 });
  assert.ok(r.notes.some((n) => /^turned on VLAN filtering on bridge brv/.test(n)), r.notes.join('\n'));
  const vlans = JSON.parse(run('ip', ['netns', 'exec', H, 'bridge', '-j', 'vlan', 'show', 'dev', r.hostSide!]).stdout);
  assert.equal(vlans[0].vlans, [{ vlan: 10, flags: ['PVID', 'Egress Untagged'] }]);
  await pw.detach({ guest: `netns:${G}` });
  assert.is(ipJson(H, '-d', 'link', 'show', 'brv')[0].linkinfo.info_data.vlan_filtering, 1);
});

test.run();

