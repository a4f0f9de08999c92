// The Open vSwitch kind against a real ovsdb-server and ovs-vswitchd
// (helpers/ovs.ts: their own database, sockets, pid files and runtime folder
// under a temporary folder; ovs-vswitchd inside the test's host namespace,
// where the userspace datapath, datapath_type=netdev, opens our veths: this
// VM has no OVS kernel module). ovs-vsctl and ovs-appctl are the oracle,
// `ip -j` the kernel's; traffic is ARP between guest namespaces through the
// userspace datapath, which forwards between veth ports here.
//
// Namespaces: pwovs-<pid>-*; OVS folder: $TMPDIR/pwovs-ovs-<pid>-*; both removed in after.
import { ChildProcess } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Pipework, PipeworkError, type AttachOptions } from '../src';
import { assertDistFresh, explain, netState, pipework } from './helpers/cli';
import { NetnsScope, ip, ipJson, pidAlive, run, startSleeper } from './helpers/netns';
import { OvsInstance, ovsInstalled } from './helpers/ovs';
import { faultAtEveryStep } from './helpers/lifecycle';
import { requireIf } from './helpers/skip';

const TAG = 'pwovs';
const test = suite('ovs');
const maybe = requireIf(test, ovsInstalled && process.getuid?.() === 0, 'Open vSwitch (package openvswitch-switch) is not installed, or not root');
const scope = new NetnsScope(TAG);
const H = scope.name('host');
const BR = 'ovspw0';
let ovs: OvsInstance;
let pw: Pipework;
const sleepers: ChildProcess[] = [];

function guest(label: string): string {
  const ns = scope.create(label);
  run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  return ns;
}

async function fails(what: string, p: Promise<unknown>): Promise<PipeworkError> {
  try {
    const r = await p;
    assert.unreachable(`${what} succeeded: ${JSON.stringify(r)}`);
  } catch (e) {
    if (e instanceof assert.Assertion) throw e;
    assert.instance(e, PipeworkError, String(e));
    return e as PipeworkError;
  }
  throw new Error('unreachable');
}

/** The ports, their tags and their interfaces' external_ids, as ovs-vsctl lists them. */
function ovsState(): Record<string, unknown> {
  const ifaces = Object.fromEntries(ovs.find('Interface').map((i) => [i.name, i.external_ids]));
  return {
    bridges: ovs.find('Bridge').map((b) => ({ name: b.name, datapath: b.datapath_type, ports: (b.ports as string[]).length })),
    ports: Object.fromEntries(ovs.find('Port').map((p) => [p.name, { tag: p.tag, ids: ifaces[p.name as string] }])),
  };
}

const portNames = (): string[] => ovs.find('Port').map((p) => p.name as string).sort();
const hostLink = (name: string): any => ipJson<any[]>(H, '-d', 'link', 'show').find((l) => l.ifname === name);

test.before(async () => {
  if (!ovsInstalled) return;
  assertDistFresh();
  scope.create('host');
  ovs = await OvsInstance.start(TAG, H);
  pw = new Pipework({ hostNetns: H, ovsdb: ovs.endpoint });
});

test.after(async () => {
  pw?.close();
  for (const s of sleepers) s.kill('SIGKILL');
  const pids = [ovs?.serverPid, ovs?.vswitchdPid].filter((p): p is number => p !== undefined);
  await ovs?.stop();
  scope.cleanup();
  // Nothing of ours left running.
  for (const pid of pids) assert.not.ok(pidAlive(pid), `process ${pid} still runs`);
});

const A = () => scope.name('ga');
const B = () => scope.name('gb');

