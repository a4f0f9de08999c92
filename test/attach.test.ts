// Attach, detach and show against the real kernel, in throwaway namespaces:
// a "host" namespace holding the bridge (the library's hostNetns) and guest
// namespaces standing in for containers. Every result is checked twice: with
// `ip -j` (an independent decoder) and with our own show().
import { spawnSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Pipework, PipeworkError } from '../src';
import { decodeArp, decodeNeighborAdvert } from '../src/packet';
import { capture, hasTcpdump } from './helpers/capture';
import { NetnsScope, ip, ipJson, ipTry, netnsInode, nsExec } from './helpers/netns';
import { requireIf } from './helpers/skip';
import { killAndReap, netSleeper } from './helpers/pids';

const test = suite('attach');
const scope = new NetnsScope('pwatt');
const H = scope.name('host');
const withTcpdump = requireIf(test, hasTcpdump, 'tcpdump is not installed');
let pw: Pipework;

/** Host and guest dumps through `ip -j`, for "nothing changed" comparisons. */
function snapshot(...namespaces: string[]): unknown {
  return namespaces.map((ns) => ({
    links: ipJson(ns, 'link', 'show').map((l: any) => ({ name: l.ifname, master: l.master, mtu: l.mtu, flags: l.flags, address: l.address })),
    addrs: ipJson(ns, 'addr', 'show').map((l: any) => [l.ifname, (l.addr_info ?? []).map((a: any) => `${a.local}/${a.prefixlen}`)]),
    routes: [...ipJson(ns, 'route', 'show'), ...ipJson(ns, '-6', 'route', 'show')],
  }));
}

function guest(label: string): string {
  return scope.create(label);
}

test.before(() => {
  scope.create('host');
  ip(H, 'link', 'add', 'br0', 'mtu', '1400', 'type', 'bridge');
  ip(H, 'link', 'set', 'br0', 'up');
  pw = new Pipework({ hostNetns: H });
});

test.after(() => {
  pw?.close();
  scope.cleanup();
});

test('IPv4 with a gateway: address, broadcast, default route, MTU and bridge port', async () => {
  const G = guest('v4');
  const r = await pw.attach({ hostIf: 'br0', guest: `netns:${G}`, address: '198.51.100.33/24', gateway: '198.51.100.1' });

  const expectedHost = `veth1pl${netnsInode(G).toString(36)}`;
  assert.is(r.hostSide, expectedHost, "pipework's v<cif>pl<id> name");
  assert.is(r.guestSide, 'eth1');
  assert.equal(r.created, []);
  assert.is(r.mtu, 1400);
  assert.equal(r.addresses, ['198.51.100.33/24']);
  assert.equal(r.routes, [{ dst: 'default', via: '198.51.100.1', dev: 'eth1' }]);
  assert.is(r.announced, 'gratuitous-arp');

  // ip's view of the guest
  const [link] = ipJson(G, 'addr', 'show', 'dev', 'eth1');
  assert.is(link.mtu, 1400);
  assert.is(link.operstate, 'UP');
  assert.is(link.address, r.mac);
  const v4 = link.addr_info.filter((a: any) => a.family === 'inet');
  assert.equal(
    v4.map((a: any) => [a.local, a.prefixlen, a.broadcast]),
    [['198.51.100.33', 24, '198.51.100.255']],
  );
  const routes = ipJson(G, 'route', 'show');
  assert.ok(routes.some((x: any) => x.dst === 'default' && x.gateway === '198.51.100.1' && x.dev === 'eth1'), JSON.stringify(routes));
  assert.not.ok(routes.some((x: any) => x.dst === '198.51.100.1'), 'no on-link /32 when the gateway is inside the prefix');

  // ip's view of the host
  const ports = ipJson(H, 'link', 'show', 'master', 'br0');
  const port = ports.find((p: any) => p.ifname === expectedHost);
  assert.ok(port, `${expectedHost} is a port of br0: ${JSON.stringify(ports.map((p: any) => p.ifname))}`);
  assert.is(port.mtu, 1400);
  assert.is(port.operstate, 'UP');

  // our decoder's view agrees
  const s = await pw.show(`netns:${G}`);
  const eth1 = s.interfaces.find((i) => i.name === 'eth1')!;
  assert.ok(eth1.addresses.includes('198.51.100.33/24'));
  assert.is(eth1.mac, r.mac);
  assert.is(eth1.mtu, 1400);
  assert.is(eth1.kind, 'veth');
  assert.ok(s.routes.some((x) => x.dst === 'default' && x.via === '198.51.100.1' && x.dev === 'eth1'));
});

