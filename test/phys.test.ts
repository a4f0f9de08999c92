// --direct-phys and mac:<address> against the real kernel, in throwaway
// namespaces. The "NICs" are veth ends the test makes in its own host
// namespace (never a NIC of this machine): a veth moves between namespaces as
// a NIC does, and keeps working, which two guests holding the two ends of one
// pair prove by pinging each other.
//
// One thing a veth does not do: come back. When a namespace dies the kernel
// destroys the veths in it (they have rtnl_link_ops) and moves every other
// device, a physical NIC, to the initial namespace under its guest-side name
// (net/core/dev.c, default_device_exit_net()). So gc's rename-back is tested
// by doing what the kernel would have done, by hand: `ip link set X netns H`
// of the marked link, then gc.
//
// Results are checked with `ip -j -d` (an independent decoder) and with our
// own show(). Namespaces: pwphys-<pid>-*; all removed in after.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Pipework, PipeworkError } from '../src';
import { openHost, type Namespace } from '../src/pipework/namespace';
import { attach } from '../src/pipework/operations';
import { attachRequest, type AttachOptions } from '../src/request';
import { explain, netState, pipework } from './helpers/cli';
import { NetnsScope, ip, ipJson, run } from './helpers/netns';
import { faultAtEveryStep } from './helpers/lifecycle';

const TAG = 'pwphys';
const test = suite('phys');
const scope = new NetnsScope(TAG);
const H = scope.name('host');
let pw: Pipework;
let host: Namespace;

// ---- helpers ---------------------------------------------------------------

function noIpv6(ns: string): void {
  run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
}

/** A guest namespace with IPv6 off (no link-local addresses changing under comparisons). */
function guest(label: string): string {
  const ns = scope.create(label);
  noIpv6(ns);
  return ns;
}