maybe('attach to a missing ovs* name: the bridge is created (netdev), the port has its tag and the original\'s external_ids, ovs-vswitchd took it', async () => {
  guest('ga');
  const r = await pw.attach({ hostIf: BR, guest: `netns:${A()}`, address: '192.0.2.1/24', vlan: 10, ovsDatapath: 'netdev' });
  assert.is(r.kind, 'ovs');
  assert.equal(r.created, [`Open vSwitch bridge ${BR}`]);
  assert.ok(r.hostSide);
  assert.is(r.link, `host side ${r.hostSide} on Open vSwitch bridge ${BR}, tag 10 (created)`);
  const [bridge] = ovs.find('Bridge', `name=${BR}`);
  assert.is(bridge?.datapath_type, 'netdev');
  const [port] = ovs.find('Port', `name=${r.hostSide}`);
  assert.is(port?.tag, 10);
  assert.ok((bridge!.ports as string[]).includes(port!._uuid as string), 'the port is on the bridge');
  const [iface] = ovs.find('Interface', `name=${r.hostSide}`);
  assert.equal(iface?.external_ids, {
    'pipework.interface': r.hostSide,
    'pipework.bridge': BR,
    'pipework.vlan': '10',
    'pipework.mark': `pipework:2:ovs:netns:${A()}:eth1`,
  });
  assert.ok((iface!.ofport as number) > 0, `ofport ${iface!.ofport}`);
  assert.equal(iface!.error, []);
  // The kernel's view: the host end is a veth, up, with no kernel master; the guest end has the address.
  const l = hostLink(r.hostSide!);
  assert.is(l.linkinfo.info_kind, 'veth');
  assert.ok(l.flags.includes('UP'));
  assert.is(l.master, undefined);
  assert.is(l.ifalias, `pipework:2:ovs:netns:${A()}:eth1`);
  const addr = ipJson<any[]>(A(), 'addr', 'show', 'dev', 'eth1')[0];
  assert.ok(addr.addr_info.some((a: any) => a.local === '192.0.2.1' && a.prefixlen === 24), JSON.stringify(addr));
  // The bridge's device appeared in the host namespace (a tap, on the userspace datapath), and is now claimed as an OVS bridge.
  assert.is(hostLink(BR)?.linkinfo?.info_kind, 'tun');
});

maybe('a process guest: pipework.nspid; guests on one tag exchange ARP, on another tag they do not (fdb/show agrees)', async () => {
  guest('gb');
  const C = guest('gc');
  const sleeper = await startSleeper(C);
  sleepers.push(sleeper);
  const b = await pw.attach({ hostIf: BR, guest: `netns:${B()}`, address: '192.0.2.2/24', vlan: 10 });
  assert.equal(b.created, []);
  const c = await pw.attach({ hostIf: BR, guest: `pid:${sleeper.pid}`, address: '192.0.2.3/24', mac: '02:00:00:00:0c:03', vlan: 20 });
  const [ci] = ovs.find('Interface', `name=${c.hostSide}`);
  assert.is((ci!.external_ids as any)['pipework.nspid'], String(sleeper.pid));
  assert.is((ci!.external_ids as any)['pipework.vlan'], '20');
  assert.is(ovs.find('Port', `name=${c.hostSide}`)[0]?.tag, 20);

  const arping = (ns: string, to: string) => run('ip', ['netns', 'exec', ns, 'busybox', 'arping', '-c', '2', '-w', '3', '-I', 'eth1', to]);
  const same = arping(A(), '192.0.2.2');
  assert.is(same.status, 0, `A reaches B on tag 10: ${same.stdout}${same.stderr}`);
  assert.match(same.stdout, /reply from 192\.0\.2\.2/i);
  const other = arping(A(), '192.0.2.3');
  assert.is.not(other.status, 0, `A does not reach C on tag 20: ${other.stdout}`);
  assert.not.match(other.stdout, /reply from/i);
  const mac = (ns: string) => ipJson<any[]>(ns, 'link', 'show', 'dev', 'eth1')[0].address as string;
  const fdb = ovs.appctl('fdb/show', BR);
  const onVlan = (vlan: number) =>
    fdb
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1] === String(vlan))
      .map((f) => f[2]);
  assert.ok(onVlan(10).includes(mac(A())) && onVlan(10).includes(mac(B())), fdb);
  assert.not.ok(onVlan(10).includes('02:00:00:00:0c:03'), fdb);
  assert.ok(onVlan(20).includes('02:00:00:00:0c:03'), `C's gratuitous ARP was learnt on VLAN 20: ${fdb}`);
});