test('a gateway outside the prefix gets an on-link host route first, as pipework does', async () => {
  const G = guest('onlink');
  const r = await pw.attach({ hostIf: 'br0', guest: `netns:${G}`, guestIf: 'eth2', address: '203.0.113.10/28', gateway: '198.51.100.1' });
  assert.equal(r.routes, [
    { dst: '198.51.100.1/32', dev: 'eth2' },
    { dst: 'default', via: '198.51.100.1', dev: 'eth2' },
  ]);
  const routes = ipJson(G, 'route', 'show');
  const onlink = routes.find((x: any) => x.dst === '198.51.100.1');
  assert.ok(onlink, JSON.stringify(routes));
  assert.is(onlink.dev, 'eth2');
  assert.is(onlink.scope, 'link');
  assert.ok(routes.some((x: any) => x.dst === 'default' && x.gateway === '198.51.100.1'));
  const [link] = ipJson(G, 'addr', 'show', 'dev', 'eth2');
  assert.is(link.addr_info.find((a: any) => a.family === 'inet').broadcast, '203.0.113.15');
});

test('IPv6 with a gateway: no DAD wait, default route', async () => {
  const G = guest('v6');
  const r = await pw.attach({ hostIf: 'br0', guest: `netns:${G}`, address: '2001:db8:1::33/64', gateway: '2001:db8:1::1' });
  assert.equal(r.addresses, ['2001:db8:1::33/64']);
  assert.is(r.announced, 'neighbour-advertisement');
  const [link] = ipJson(G, 'addr', 'show', 'dev', 'eth1');
  const global = link.addr_info.find((a: any) => a.family === 'inet6' && a.scope === 'global');
  assert.is(global.local, '2001:db8:1::33');
  assert.is(global.prefixlen, 64);
  assert.not.ok(global.tentative, 'IFA_F_NODAD: usable at once');
  const routes = ipJson(G, '-6', 'route', 'show');
  assert.ok(routes.some((x: any) => x.dst === 'default' && x.gateway === '2001:db8:1::1' && x.dev === 'eth1'), JSON.stringify(routes));
  const s = await pw.show(`netns:${G}`);
  assert.ok(s.routes.some((x) => x.family === 6 && x.dst === 'default' && x.via === '2001:db8:1::1'));
});

test('0/0: the interface is created and up with no address', async () => {
  const G = guest('none');
  const r = await pw.attach({ hostIf: 'br0', guest: `netns:${G}`, address: '0/0' });
  assert.equal(r.addresses, []);
  assert.is(r.announced, undefined);
  const [link] = ipJson(G, 'addr', 'show', 'dev', 'eth1');
  assert.is(link.operstate, 'UP');
  assert.equal(link.addr_info.filter((a: any) => a.family === 'inet'), []);
});

test('MAC: explicit, and U:<string> by pipework scheme; -l names the host side', async () => {
  const G = guest('mac');
  await pw.attach({ hostIf: 'br0', guest: `netns:${G}`, guestIf: 'eth3', hostLinkName: 'hostapp1', address: '198.51.100.34/24', mac: '02:42:C6:33:64:22' });
  await pw.attach({ hostIf: 'br0', guest: `netns:${G}`, guestIf: 'eth4', address: '198.51.100.35/24', mac: 'U:myhost.foo.com' });
  assert.is(ipJson(G, 'link', 'show', 'dev', 'eth3')[0].address, '02:42:c6:33:64:22');
  assert.is(ipJson(G, 'link', 'show', 'dev', 'eth4')[0].address, '02:72:6c:cd:9b:8d');
  const host = ipJson(H, 'link', 'show', 'dev', 'hostapp1')[0];
  assert.is(host.master, 'br0');
});

test('a missing bridge named br* is created and up; another missing name is refused and nothing changes', async () => {
  const G = guest('newbr');
  const r = await pw.attach({ hostIf: 'brnew', guest: `netns:${G}`, address: '192.0.2.20/24' });
  assert.equal(r.created, ['bridge brnew']);
  const [br] = ipJson(H, '-d', 'link', 'show', 'dev', 'brnew');
  assert.is(br.linkinfo.info_kind, 'bridge');
  assert.is(br.ifalias, 'pipework:2:bridge:shared', 'a bridge we made carries our shared mark');
  assert.ok(br.flags.includes('UP'));
  assert.is(ipJson(H, 'link', 'show', 'dev', r.hostSide!)[0].master, 'brnew');

  const before = snapshot(H, G);
  try {
    await pw.attach({ hostIf: 'nosuchif', guest: `netns:${G}`, guestIf: 'eth5', address: '192.0.2.21/24' });
    assert.unreachable('attach to a missing non-br interface');
  } catch (e) {
    assert.instance(e, PipeworkError);
    assert.is((e as PipeworkError).code, 'HOSTIF_NOT_FOUND');
    assert.match((e as Error).message, /nosuchif/);
  }
  assert.equal(snapshot(H, G), before);
});