/** Two "NICs" in H: the ends of one veth pair, up. */
function nicPair(a: string, b: string, mtu = 1500): void {
  ip(H, 'link', 'add', a, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', b, 'mtu', String(mtu));
  ip(H, 'link', 'set', a, 'up');
  ip(H, 'link', 'set', b, 'up');
}

function dropPair(a: string): void {
  run('ip', ['-n', H, 'link', 'del', a]);
}

function linkOf(ns: string, dev: string): any {
  return ipJson(ns, '-d', 'link', 'show', 'dev', dev)[0];
}

function has(ns: string, dev: string): boolean {
  return ipJson<any[]>(ns, 'link', 'show').some((l) => l.ifname === dev);
}

function macOf(ns: string, dev: string): string {
  return linkOf(ns, dev).address;
}

const cli = (...argv: string[]) => pipework(['--host-netns', H, ...argv]);

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

function reaches(from: string, to: string): boolean {
  return run('ip', ['netns', 'exec', from, 'busybox', 'ping', '-c', '1', '-W', '2', to]).status === 0;
}

/** What gc says in H, as the library reports it. */
const gc = (dryRun = false) => pw.gc({ dryRun });

// ---- hooks ------------------------------------------------------------------

test.before(() => {
  scope.create('host');
  noIpv6(H);
  pw = new Pipework({ hostNetns: H });
  host = openHost(H);
});

test.after(() => {
  pw?.close();
  host?.close();
  scope.cleanup();
});

// ---- 1. the NIC moves in, keeps working, and goes back ---------------------

test('two guests each get one end of a veth pair made in H (CLI and library): renamed, MAC and MTU, mark with the host name, the moved NICs ping each other', async () => {
  const A = guest('a');
  const B = guest('b');
  nicPair('nicA', 'nicB', 1400);
  const r = cli('--direct-phys', 'nicA', `netns:${A}`, '192.0.2.1/24@192.0.2.254', '02:00:5e:00:53:01');
  assert.is(r.status, 0, explain(r));
  assert.is(r.stdout.trim(), `attached eth1 (02:00:5e:00:53:01, 192.0.2.1/24, default via 192.0.2.254) to netns ${A}; host interface nicA moved into the guest`);
  const rb = await pw.attach({ hostIf: 'nicB', directPhys: true, guest: `netns:${B}`, guestIf: 'eth2', address: '192.0.2.2/24' });
  assert.is(rb.kind, 'phys');
  assert.is(rb.link, 'host interface nicB moved into the guest');
  assert.is(rb.hostSide, undefined, 'nothing is left on the host');
  assert.is(rb.mtu, 1400, "the NIC's own MTU");
  assert.equal(rb.created, []);

  // gone from the host, in the guests under their new names
  assert.not.ok(has(H, 'nicA') || has(H, 'nicB'), 'both left H');
  const a = linkOf(A, 'eth1');
  const b = linkOf(B, 'eth2');
  assert.is(a.address, '02:00:5e:00:53:01', 'the MAC asked for');
  assert.is(a.mtu, 1400);
  assert.is(b.mtu, 1400);
  assert.is(a.ifalias, `pipework:2:phys=nicA:netns:${A}:eth1`, 'the mark names the host name');
  assert.is(b.ifalias, `pipework:2:phys=nicB:netns:${B}:eth2`);
  assert.is(b.address, rb.mac, 'its own MAC, as reported');
  for (const l of [a, b]) assert.ok(l.flags.includes('UP'), `${l.ifname} up`);
  assert.equal(ipJson(A, 'addr', 'show', 'dev', 'eth1')[0].addr_info.map((x: any) => `${x.local}/${x.prefixlen}`), ['192.0.2.1/24']);
  assert.ok(ipJson<any[]>(A, 'route', 'show').some((x) => x.dst === 'default' && x.gateway === '192.0.2.254' && x.dev === 'eth1'));
  // our decoder agrees
  const s = await pw.show(`netns:${B}`);
  const v = s.interfaces.find((i) => i.name === 'eth2')!;
  assert.equal([v.kind, v.mac, v.mtu, v.up, v.addresses], ['veth', b.address, 1400, true, ['192.0.2.2/24']]);

  // the moved NICs still carry traffic: A's end and B's end are one wire
  assert.ok(reaches(A, '192.0.2.2'), 'A pings B over the moved pair');
  assert.ok(reaches(B, '192.0.2.1'), 'B pings A');

  // detach gives them back under their names, down, unmarked; never deleted
  const dry = cli('--dry-run', 'detach', `netns:${A}`);
  assert.is(dry.status, 0, explain(dry));
  assert.is(dry.stdout, `ip netns exec ${A} ip link set dev eth1 netns ${H} name nicA\nip netns exec ${H} ip link set dev nicA alias ""\n`);
  assert.ok(has(A, 'eth1'), 'a dry run changes nothing');
  const d = cli('detach', `netns:${A}`);
  assert.is(d.status, 0, explain(d));
  assert.is(d.stdout.trim(), `removed eth1 from netns ${A} (given back to the host as nicA)`);
  const dl = await pw.detach({ guest: `netns:${B}`, guestIf: 'eth2' });
  assert.equal(dl.detached, [{ guestSide: 'eth2', hostSide: undefined, givenBack: 'nicB' }]);
  for (const n of ['nicA', 'nicB']) {
    const l = linkOf(H, n);
    assert.not.ok(l.flags.includes('UP'), `${n} is down`);
    assert.is(l.ifalias, undefined, `${n}: the mark is gone`);
    assert.is(l.mtu, 1400);
  }
  assert.is(macOf(H, 'nicA'), '02:00:5e:00:53:01', 'the MAC given stays (no record of the one before: see README)');
  assert.not.ok(has(A, 'eth1') || has(B, 'eth2'));
  // detaching again: nothing there, and it says so
  const again = await pw.detach({ guest: `netns:${A}` });
  assert.is(again.removed, false);
  dropPair('nicA');
});

test('re-runs: the same attach changes nothing (also by mac:), another one is CONFLICT naming it; --json; --dry-run changes nothing', async () => {
  const G = guest('rerun');
  nicPair('nicC', 'nicD');
  const mac = macOf(H, 'nicC');
  const before = netState([H, G]);
  const dry = cli('--dry-run', '--direct-phys', 'nicC', `netns:${G}`, '192.0.2.3/24');
  assert.is(dry.status, 0, explain(dry));
  assert.is(
    dry.stdout,
    `ip netns exec ${H} ip link set dev nicC alias pipework:2:phys=nicC:netns:${G}:eth1\n` +
      `ip netns exec ${H} ip link set dev nicC netns ${G} name eth1\n` +
      `ip netns exec ${G} ip addr add 192.0.2.3/24 broadcast 192.0.2.255 dev eth1\n` +
      `ip netns exec ${G} ip link set eth1 up\n` +
      `ip netns exec ${G} arping -c 1 -A -I eth1 192.0.2.3\n`,
  );
  assert.equal(netState([H, G]), before, 'the dry run changed nothing');

  const j = cli('--json', '--direct-phys', `mac:${mac.toUpperCase()}`, `netns:${G}`, '192.0.2.3/24');
  assert.is(j.status, 0, explain(j));
  const out = JSON.parse(j.stdout);
  assert.is(out.ok, true);
  assert.is(out.result.kind, 'phys');
  assert.is(out.result.hostIf, 'nicC', 'mac: found nicC');
  assert.equal(out.result.notes, [`host interface mac:${mac} is nicC`]);
  assert.is(out.result.mac, mac, 'no MAC asked: its own');
  const after = netState([H, G]);

  // the same, by name and by mac: (nicC is in the guest now: found there, by its mark and MAC)
  for (const hostIf of ['nicC', `mac:${mac}`]) {
    const again = cli('--direct-phys', hostIf, `netns:${G}`, '192.0.2.3/24');
    assert.is(again.status, 0, explain(again));
    assert.match(again.stdout, /already attached .* as asked \(host interface nicC moved into the guest\): nothing changed/);
  }
  assert.equal(netState([H, G]), after, 'the re-runs changed nothing');

  // different: another address; another NIC under the same guest name
  const other = await fails('another address', pw.attach({ hostIf: 'nicC', directPhys: true, guest: `netns:${G}`, address: '192.0.2.4/24' }));
  assert.is(other.code, 'CONFLICT');
  assert.match(other.message, /address 192\.0\.2\.3\/24, not 192\.0\.2\.4\/24/);
  const nic = await fails('another NIC', pw.attach({ hostIf: 'nicD', directPhys: true, guest: `netns:${G}`, address: '192.0.2.3/24' }));
  assert.is(nic.code, 'CONFLICT');
  assert.match(nic.message, /it is host interface nicC moved in, not nicD/);
  assert.equal(netState([H, G]), after, 'the conflicts changed nothing');
  await pw.detach({ guest: `netns:${G}` });
  dropPair('nicC');
});

// ---- 2. rollback --------------------------------------------------------------

test('a fault before every step: the NIC is back in H with its name, MTU, MAC, alias and up state; the guest as it was', async () => {
  const G = guest('fault');
  nicPair('nicE', 'nicF', 1450);
  ip(H, 'link', 'set', 'nicE', 'alias', 'uplink to rack 7');
  const before = netState([H, G]);
  const o: AttachOptions = { hostIf: 'nicE', directPhys: true, guest: `netns:${G}`, guestIf: 'data0', address: '192.0.2.5/24', gateway: '192.0.2.254', mac: '02:00:5e:00:53:05' };
  const titles = await faultAtEveryStep(
    (beforeStep) => attach(attachRequest(o), host, { beforeStep }),
    (inject, title) => assert.equal(netState([H, G]), before, `fault before step ${inject} (${title}): all undone`),
  );
  assert.ok(titles.includes(`move host interface nicE into netns ${G} as data0`), titles.join(' | '));
  assert.ok(titles.length >= 6, titles.join(' | '));
  // and a down NIC comes back down
  await pw.detach({ guest: `netns:${G}`, guestIf: 'data0' });
  ip(H, 'link', 'set', 'nicE', 'down', 'address', '02:00:5e:00:53:55');
  const down = netState([H, G]);
  await faultAtEveryStep(
    (beforeStep) => attach(attachRequest(o), host, { beforeStep }),
    (inject) => assert.equal(netState([H, G]), down, `down NIC, fault before step ${inject}`),
  );
  await pw.detach({ guest: `netns:${G}`, guestIf: 'data0' });
  dropPair('nicE');
});

// ---- 3. what is refused ---------------------------------------------------------

test('refused with one line, nothing changed: a bridge port, a NIC with addresses, one carrying a macvlan, a bridge, lo, a missing NIC, @VID, -l', async () => {
  const G = guest('refuse');
  nicPair('nicP', 'nicQ');
  ip(H, 'link', 'add', 'brX', 'type', 'bridge');
  ip(H, 'link', 'set', 'nicP', 'master', 'brX');
  nicPair('nicR', 'nicS');
  ip(H, 'addr', 'add', '198.51.100.9/24', 'dev', 'nicR');
  nicPair('nicT', 'nicU');
  ip(H, 'link', 'add', 'link', 'nicT', 'name', 'mvT', 'type', 'macvlan', 'mode', 'bridge');
  const before = netState([H, G]);
  const cases: [string[], number, RegExp][] = [
    [['nicP'], 1, /^pipework: host interface nicP is a port of bridge brX: moving it would take it out; release it first$/],
    [['nicR'], 1, /^pipework: host interface nicR has addresses on the host \(198\.51\.100\.9\/24\): moving it would take them from the host; remove them first$/],
    [['nicT'], 1, /^pipework: host interface nicT carries macvlan mvT: moving it would cut them off; remove them first$/],
    [['brX'], 1, /^pipework: host interface brX is a bridge: --direct-phys moves a NIC/],
    [['lo'], 1, /^pipework: host interface lo is a loopback device: --direct-phys moves a NIC$/],
    [['nosuch0'], 1, /^pipework: host interface nosuch0 does not exist: --direct-phys moves an existing NIC$/],
    [['mac:02:00:5e:00:53:ff'], 1, /^pipework: host interface mac:02:00:5e:00:53:ff: no host interface has MAC 02:00:5e:00:53:ff$/],
  ];
  for (const [nic, status, line] of cases) {
    const r = cli('--direct-phys', ...nic, `netns:${G}`, '192.0.2.7/24');
    assert.is(r.status, status, explain(r));
    assert.is(r.errLines.length, 1, explain(r));
    assert.match(r.errLines[0]!, line, explain(r));
    assert.is(r.stdout, '');
  }
  const vlan = cli('--direct-phys', 'nicS', `netns:${G}`, '192.0.2.7/24', '@10');
  assert.is(vlan.status, 3, explain(vlan));
  assert.is(vlan.errLines[0], 'pipework: VLAN tagging (@10) on nicS is not supported yet');
  const l = cli('--direct-phys', 'nicS', '-l', 'h1', `netns:${G}`, '192.0.2.7/24');
  assert.is(l.status, 2, explain(l));
  assert.match(l.errLines[0]!, /^pipework: host-side interface \(-l\) h1: --direct-phys moves the host interface itself/);
  const late = cli('nicS', '--direct-phys', `netns:${G}`, '192.0.2.7/24');
  assert.is(late.status, 2, explain(late));
  assert.is(late.errLines[0], 'pipework: --direct-phys must come first, before the host interface: pipework --direct-phys <nic> ...');
  assert.equal(netState([H, G]), before, 'nothing changed');
  for (const d of ['nicP', 'nicR', 'nicT']) dropPair(d);
  ip(H, 'link', 'del', 'brX');
});

test('detach refuses to give a NIC back when the host has another link of its name, and changes nothing', async () => {
  const G = guest('clash');
  nicPair('nicV', 'nicW');
  await pw.attach({ hostIf: 'nicV', directPhys: true, guest: `netns:${G}`, address: '192.0.2.8/24' });
  ip(H, 'link', 'add', 'nicV', 'type', 'bridge');
  const before = netState([H, G]);
  const e = await fails('detach', pw.detach({ guest: `netns:${G}` }));
  assert.is(e.code, 'LINK_EXISTS');
  assert.is(e.message, `netns ${G}'s eth1 is host interface nicV, moved in, and the host has another nicV now: cannot give it back`);
  assert.equal(netState([H, G]), before);
  ip(H, 'link', 'del', 'nicV');
  await pw.detach({ guest: `netns:${G}` });
  assert.ok(has(H, 'nicV'));
  dropPair('nicV');
});

// ---- 4. mac: --------------------------------------------------------------------

test('mac: without --direct-phys: the macvlan goes on the NIC of that MAC; several with the MAC: one line naming them, nothing changed', async () => {
  const G = guest('bymac');
  nicPair('nicX', 'nicY');
  const mac = macOf(H, 'nicX');
  const r = cli(`mac:${mac}`, '-i', 'container0', `netns:${G}`, '0/0');
  assert.is(r.status, 0, explain(r));
  assert.is(r.stdout, `attached container0 (${macOf(G, 'container0')}, no address) to netns ${G}; macvlan on nicX, mode bridge\nhost interface mac:${mac} is nicX\n`);
  assert.is(linkOf(G, 'container0').link_index, linkOf(H, 'nicX').ifindex, 'on nicX');
  await pw.detach({ guest: `netns:${G}`, guestIf: 'container0' });

  ip(H, 'link', 'set', 'nicY', 'address', mac);
  const before = netState([H, G]);
  for (const direct of [[], ['--direct-phys']]) {
    const two = cli(...direct, `mac:${mac}`, `netns:${G}`, '0/0');
    assert.is(two.status, 1, explain(two));
    assert.equal(two.errLines, [`pipework: host interface mac:${mac}: 2 host interfaces have MAC ${mac} (nicX, nicY): name the one you mean`]);
  }
  const e = await fails('library', pw.attach({ hostIf: `mac:${mac}`, guest: `netns:${G}` }));
  assert.is(e.code, 'HOSTIF_AMBIGUOUS');
  assert.equal(netState([H, G]), before);
  dropPair('nicX');
});

test("the original's example, --direct-phys mac:... -i container0, run twice, also when it gave the NIC another MAC: the second run changes nothing", async () => {
  const G = guest('twice');
  nicPair('nicM', 'nicN');
  const mac = macOf(H, 'nicM');
  for (const extra of [[], ['02:00:5e:00:53:77']]) {
    const argv = ['--direct-phys', `mac:${mac}`, '-i', 'container0', `netns:${G}`, '0/0', ...extra];
    const first = cli(...argv);
    assert.is(first.status, 0, explain(first));
    assert.is(linkOf(G, 'container0').ifalias, `pipework:2:phys=nicM:netns:${G}:container0`);
    const after = netState([H, G]);
    const second = cli(...argv);
    assert.is(second.status, 0, explain(second));
    assert.match(second.stdout, /^container0 is already attached .*: nothing changed\n/);
    assert.equal(netState([H, G]), after);
    const d = cli('detach', '-i', 'container0', `netns:${G}`);
    assert.is(d.status, 0, explain(d));
    assert.ok(has(H, 'nicM'));
    ip(H, 'link', 'set', 'nicM', 'address', mac);
  }
  dropPair('nicM');
});

// ---- 5. gc: a NIC that came back ------------------------------------------------

test('gc: a NIC back on the host under its guest-side name (or devN) gets its name back and loses the mark; one in its guest, or moving, is left alone', async () => {
  const G = guest('gc');
  nicPair('nicG', 'nicH');
  await pw.attach({ hostIf: 'nicG', directPhys: true, guest: `netns:${G}`, address: '192.0.2.10/24' });
  await pw.attach({ hostIf: 'nicH', directPhys: true, guest: `netns:${G}`, guestIf: 'eth2', address: '192.0.2.11/24' });
  // In its guest: nothing on the host for gc.
  let g = await gc();
  assert.equal([g.removed, g.restored, g.kept, g.undecided], [[], [], [], []]);

  // What the kernel does with a physical NIC when its guest's namespace dies
  // (a veth would be destroyed instead): done by hand. eth1 comes back as
  // eth1; eth2 as devN, the kernel's name when the guest-side one is taken.
  ip(G, 'link', 'set', 'eth1', 'netns', H);
  ip(H, 'link', 'add', 'eth2', 'type', 'bridge');
  ip(G, 'link', 'set', 'eth2', 'netns', H, 'name', 'dev77');
  scope.delete(G);
  assert.ok(linkOf(H, 'eth1').ifalias.startsWith('pipework:2:phys=nicG:'), 'it came back marked');

  const dry = await gc(true);
  assert.equal(dry.restored.map((e) => [e.hostSide, e.hostName]).sort(), [['dev77', 'nicH'], ['eth1', 'nicG']]);
  assert.ok(has(H, 'eth1') && has(H, 'dev77'), 'a dry run renames nothing');
  const c = cli('gc');
  assert.is(c.status, 0, explain(c));
  assert.match(c.stdout, /gave eth1 back its name nicG \(it came back to the host\)/);
  assert.match(c.stdout, /gave dev77 back its name nicH \(it came back to the host\)/);
  for (const n of ['nicG', 'nicH']) {
    assert.is(linkOf(H, n).ifalias, undefined, `${n}: no mark`);
    assert.not.ok(linkOf(H, n).flags.includes('UP'), `${n}: down`);
  }
  assert.ok(has(H, 'eth2'), 'the bridge that had the name is untouched');
  g = await gc();
  assert.equal([g.removed, g.restored, g.undecided], [[], [], []], 'nothing left');

  // Marked under its own name (an attach killed between marking it and moving
  // it): kept while its guest is there, unmarked once it is gone.
  const G2 = guest('gc2');
  ip(H, 'link', 'set', 'nicG', 'alias', `pipework:2:phys=nicG:netns:${G2}:eth1`);
  g = await gc();
  assert.equal(g.kept.map((e) => [e.hostSide, e.reason]), [['nicG', 'its guest is there: an attach or detach may be moving it']]);
  assert.is(linkOf(H, 'nicG').ifalias, `pipework:2:phys=nicG:netns:${G2}:eth1`);
  scope.delete(G2);
  g = await gc();
  assert.equal(g.restored.map((e) => [e.hostSide, e.reason]), [['nicG', 'its guest is gone']]);
  assert.match(g.message, /cleared pipework's mark on nicG \(its guest is gone\)/);
  assert.is(linkOf(H, 'nicG').ifalias, undefined);

  // Back, but its host name is taken now: kept, said why.
  const G3 = guest('gc3');
  await pw.attach({ hostIf: 'nicG', directPhys: true, guest: `netns:${G3}` });
  ip(H, 'link', 'add', 'nicG', 'type', 'bridge');
  ip(G3, 'link', 'set', 'eth1', 'netns', H);
  g = await gc();
  assert.equal(g.undecided.map((e) => [e.hostSide, e.reason]), [['eth1', 'it came back, but the host has another nicG now']]);
  ip(H, 'link', 'del', 'nicG');
  ip(H, 'link', 'del', 'eth2');
  g = await gc();
  assert.equal(g.restored.map((e) => e.hostName), ['nicG']);
  dropPair('nicG');
});

test.run();