maybe('an identical re-run changes nothing; another tag, none, or another bridge is CONFLICT, and changes nothing', async () => {
  const before = { ovs: ovsState(), net: netState([H, A()]) };
  const again: AttachOptions = { hostIf: BR, guest: `netns:${A()}`, address: '192.0.2.1/24', vlan: 10 };
  const r = await pw.attach(again);
  assert.ok(r.alreadyInPlace);
  assert.match(r.link, /tag 10/);
  assert.equal({ ovs: ovsState(), net: netState([H, A()]) }, before);
  for (const [vlan, why] of [
    [20, /tag 10, not 20/],
    [undefined, /tag 10, not none/],
  ] as const) {
    const e = await fails(`vlan ${vlan}`, pw.attach({ ...again, vlan }));
    assert.is(e.code, 'CONFLICT');
    assert.match(e.message, why);
  }
  assert.equal({ ovs: ovsState(), net: netState([H, A()]) }, before);
  // The CLI says the same, in one line.
  const cli = pipework(['--host-netns', H, '--ovsdb', ovs.endpoint, BR, `netns:${A()}`, '192.0.2.1/24', '@20']);
  assert.is(cli.status, 1, explain(cli));
  assert.is(cli.errLines.length, 1);
  assert.match(cli.errLines[0]!, /tag 10, not 20/);
  const same = pipework(['--host-netns', H, '--ovsdb', ovs.endpoint, BR, `netns:${A()}`, '192.0.2.1/24', '@10']);
  assert.is(same.status, 0, explain(same));
  assert.match(same.stdout, /already attached .* as asked .*nothing changed/);
});

maybe('--dry-run renders the ovs-vsctl commands and changes nothing; PIPEWORK_OVSDB works as --ovsdb', () => {
  const G = guest('gdry');
  const before = { ovs: ovsState(), net: netState([H, G]) };
  const r = pipework(['--host-netns', H, '--dry-run', BR, '-l', 'vdry0', `netns:${G}`, '192.0.2.9/24', '@30'], {
    env: { ...process.env, PIPEWORK_OVSDB: ovs.endpoint },
  });
  assert.is(r.status, 0, explain(r));
  assert.match(r.stdout, /ip netns exec \S+ ip link add vdry0 mtu 1500 up type veth peer name eth1 mtu 1500 netns /);
  assert.match(r.stdout, new RegExp(`^ovs-vsctl add-port ${BR} vdry0 tag=30 -- set Interface vdry0 external-ids:pipework.interface=vdry0 external-ids:pipework.bridge=${BR} external-ids:pipework.vlan=30 external-ids:pipework.mark="pipework:2:ovs:netns:${G}:eth1"$`, 'm'));
  assert.equal({ ovs: ovsState(), net: netState([H, G]) }, before);
});

maybe('detach removes the port (one transaction) and the veth; the bridge stays, as the original never removes one', async () => {
  const hostSide = ovs.find('Interface').find((i) => (i.external_ids as any)['pipework.mark'] === `pipework:2:ovs:netns:${B()}:eth1`)?.name as string;
  assert.ok(hostSide);
  const r = await pw.detach({ guest: `netns:${B()}` });
  assert.ok(r.removed);
  assert.is(r.hostSide, hostSide);
  assert.not.ok(portNames().includes(hostSide));
  assert.is(ovs.find('Interface', `name=${hostSide}`).length, 0);
  assert.is(hostLink(hostSide), undefined);
  assert.is(ipJson<any[]>(B(), 'link', 'show').filter((l) => l.ifname === 'eth1').length, 0);
  assert.is(ovs.find('Bridge', `name=${BR}`).length, 1);
  // Detaching again: nothing to do, nothing touched.
  const before = ovsState();
  assert.not.ok((await pw.detach({ guest: `netns:${B()}` })).removed);
  assert.equal(ovsState(), before);
});

