// Open vSwitch with the guests test/ovs.test.ts leaves out, against a real
// ovsdb-server and ovs-vswitchd (helpers/ovs.ts; userspace datapath, this VM
// has no OVS kernel module): a Docker container, through the CLI, with the
// original's external_ids to the letter; both daemons restarted on the same
// database, then the same attach again; and gc where the guest is gone but
// its veth lives on (a PID reused, a netns name re-made, a container removed
// while its namespace is held). ovs-vsctl is the oracle for the database,
// `ip -j` and `docker exec ... ip` for the kernel, next to our own decoders
// (src/ovsdb's lookups, `pipework show`).
//
// Namespaces and containers: pwovs2-<pid>-*; OVS folder: $TMPDIR/pwovs2-ovs-<pid>-*; all removed in after.
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Pipework } from '../src';
import { portNamed, withOvsdb, type PortView } from '../src/ovsdb';
import { assertDistFresh, explain, netState, pipework } from './helpers/cli';
import { cleanupContainers, containerPid, docker, dockerAvailable, dockerExec, dockerWhyNot, ensureBusyboxImage, removeContainer, runContainer } from './helpers/docker';
import { NETNS_DIR, NetnsScope, ipJson, ipTry, nsExec, pidAlive, runOk } from './helpers/netns';
import { OvsInstance, ovsInstalled } from './helpers/ovs';
import { killAndReap, netSleeper, sleeperAtPid, type Tracked } from './helpers/pids';
import { requireIf } from './helpers/skip';