test('detach removes both ends; detaching again succeeds and says there was nothing', async () => {
  const G = guest('detach');
  const r = await pw.attach({ hostIf: 'br0', guest: `netns:${G}`, guestIf: 'eth0', address: '198.51.100.40/24' });
  const d = await pw.detach({ guest: `netns:${G}`, guestIf: 'eth0' });
  assert.is(d.removed, true);
  assert.is(d.hostSide, r.hostSide);
  assert.is(ipTry(G, 'link', 'show', 'dev', 'eth0').status, 1, 'guest side gone');
  assert.is(ipTry(H, 'link', 'show', 'dev', r.hostSide!).status, 1, 'host side gone');
  const again = await pw.detach({ guest: `netns:${G}`, guestIf: 'eth0' });
  assert.is(again.removed, false);
  assert.match(again.message, /nothing to detach/);
});

test('a step the kernel refuses rolls back everything, a created bridge included', async () => {
  const G = guest('rollback');
  // A blackhole route for the gateway reaches nothing, so the on-link route to
  // it is added, and clashes (EEXIST) after the bridge, the veth and the address exist.
  ip(G, 'route', 'add', 'blackhole', '203.0.113.9/32');
  const before = snapshot(H, G);
  let error: unknown;
  await pw.attach({ hostIf: 'brroll', guest: `netns:${G}`, address: '198.51.100.50/24', gateway: '203.0.113.9' }).catch((e) => (error = e));
  assert.instance(error, PipeworkError);
  assert.is((error as PipeworkError).code, 'KERNEL');
  assert.is((error as PipeworkError).errno, 'EEXIST');
  assert.match((error as Error).message, /^add on-link route to gateway 203\.0\.113\.9 via eth1 failed: EEXIST/);
  assert.equal(snapshot(H, G), before, 'no residue in host or guest');
  assert.is(ipTry(H, 'link', 'show', 'dev', 'brroll').status, 1, 'the bridge made for this attach is gone');
});

test('an AbortSignal fired mid-attach stops before the next step and rolls back (ABORTED), a created bridge included', async () => {
  const G = guest('abort');
  const before = snapshot(H, G);
  const ac = new AbortController();
  const seen: string[] = [];
  let error: unknown;
  await pw
    .attach(
      { hostIf: 'brabort', guest: `netns:${G}`, address: '198.51.100.51/24', gateway: '198.51.100.1' },
      {
        signal: ac.signal,
        // Abort once the veth exists: the next step must not run.
        beforeStep: (step) => {
          seen.push(step.title);
          if (step.title.startsWith('add address')) ac.abort(new Error('operator said stop'));
        },
      },
    )
    .catch((e) => (error = e));
  assert.instance(error, PipeworkError);
  assert.is((error as PipeworkError).code, 'ABORTED');
  assert.match((error as Error).message, /^aborted before "bring eth1 up" \(operator said stop\); what was done is rolled back$/);
  assert.ok(seen.some((t) => t.startsWith('create veth')), seen.join(' | '));
  assert.equal(snapshot(H, G), before, 'no residue in host or guest');
  assert.is(ipTry(H, 'link', 'show', 'dev', 'brabort').status, 1, 'the bridge made for this attach is gone');
  // An already aborted signal changes nothing at all.
  await pw.attach({ hostIf: 'brabort', guest: `netns:${G}`, address: '198.51.100.51/24' }, { signal: AbortSignal.abort() }).catch((e) => (error = e));
  assert.is((error as PipeworkError).code, 'ABORTED');
  assert.equal(snapshot(H, G), before);
});

test('a guest whose process exits during the last steps is a failed attach (GUEST_NOT_RUNNING), rolled back, not a success', async () => {
  const p = await netSleeper();
  const before = snapshot(H);
  let confirms = 0;
  let error: unknown;
  await pw
    .attach(
      { hostIf: 'br0', guest: `pid:${p.pid}`, address: '198.51.100.52/24' },
      {
        // The third check of the guest is the last step of all, after the announcement.
        beforeStep: async (step) => {
          if (step.title.startsWith('confirm process') && ++confirms === 3) await killAndReap(p);
        },
      },
    )
    .catch((e) => (error = e));
  assert.is(confirms, 3, 'the guest is checked first, before announcing, and last');
  assert.instance(error, PipeworkError);
  assert.is((error as PipeworkError).code, 'GUEST_NOT_RUNNING');
  assert.equal(snapshot(H), before, 'the host side went with the rollback');
});