maybe("gc removes ports whose veth or guest is gone (ours and the original's, by external_ids), keeps the rest", async () => {
  const D = guest('gd');
  const d = await pw.attach({ hostIf: BR, guest: `netns:${D}`, vlan: 10 });
  // The original's leftover (its issues #143, #148): a port whose device went with its container.
  ovs.vsctl('add-port', BR, 'vorig0', 'tag=10', '--', 'set', 'Interface', 'vorig0', 'external-ids:pipework.interface=vorig0', 'external-ids:pipework.nspid=4194000');
  // Somebody else's port, without our external_ids, whose device is missing too: not ours to remove.
  ovs.vsctl('add-port', BR, 'other0');
  scope.delete(D);
  for (let i = 0; i < 100 && hostLink(d.hostSide!); i++) await new Promise((r) => setTimeout(r, 20));
  assert.is(hostLink(d.hostSide!), undefined, 'the veth went with its namespace');
  assert.ok(portNames().includes(d.hostSide!), 'its port is still in OVSDB');

  const dry = await pw.gc({ dryRun: true });
  assert.equal(dry.removed.map((e) => e.hostSide).sort(), [d.hostSide!, 'vorig0'].sort());
  assert.ok(portNames().includes('vorig0'), 'a dry run removes nothing');
  const cli = pipework(['--host-netns', H, '--ovsdb', ovs.endpoint, 'gc']);
  assert.is(cli.status, 0, explain(cli));
  assert.match(cli.stdout, new RegExp(`removed .*${d.hostSide} \\(port on Open vSwitch bridge ${BR} whose veth is gone\\)`));
  assert.match(cli.stdout, /vorig0/);
  const left = portNames();
  assert.not.ok(left.includes(d.hostSide!) || left.includes('vorig0'), left.join(' '));
  assert.ok(left.includes('other0') && left.includes(BR), left.join(' '));
  const a = ovs.find('Interface').find((i) => (i.external_ids as any)['pipework.mark'] === `pipework:2:ovs:netns:${A()}:eth1`);
  assert.ok(a && left.includes(a.name as string), 'a live guest\'s port stays');
  ovs.vsctl('del-port', BR, 'other0');
  assert.equal((await pw.gc()).removed, []);
});