const TAG = 'pwovs2';
const test = suite('ovs-guests');
const scope = new NetnsScope(TAG);
const maybe = requireIf(test, ovsInstalled && process.getuid?.() === 0, 'Open vSwitch (package openvswitch-switch) is not installed, or not root');
const withDocker = requireIf(test, ovsInstalled && process.getuid?.() === 0 && dockerAvailable, `Open vSwitch or Docker is missing (${dockerWhyNot || 'openvswitch-switch not installed, or not root'})`);
const H = scope.name('host');
const BR = 'ovsbr0';
let ovs: OvsInstance;
let pw: Pipework;
const children = new Set<ChildProcess>();
const containers: string[] = [];
const binds: string[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function track(child: ChildProcess): Tracked {
  if (child.pid === undefined) throw new Error('spawn failed');
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child as Tracked;
}

function guest(label: string): string {
  const ns = scope.create(label);
  nsExec(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  return ns;
}

/** Keeps a namespace alive under another name (what a second process or a bind mount does). */
function bindNetns(from: string, label: string): string {
  const to = scope.name(label);
  fs.writeFileSync(`${NETNS_DIR}/${to}`, '');
  binds.push(to);
  runOk('mount', ['--bind', from, `${NETNS_DIR}/${to}`]);
  return to;
}

const cli = (...argv: string[]) => pipework(['--host-netns', H, '--ovsdb', ovs.endpoint, ...argv]);
const hostLink = (name: string): any => ipJson<any[]>(H, '-d', 'link', 'show').find((l) => l.ifname === name);
const portNames = (): string[] => ovs.find('Port').map((p) => p.name as string).sort();
/** Our own decoder's view of a port (src/ovsdb), next to ovs-vsctl's. */
const ourPort = (name: string): Promise<PortView | undefined> => withOvsdb(ovs.sock, (db) => portNamed(db, name));

/** Ports with their tags, their interfaces' external_ids and ofport, as ovs-vsctl lists them. */
function ovsState(): Record<string, unknown> {
  const ifaces = Object.fromEntries(ovs.find('Interface').map((i) => [i.name, { ids: i.external_ids, ofport: i.ofport, error: i.error }]));
  return {
    bridges: ovs.find('Bridge').map((b) => ({ name: b.name, datapath: b.datapath_type, ports: (b.ports as string[]).length })),
    ports: Object.fromEntries(ovs.find('Port').map((p) => [p.name, { tag: p.tag, iface: ifaces[p.name as string] }])),
  };
}

async function waitFor(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test.before(async () => {
  if (!ovsInstalled) return;
  cleanupContainers(TAG);
  assertDistFresh();
  scope.create('host');
  ovs = await OvsInstance.start(TAG, H);
  // An existing OVS bridge, as a user of the original has one (`ovs-vsctl add-br`), on the userspace datapath.
  ovs.vsctl('add-br', BR, '--', 'set', 'bridge', BR, 'datapath_type=netdev');
  await waitFor(`${BR}'s device in ${H}`, () => hostLink(BR) !== undefined);
  pw = new Pipework({ hostNetns: H, ovsdb: ovs.endpoint });
});

test.after(async () => {
  pw?.close();
  for (const c of [...children]) await killAndReap(c);
  for (const c of containers) removeContainer(c);
  for (const b of binds) ipTry(null, 'netns', 'delete', b);
  const pids = [ovs?.serverPid, ovs?.vswitchdPid].filter((p): p is number => p !== undefined);
  await ovs?.stop();
  scope.cleanup();
  for (const pid of pids) assert.not.ok(pidAlive(pid), `process ${pid} still runs`);
});

const WEB = scope.name('web');
const HELD = scope.name('held');
const GONE = scope.name('gone');

withDocker("a Docker guest through the CLI: the Interface's external_ids are the original's, to the letter; the container sees its address", async () => {
  ensureBusyboxImage();
  containers.push(WEB);
  const c = runContainer(WEB);
  const pid = containerPid(WEB);
  const r = cli(BR, WEB, '198.51.100.5/24', '@10');
  assert.is(r.status, 0, explain(r));
  // The original's name for the host side, v<cif>pl<pid>, which is also the value of pipework.interface.
  const hostSide = `veth1pl${pid}`;
  assert.match(r.stdout, new RegExp(`host side ${hostSide} on Open vSwitch bridge ${BR}, tag 10`));

  // What the original writes (`ovs-vsctl add-port ... external-ids:...`), values from `docker inspect`: .Id, .Name (with its '/'), .State.Pid.
  const inspected = JSON.parse(docker('inspect', WEB))[0];
  assert.is(inspected.Name, `/${WEB}`);
  const original = {
    'pipework.interface': hostSide,
    'pipework.bridge': BR,
    'pipework.containerid': inspected.Id,
    'pipework.containername': inspected.Name,
    'pipework.nspid': String(inspected.State.Pid),
    'pipework.vlan': '10',
  };
  assert.is(inspected.Id, c.id);
  // Ours on top, by which gc finds what it added: the veth's own mark.
  const want = { ...original, 'pipework.mark': `pipework:2:ovs:docker:${c.id}:eth1` };
  const [iface] = ovs.find('Interface', `name=${hostSide}`);
  assert.equal(iface?.external_ids, want, 'ovs-vsctl');
  assert.ok((iface!.ofport as number) > 0, `ovs-vswitchd took it: ofport ${iface!.ofport}`);
  assert.is(ovs.find('Port', `name=${hostSide}`)[0]?.tag, 10);
  const view = await ourPort(hostSide);
  assert.equal(view?.iface?.externalIds, want, 'our decoder');
  assert.is(view?.port.tag, 10);
  assert.is(view?.bridge?.name, BR);

  // The container's own view (its busybox ip), and ours.
  const seen = dockerExec(WEB, 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth1');
  assert.match(seen, /^\d+: eth1\s+inet 198\.51\.100\.5\/24 /);
  const shown = await pw.show(`docker:${WEB}`);
  assert.equal(shown.interfaces.find((i) => i.name === 'eth1')?.addresses, ['198.51.100.5/24']);
  assert.is(hostLink(hostSide)?.ifalias, want['pipework.mark']);
});

withDocker('both daemons killed and started again on the same database: the same attach through the CLI is "already in place", nothing changed', async () => {
  const hostSide = `veth1pl${containerPid(WEB)}`;
  const before = ovsState();
  await ovs.killVswitchd();
  await ovs.killServer();
  await ovs.startServer();
  await ovs.startVswitchd();
  // Settled: the bridge's device is back and ovs-vswitchd has taken the port again.
  await waitFor(`${BR}'s device back in ${H}`, () => hostLink(BR) !== undefined);
  await waitFor(`ovs-vswitchd has ${hostSide} again`, () => (ovs.find('Interface', `name=${hostSide}`)[0]?.ofport as number) > 0);
  assert.equal(ovsState(), before, 'the database kept the port, its tag and its external_ids');
  assert.match(ovs.appctl('dpif/show'), new RegExp(`${hostSide} \\d+/\\d+`), 'ovs-vswitchd has the port in its datapath');

  const settled = { ovs: ovsState(), net: netState([H]) };
  const r = cli(BR, WEB, '198.51.100.5/24', '@10');
  assert.is(r.status, 0, explain(r));
  assert.match(r.stdout, /already attached .* as asked .*nothing changed/);
  assert.equal({ ovs: ovsState(), net: netState([H]) }, settled);
  assert.equal(dockerExec(WEB, 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth1').match(/inet \S+/g), ['inet 198.51.100.5/24']);
  // And a different tag is still told apart after the restart.
  const other = cli(BR, WEB, '198.51.100.5/24', '@11');
  assert.is(other.status, 1, explain(other));
  assert.match(other.errLines[0]!, /tag 10, not 11/);
  assert.equal({ ovs: ovsState(), net: netState([H]) }, settled);
});

// A restarted ovs-vswitchd keeps a reference to the peer namespace of each
// veth port it finds at its start (seen here with OVS 3.1: such a veth
// outlives its container until that ovs-vswitchd exits), so after the
// restart above WEB's veth may or may not go with its container; GONE's,
// attached to a running ovs-vswitchd, does; HELD's namespace is held on purpose.
withDocker('containers removed: gc removes the port whose veth went with its container, and the port and the veth of those whose veth lives on', async () => {
  const webSide = `veth1pl${containerPid(WEB)}`;
  const baseline = Object.keys((ovsState() as any).ports).filter((p) => p !== webSide);
  containers.push(GONE, HELD);
  const sides: Record<string, string> = {};
  for (const [i, name] of [GONE, HELD].entries()) {
    runContainer(name);
    const r = cli(BR, name, `198.51.100.${6 + i}/24`, '@10');
    assert.is(r.status, 0, explain(r));
    sides[name] = `veth1pl${containerPid(name)}`;
  }
  const goneSide = sides[GONE]!;
  const heldSide = sides[HELD]!;
  const Y = bindNetns(`/proc/${containerPid(HELD)}/ns/net`, 'heldns');
  const live = await pw.gc({ dryRun: true });
  assert.equal(live.removed, [], JSON.stringify(live));
  assert.is(live.kept.length, 3);

  for (const name of [WEB, GONE, HELD]) removeContainer(name);
  await waitFor(`${goneSide} gone with its container`, () => hostLink(goneSide) === undefined);
  assert.ok(hostLink(heldSide), 'the held namespace keeps its veth alive');
  for (const side of [webSide, goneSide, heldSide]) assert.ok(portNames().includes(side), `${side}'s port is still in OVSDB`);

  const g = cli('gc');
  assert.is(g.status, 0, explain(g));
  assert.match(g.stdout, new RegExp(`${goneSide} \\(port on Open vSwitch bridge ${BR} whose veth is gone\\)`));
  assert.match(g.stdout, new RegExp(`${heldSide} \\(container \\w+ is gone\\)`));
  assert.match(g.stdout, new RegExp(`${heldSide} \\(port on Open vSwitch bridge ${BR} whose guest is gone\\)`));
  assert.match(g.stdout, new RegExp(`${webSide} \\(port on Open vSwitch bridge ${BR} whose (veth|guest) is gone\\)`));
  for (const side of [webSide, goneSide, heldSide]) {
    assert.not.ok(portNames().includes(side), `${side}: its port went (ovs-vsctl)`);
    assert.is(ovs.find('Interface', `name=${side}`).length, 0);
    assert.is(await ourPort(side), undefined, `${side}: our decoder agrees`);
    assert.is(hostLink(side), undefined, `${side}: no veth left`);
  }
  assert.equal(ipJson<any[]>(Y, 'link', 'show').map((l) => l.ifname), ['lo'], "the held veth's guest end went with it");
  assert.equal(Object.keys((ovsState() as any).ports), baseline);
  assert.equal((await pw.gc()).removed, []);
});

maybe("gc with the guest gone and its veth alive (a PID reused, a netns name re-made): our port and veth go, a live guest's port stays", async () => {
  const K = guest('live');
  const R = guest('remade');
  const B = guest('other');
  const kept = await pw.attach({ hostIf: BR, guest: `netns:${K}`, address: '198.51.100.10/24', vlan: 20 });
  const baseline = { ovs: ovsState(), net: netState([H]) };
  const r = await pw.attach({ hostIf: BR, guest: `netns:${R}`, address: '198.51.100.11/24', vlan: 20 });
  const p = await netSleeper(track);
  const rp = await pw.attach({ hostIf: BR, guest: `pid:${p.pid}`, address: '198.51.100.12/24', vlan: 20 });
  assert.is((ovs.find('Interface', `name=${rp.hostSide}`)[0]?.external_ids as any)['pipework.nspid'], String(p.pid));

  // R lives on as Y2, and a new, different namespace takes the name R.
  const Y2 = bindNetns(`${NETNS_DIR}/${R}`, 'remadey');
  scope.delete(R);
  scope.create('remade');
  // The process exits, its namespace lives on as Y3, and its PID is reused by a process in B.
  const Y3 = bindNetns(`/proc/${p.pid}/ns/net`, 'pidy');
  const N = p.pid;
  await killAndReap(p);
  const reused = await sleeperAtPid(N, B, track);
  assert.is(reused.pid, N);
  assert.ok(hostLink(r.hostSide!) && hostLink(rp.hostSide!), 'both veths are alive');

  const dry = await pw.gc({ dryRun: true });
  const reasons = dry.removed.map((e) => `${e.hostSide}: ${e.reason}`).sort();
  assert.equal(
    reasons,
    [
      `${r.hostSide}: netns ${R} now lives in another namespace than this interface's peer`,
      `${r.hostSide}: port on Open vSwitch bridge ${BR} whose guest is gone`,
      `${rp.hostSide}: process ${N} now lives in another namespace than this interface's peer`,
      `${rp.hostSide}: port on Open vSwitch bridge ${BR} whose guest is gone`,
    ].sort(),
  );
  assert.ok(portNames().includes(r.hostSide!) && hostLink(r.hostSide!), 'a dry run removes nothing');

  const g = cli('gc');
  assert.is(g.status, 0, explain(g));
  assert.match(g.stdout, /; 1 kept$/m);
  const left = portNames();
  assert.not.ok(left.includes(r.hostSide!) || left.includes(rp.hostSide!), left.join(' '));
  assert.is(await ourPort(r.hostSide!), undefined);
  assert.is(await ourPort(rp.hostSide!), undefined);
  for (const ns of [Y2, Y3]) assert.equal(ipJson<any[]>(ns, 'link', 'show').map((l) => l.ifname), ['lo'], `${ns}: the guest end went too`);
  assert.equal({ ovs: ovsState(), net: netState([H]) }, baseline, "only the live guest's port and veth are left");
  const k = await ourPort(kept.hostSide!);
  assert.is(k?.port.tag, 20);
  assert.is(k?.iface?.externalIds['pipework.mark'], `pipework:2:ovs:netns:${K}:eth1`);
  assert.equal(ipJson<any[]>(B, 'link', 'show').map((l) => l.ifname), ['lo'], 'the process that took the PID got nothing, lost nothing');
  assert.equal((await pw.gc()).removed, []);
});

test.run();