test('planAttach (dry run) lists iproute2 commands and changes nothing', async () => {
  const G = guest('dry');
  const before = snapshot(H, G);
  const plan = await pw.planAttach({ hostIf: 'brdry', guest: `netns:${G}`, address: '203.0.113.5/24', gateway: '198.51.100.1' });
  assert.equal(snapshot(H, G), before);
  assert.is(ipTry(H, 'link', 'show', 'dev', 'brdry').status, 1);
  const commands = plan.map((s) => s.command);
  assert.is(commands[0], `ip netns exec ${H} ip link add brdry up type bridge`);
  assert.match(commands[1]!, new RegExp(`link add veth1pl\\w+ mtu 1500 master brdry up type veth peer name eth1 mtu 1500 netns ${G}$`));
  assert.ok(commands.includes(`ip netns exec ${G} ip route add 198.51.100.1/32 dev eth1`));
  assert.ok(commands.includes(`ip netns exec ${G} ip route replace default via 198.51.100.1 dev eth1`));
});

test('two guests on one bridge reach each other', async () => {
  const A = guest('pinga');
  const B = guest('pingb');
  await pw.attach({ hostIf: 'br0', guest: `netns:${A}`, address: '192.0.2.101/24' });
  await pw.attach({ hostIf: 'br0', guest: `netns:${B}`, address: '192.0.2.102/24' });
  nsExec(A, 'busybox', 'ping', '-c', '1', '-W', '2', '192.0.2.102');
  nsExec(B, 'busybox', 'ping', '-c', '1', '-W', '2', '192.0.2.101');
});

withTcpdump('the gratuitous ARP leaves the guest and crosses the bridge, every field as arping -A', async () => {
  const G = guest('garp');
  let mac = '';
  const frames = await capture(H, 'br0', 'arp and src host 198.51.100.77', 1, async () => {
    mac = (await pw.attach({ hostIf: 'br0', guest: `netns:${G}`, address: '198.51.100.77/24', mac: '02:00:5e:10:00:77' })).mac;
  });
  assert.is(frames.length, 1);
  const arp = decodeArp(frames[0]!)!;
  assert.ok(arp, 'an ARP frame');
  assert.is(arp.dst, 'ff:ff:ff:ff:ff:ff');
  assert.is(arp.src, mac);
  assert.is(arp.op, 2, 'a reply, as arping -A sends');
  assert.is(arp.senderMac, mac);
  assert.is(arp.senderIp, '198.51.100.77');
  assert.is(arp.targetMac, mac);
  assert.is(arp.targetIp, '198.51.100.77');
  // the bridge learned the guest's port from it
  const fdb = spawnSync('ip', ['netns', 'exec', H, 'bridge', '-j', 'fdb', 'show', 'br', 'br0'], { encoding: 'utf8' });
  const entries = JSON.parse(fdb.stdout || '[]');
  assert.ok(entries.some((e: any) => e.mac === mac), 'fdb learned the MAC');
});

withTcpdump('the unsolicited neighbour advertisement has the override flag, target and link-layer option', async () => {
  const G = guest('una');
  let mac = '';
  const frames = await capture(H, 'br0', 'icmp6 and ip6[40] == 136', 1, async () => {
    mac = (await pw.attach({ hostIf: 'br0', guest: `netns:${G}`, address: '2001:db8:2::77/64', mac: '02:00:5e:10:00:78' })).mac;
  });
  assert.is(frames.length, 1);
  const na = decodeNeighborAdvert(frames[0]!)!;
  assert.ok(na, 'an NA frame');
  assert.is(na.dst, '33:33:00:00:00:01');
  assert.is(na.src, mac);
  assert.is(na.srcIp, '2001:db8:2::77');
  assert.is(na.dstIp, 'ff02::1');
  assert.is(na.hopLimit, 255);
  assert.is(na.target, '2001:db8:2::77');
  assert.is(na.override, true);
  assert.is(na.solicited, false);
  assert.is(na.router, false);
  assert.is(na.targetLinkAddress, mac);
  assert.is(na.checksumOk, true);
});

test.run();