maybe('a fault before every step of an attach that creates a bridge: each rolls back to nothing, in OVSDB and in the kernel', async () => {
  const E = guest('ge');
  const before = { ovs: ovsState(), net: netState([H, E]) };
  const titles = await faultAtEveryStep(
    (beforeStep) => pw.attach({ hostIf: 'ovspw1', guest: `netns:${E}`, address: '192.0.2.20/24', vlan: 7, ovsDatapath: 'netdev' }, { beforeStep }),
    (inject, title) => {
      assert.is(JSON.stringify(ovsState()), JSON.stringify(before.ovs), `after a fault before "${title}" (step ${inject}): OVSDB as before`);
      assert.equal(netState([H, E]), before.net, `after a fault before "${title}": the kernel as before`);
    },
  );
  assert.ok(titles.some((t) => t.startsWith('create Open vSwitch bridge ovspw1')), titles.join(' | '));
  assert.ok(titles.some((t) => t.startsWith('add ') && t.includes('with tag 7')), titles.join(' | '));
  assert.ok(titles.includes(`wait for ovs-vswitchd to take ${titles.find((t) => t.startsWith('create veth'))!.split(' ')[2]}`), titles.join(' | '));
  // It ran to the end the last time: undo it by hand-free means for the next tests.
  await pw.detach({ guest: `netns:${E}` });
  const now = ovsState() as any;
  assert.ok(now.bridges.some((b: any) => b.name === 'ovspw1'), 'the completed attach made the bridge, detach keeps it');
  ovs.vsctl('del-br', 'ovspw1');
  for (let i = 0; i < 100 && hostLink('ovspw1'); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal({ ovs: ovsState(), net: netState([H, E]) }, before);
});

maybe('ovs-vswitchd cannot take the port (its veth is in a namespace it does not see): its error text fails the attach, nothing is left', async () => {
  const H2 = scope.create('host2');
  const G = guest('gf');
  const before = { ovs: ovsState(), net: netState([H2, G]) };
  const other = new Pipework({ hostNetns: H2, ovsdb: ovs.endpoint });
  try {
    const e = await fails('attach from another host namespace', other.attach({ hostIf: BR, guest: `netns:${G}`, address: '192.0.2.30/24', hostLinkName: 'vfar0' }));
    assert.is(e.code, 'OVSDB');
    assert.match(e.message, /^wait for ovs-vswitchd to take vfar0: Open vSwitch could not add port vfar0 to bridge ovspw0: could not open network device vfar0 \(No such device\)$/);
  } finally {
    other.close();
  }
  assert.equal({ ovs: ovsState(), net: netState([H2, G]) }, before);
});

maybe('ovsdb-server killed mid-attach: one clear line, the veth rolled back, and nothing in the database once it is back', async () => {
  const G = guest('gk');
  const before = { ovs: ovsState(), net: netState([H, G]) };
  const e = await fails(
    'attach with the server killed',
    pw.attach({ hostIf: BR, guest: `netns:${G}`, address: '192.0.2.40/24', vlan: 10 }, {
      beforeStep: async (step) => {
        if (step.title.startsWith('add ')) await ovs.killServer();
      },
    }),
  );
  assert.is(e.code, 'OVSDB_UNREACHABLE');
  assert.match(e.message, /^add \S+ to Open vSwitch bridge ovspw0 with tag 10: Open vSwitch database at unix:\S+ is not reachable: (no such socket|connection refused)/);
  assert.not.match(e.message, /\n/);
  assert.equal(netState([H, G]), before.net);
  await ovs.startServer();
  assert.equal(ovsState(), before.ovs);
  // Killed after the port's transaction committed (before the wait for ovs-vswitchd): the
  // veth is rolled back, the port cannot be, and the error says so; gc removes it once the server is back.
  const e2 = await fails(
    'attach with the server killed after the port',
    pw.attach({ hostIf: BR, guest: `netns:${G}`, address: '192.0.2.40/24', hostLinkName: 'vkill0' }, {
      beforeStep: async (step) => {
        if (step.title.startsWith('wait for ovs-vswitchd')) await ovs.killServer();
      },
    }),
  );
  assert.is(e2.code, 'OVSDB_UNREACHABLE');
  assert.match(e2.message, /^wait for ovs-vswitchd to take vkill0: .*not reachable.*; rollback incomplete: undoing "add vkill0 to Open vSwitch bridge ovspw0": .*not reachable/);
  assert.not.match(e2.message, /\n/);
  assert.equal(netState([H, G]), before.net, 'the veth is gone all the same');
  await ovs.startServer();
  assert.ok(portNames().includes('vkill0'), 'the committed port outlived the rollback');
  const gc = await pw.gc();
  assert.equal(gc.removed.map((x) => x.hostSide), ['vkill0']);
  assert.equal(ovsState(), before.ovs);
  // And the CLI, with no server at all, says so in one line and changes nothing (exit 1).
  await ovs.killServer();
  const r = pipework(['--host-netns', H, '--ovsdb', ovs.endpoint, BR, `netns:${G}`, '192.0.2.40/24']);
  assert.is(r.status, 1, explain(r));
  assert.is(r.errLines.length, 1, explain(r));
  assert.match(r.errLines[0]!, /^pipework: Open vSwitch database at unix:\S+ is not reachable/);
  assert.equal(netState([H, G]), before.net);
  await ovs.startServer();
});

maybe('bad options: one line, exit 2, nothing changed', () => {
  const before = { ovs: ovsState(), net: netState([H]) };
  for (const [argv, why] of [
    [['--ovsdb', 'tcp:127.0.0.1:6640', BR, `netns:${A()}`, '0/0'], /--ovsdb "?tcp:127\.0\.0\.1:6640"?: give the database's local socket as unix:\/path\/to\/db\.sock/],
    [['--ovs-datapath', 'dpdk', 'ovsnew0', `netns:${A()}`, '0/0'], /--ovs-datapath dpdk: give system or netdev/],
    [['--ovs-datapath', 'netdev', 'detach', `netns:${A()}`], /--ovs-datapath applies only to attach/],
  ] as [string[], RegExp][]) {
    const r = pipework(['--host-netns', H, ...argv], { env: { ...process.env, PIPEWORK_OVSDB: ovs.endpoint } });
    assert.is(r.status, 2, explain(r));
    assert.is(r.errLines.length, 1, explain(r));
    assert.match(r.errLines[0]!, why);
  }
  const env = pipework(['--host-netns', H, BR, `netns:${A()}`, '0/0'], { env: { ...process.env, PIPEWORK_OVSDB: '/no/scheme' } });
  assert.is(env.status, 2, explain(env));
  assert.match(env.errLines[0]!, /^pipework: PIPEWORK_OVSDB "\/no\/scheme": give the database's local socket as unix:/);
  assert.equal({ ovs: ovsState(), net: netState([H]) }, before);
});

test.run();
