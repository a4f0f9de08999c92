// Defects a new user hit, each pinned by a test against the real kernel in
// throwaway namespaces (pwfix-<pid>-*): detach touches only links carrying
// pipework's mark; a rollback puts back the default route the attach
// replaced; the gateway's on-link route is added only when nothing reaches the
// gateway; kinds not implemented yet are refused as UNSUPPORTED without
// blaming the name; re-running an attach whose link another kind made is a
// CONFLICT. The library is checked through its API, the CLI through its exit
// status and stderr, and the result through `ip -j` (an independent decoder).
//
// The host namespace has IPv6 off and a bridge br0 with a fixed MAC (a bridge
// whose MAC was never set takes its ports' lowest), so that before/after dumps
// compare equal when nothing changed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { attachRequest, type AttachOptions } from '../src';
import type { Namespace } from '../src/pipework/namespace';
import * as ops from '../src/pipework/operations';
import type { AttachRequest, DetachRequest } from '../src/request/types';
import { pipeworkRejection } from './helpers/assert';
import { assertDistFresh, explain, netState, pipework } from './helpers/cli';
import { libraryOnHost } from './helpers/library';
import { NetnsScope, ip, ipJson, ipTry, nsExec } from './helpers/netns';
import { requireIf } from './helpers/skip';

const test = suite('fixes');
const scope = new NetnsScope('pwfix');
let H = '';

// No InfiniBand device can be created in a test's namespace: IPoIB needs an
// InfiniBand parent, and this kernel has neither such hardware nor IPoIB.
const withInfiniBand = requireIf(test, false, 'no InfiniBand device can be made here (IPoIB needs an InfiniBand parent; this kernel has no IPoIB)');

// ---- helpers ----------------------------------------------------------------

function setIpv6(ns: string, on: boolean): void {
  const v = on ? '0' : '1';
  nsExec(ns, 'sysctl', '-qw', `net.ipv6.conf.all.disable_ipv6=${v}`, `net.ipv6.conf.default.disable_ipv6=${v}`);
}

/** A guest namespace; IPv6 off unless asked for (no link-local addresses changing under comparisons). */
function guest(label: string, opts: { ipv6?: boolean } = {}): string {
  const ns = scope.create(label);
  setIpv6(ns, !!opts.ipv6);
  return ns;
}

/** A second way out of the guest: veth side0/side1, both ends in it and up, 192.0.2.2/24 on side0. */
function sideLink(ns: string, opts: { defaultRoute?: boolean } = {}): void {
  ip(ns, 'link', 'add', 'side0', 'type', 'veth', 'peer', 'name', 'side1');
  ip(ns, 'addr', 'add', '192.0.2.2/24', 'dev', 'side0');
  ip(ns, 'link', 'set', 'side0', 'up');
  ip(ns, 'link', 'set', 'side1', 'up');
  if (opts.defaultRoute) ip(ns, 'route', 'add', 'default', 'via', '192.0.2.1', 'dev', 'side0');
}

const linkNames = (ns: string): string[] => ipJson(ns, 'link', 'show').map((l: any) => l.ifname);
const exists = (ns: string, dev: string): boolean => ipTry(ns, 'link', 'show', 'dev', dev).status === 0;
const cli = (...argv: string[]) => pipework(['--host-netns', H, ...argv]);

/** The main table's routes of a family, through `ip -j`. */
function routes(ns: string, family: 4 | 6): any[] {
  return ipJson(ns, `-${family}`, 'route', 'show', 'table', 'main');
}

// ---- hooks --------------------------------------------------------------------

const lib = libraryOnHost(test, scope, () => {
  assertDistFresh();
  H = scope.create('host');
  setIpv6(H, false);
  ip(H, 'link', 'add', 'br0', 'type', 'bridge');
  ip(H, 'link', 'set', 'br0', 'address', '02:00:00:00:0f:01', 'up');
  return H;
});

// ---- 1. detach removes only what carries our mark ----------------------------------

test('detach -i of a link made by hand inside the guest is refused (NOT_OURS; CLI exit 1, one line) and it survives', async () => {
  const G = guest('hand');
  ip(G, 'link', 'add', 'hand0', 'type', 'veth', 'peer', 'name', 'hand1');
  const before = netState([H, G]);

  const e = await pipeworkRejection('detach hand0', lib.pw.detach({ guest: `netns:${G}`, guestIf: 'hand0' }));
  assert.is(e.code, 'NOT_OURS', e.message);
  assert.match(e.message, /hand0 was not made by pipework/);
  assert.ok(exists(G, 'hand0') && exists(G, 'hand1'), 'hand0 and its peer survive the library');

  const r = cli('detach', '-i', 'hand0', `netns:${G}`);
  assert.is(r.status, 1, explain(r));
  assert.is(r.errLines.length, 1, explain(r));
  assert.match(r.errLines[0]!, /^pipework: .*hand0 was not made by pipework/, explain(r));
  assert.is(r.stdout, '', explain(r));
  assert.ok(exists(G, 'hand0') && exists(G, 'hand1'), 'hand0 and its peer survive the CLI');
  assert.equal(netState([H, G]), before, 'nothing changed');
});

test('detach --all removes the marked links and leaves one made by hand', async () => {
  const G = guest('handall');
  ip(G, 'link', 'add', 'hand0', 'type', 'veth', 'peer', 'name', 'hand1');
  await lib.pw.attach({ hostIf: 'br0', guest: `netns:${G}`, guestIf: 'eth1', address: '198.51.100.11/24' });
  await lib.pw.attach({ hostIf: 'br0', guest: `netns:${G}`, guestIf: 'eth2', address: '198.51.100.12/24' });

  const d = await lib.pw.detach({ guest: `netns:${G}`, all: true });
  assert.equal(d.detached.map((x) => x.guestSide).sort(), ['eth1', 'eth2']);
  assert.equal(linkNames(G).sort(), ['hand0', 'hand1', 'lo']);

  // The CLI's --all, with nothing of ours left: hand0 is still not a candidate.
  const r = cli('detach', '--all', `netns:${G}`);
  assert.is(r.status, 0, explain(r));
  assert.match(r.stdout, /has no interface added by pipework: nothing to detach/);
  assert.equal(linkNames(G).sort(), ['hand0', 'hand1', 'lo']);
  assert.equal(ipJson(H, 'link', 'show', 'master', 'br0'), [], 'the host sides went with them');
});

test('detach with force (the library-level request) removes a link made by hand', async () => {
  const G = guest('force');
  ip(G, 'link', 'add', 'hand0', 'type', 'veth', 'peer', 'name', 'hand1');
  const req: DetachRequest = { op: 'detach', guest: `netns:${G}`, guestIf: 'hand0', force: true };
  const out = await ops.detach(req, lib.host);
  assert.is(out.result.removed, true, out.result.message);
  assert.not.ok(exists(G, 'hand0'), 'hand0 is gone');
  assert.not.ok(exists(G, 'hand1'), 'and its peer with it');
  assert.equal(linkNames(G), ['lo']);
});

test('a marked link still detaches, by the library and by the CLI', async () => {
  const G = guest('marked');
  const a = await lib.pw.attach({ hostIf: 'br0', guest: `netns:${G}`, guestIf: 'eth3', address: '198.51.100.13/24' });
  const d = await lib.pw.detach({ guest: `netns:${G}`, guestIf: 'eth3' });
  assert.is(d.removed, true);
  assert.is(d.hostSide, a.hostSide);
  assert.not.ok(exists(G, 'eth3'));
  assert.not.ok(exists(H, a.hostSide!));

  await lib.pw.attach({ hostIf: 'br0', guest: `netns:${G}`, guestIf: 'eth4', address: '198.51.100.14/24' });
  const r = cli('detach', '-i', 'eth4', `netns:${G}`);
  assert.is(r.status, 0, explain(r));
  assert.match(r.stdout, /^removed eth4 from netns \S+ and its host side veth4pl\w+\n$/, explain(r));
  assert.equal(linkNames(G), ['lo']);
});

test('a link with an old version-1 mark (pipework:netns:<G>:<if>) is still ours: detach -i and detach --all remove it', async () => {
  const G = guest('v1');
  ip(G, 'link', 'add', 'old0', 'type', 'veth', 'peer', 'name', 'old1');
  ip(G, 'link', 'set', 'old0', 'alias', `pipework:netns:${G}:old0`);
  const d = await lib.pw.detach({ guest: `netns:${G}`, guestIf: 'old0' });
  assert.is(d.removed, true, d.message);
  assert.not.ok(exists(G, 'old0'));
  assert.not.ok(exists(G, 'old1'), 'its peer went with it');

  ip(G, 'link', 'add', 'old0', 'type', 'veth', 'peer', 'name', 'old1');
  ip(G, 'link', 'set', 'old0', 'alias', `pipework:netns:${G}:old0`);
  ip(G, 'link', 'add', 'hand0', 'type', 'veth', 'peer', 'name', 'hand1');
  const r = cli('detach', '--all', `netns:${G}`);
  assert.is(r.status, 0, explain(r));
  assert.match(r.stdout, /^removed old0 from netns /, explain(r));
  assert.equal(linkNames(G).sort(), ['hand0', 'hand1', 'lo'], 'the version-1 link went, the hand-made one stayed');
});

// ---- 2. rollback puts the replaced default route back ---------------------------------

test('rollback after the default-route step restores the default route it replaced; nothing else changed', async () => {
  const G = guest('rbdef');
  sideLink(G, { defaultRoute: true });
  const o: AttachOptions = { hostIf: 'br0', guest: `netns:${G}`, address: '198.51.100.33/24', gateway: '198.51.100.1' };
  // The plan names the step; execution also runs checks the plan does not list, so the fault goes by title.
  const plan = await lib.pw.planAttach(o);
  const at = plan.findIndex((s) => s.title.startsWith('set default route'));
  assert.ok(at >= 0, `a default-route step: ${JSON.stringify(plan.map((s) => s.title))}`);
  const defaultStep = plan[at]!.title;
  const before = netState([H, G]);

  let previous = '';
  let sawReplaced = false;
  let injectedAt = '';
  const e = await pipeworkRejection(
    'attach with a fault after the default route',
    lib.pw.attach(o, {
      beforeStep: (step) => {
        const last = previous;
        previous = step.title;
        if (last !== defaultStep) return;
        // The attach's default route is in place at this point: the side0 one was replaced.
        sawReplaced = routes(G, 4).some((x) => x.dst === 'default' && x.gateway === '198.51.100.1' && x.dev === 'eth1');
        injectedAt = step.title;
        throw new Error(`injected fault before ${step.title}`);
      },
    }),
  );
  assert.ok(injectedAt, `a step follows "${defaultStep}"`);
  assert.match(e.message, /injected fault/);
  assert.ok(sawReplaced, 'the fault came after the default route was replaced');
  const defaults = routes(G, 4).filter((x) => x.dst === 'default');
  assert.equal(
    defaults.map((x) => [x.gateway, x.dev]),
    [['192.0.2.1', 'side0']],
    `the previous default route is back: ${JSON.stringify(defaults)}`,
  );
  assert.equal(netState([H, G]), before, 'nothing else changed');
});

test('after a successful attach, detach does NOT restore the default route the attach replaced (chosen: detach removes only what is ours)', async () => {
  const G = guest('okdef');
  sideLink(G, { defaultRoute: true });
  await lib.pw.attach({ hostIf: 'br0', guest: `netns:${G}`, address: '198.51.100.34/24', gateway: '198.51.100.1' });
  assert.equal(
    routes(G, 4).filter((x) => x.dst === 'default').map((x) => [x.gateway, x.dev]),
    [['198.51.100.1', 'eth1']],
  );
  await lib.pw.detach({ guest: `netns:${G}` });
  assert.equal(routes(G, 4).filter((x) => x.dst === 'default'), [], 'no default route: the one via side0 stays replaced');
});

// ---- 3. the on-link route to the gateway only when nothing reaches it -------------------

/** The commands `--dry-run` prints for an attach of eth1 on br0 (changes nothing). */
function dryRun(G: string, address: string): string[] {
  const before = netState([H, G]);
  const r = cli('--dry-run', 'br0', `netns:${G}`, address);
  assert.is(r.status, 0, explain(r));
  assert.equal(netState([H, G]), before, 'the dry run changed nothing');
  return r.stdout.split('\n').filter((l) => l !== '');
}

const routeAdds = (lines: string[]): string[] => lines.filter((l) => / route add /.test(l));

test('gateway (a) inside the prefix: no on-link route, and --dry-run prints none', async () => {
  const G = guest('gwin');
  assert.equal(routeAdds(dryRun(G, '198.51.100.35/24@198.51.100.1')), []);
  const r = await lib.pw.attach({ hostIf: 'br0', guest: `netns:${G}`, address: '198.51.100.35/24', gateway: '198.51.100.1' });
  assert.equal(r.routes, [{ dst: 'default', via: '198.51.100.1', dev: 'eth1' }]);
  const rs = routes(G, 4);
  assert.not.ok(rs.some((x) => x.dst === '198.51.100.1'), JSON.stringify(rs));
  assert.ok(rs.some((x) => x.dst === 'default' && x.gateway === '198.51.100.1' && x.dev === 'eth1'), JSON.stringify(rs));
});

test('gateway (b) outside the prefix, reached through another interface: no /32 on eth1, default via it on side0; --dry-run prints no route add', async () => {
  const G = guest('gwside');
  sideLink(G);
  const lines = dryRun(G, '203.0.113.10/28@192.0.2.1');
  assert.equal(routeAdds(lines), [], lines.join('\n'));
  assert.ok(lines.includes(`ip netns exec ${G} ip route replace default via 192.0.2.1`), lines.join('\n'));

  const r = await lib.pw.attach({ hostIf: 'br0', guest: `netns:${G}`, address: '203.0.113.10/28', gateway: '192.0.2.1' });
  assert.equal(r.routes, [{ dst: 'default', via: '192.0.2.1', dev: 'side0' }]);
  const rs = routes(G, 4);
  assert.not.ok(rs.some((x) => x.dst === '192.0.2.1'), `no on-link /32: ${JSON.stringify(rs)}`);
  assert.equal(
    rs.filter((x) => x.dst === 'default').map((x) => [x.gateway, x.dev]),
    [['192.0.2.1', 'side0']],
    JSON.stringify(rs),
  );
  // And the same attach again is recognised as in place.
  const again = await lib.pw.attach({ hostIf: 'br0', guest: `netns:${G}`, address: '203.0.113.10/28', gateway: '192.0.2.1' });
  assert.is(again.alreadyInPlace, true);
  assert.equal(again.routes, [{ dst: 'default', via: '192.0.2.1', dev: 'side0' }]);
});

test('gateway (c) outside the prefix and unreachable: the on-link /32 on eth1 is added, and --dry-run prints it', async () => {
  const G = guest('gwout');
  assert.equal(routeAdds(dryRun(G, '203.0.113.10/28@198.51.100.1')), [`ip netns exec ${G} ip route add 198.51.100.1/32 dev eth1`]);
  const r = await lib.pw.attach({ hostIf: 'br0', guest: `netns:${G}`, address: '203.0.113.10/28', gateway: '198.51.100.1' });
  assert.equal(r.routes, [
    { dst: '198.51.100.1/32', dev: 'eth1' },
    { dst: 'default', via: '198.51.100.1', dev: 'eth1' },
  ]);
  const rs = routes(G, 4);
  const onLink = rs.find((x) => x.dst === '198.51.100.1');
  assert.ok(onLink, JSON.stringify(rs));
  assert.is(onLink.dev, 'eth1');
  assert.is(onLink.scope, 'link');
  assert.ok(rs.some((x) => x.dst === 'default' && x.gateway === '198.51.100.1' && x.dev === 'eth1'), JSON.stringify(rs));
});

test('gateway (d) IPv6 link-local: no fe80::1/128 route, default via fe80::1 dev eth1; --dry-run prints no route add', async () => {
  const G = guest('gwll', { ipv6: true });
  // IPv6 on in the guest makes lo and eth1 gain addresses over time: no before/after dump comparison here.
  const r0 = cli('--dry-run', 'br0', `netns:${G}`, '2001:db8::33/64@fe80::1');
  assert.is(r0.status, 0, explain(r0));
  assert.equal(routeAdds(r0.stdout.split('\n')), [], r0.stdout);
  assert.not.ok(exists(G, 'eth1'), 'the dry run made nothing');

  const r = await lib.pw.attach({ hostIf: 'br0', guest: `netns:${G}`, address: '2001:db8::33/64', gateway: 'fe80::1' });
  assert.equal(r.routes, [{ dst: 'default', via: 'fe80::1', dev: 'eth1' }]);
  const rs = routes(G, 6);
  assert.not.ok(rs.some((x) => x.dst === 'fe80::1'), `no on-link /128: ${JSON.stringify(rs)}`);
  assert.ok(rs.some((x) => x.dst === 'default' && x.gateway === 'fe80::1' && x.dev === 'eth1'), JSON.stringify(rs));
});

// ---- 4. kinds not implemented yet: UNSUPPORTED, not a complaint about the name --------------

test('a device of type InfiniBand (ARPHRD 32) is claimed by the IPoIB kind, which refuses a MAC before it looks at anything (no kernel device: a stub host)', async () => {
  const { pickKind } = await import('../src/pipework/hostif/registry');
  const { ARPHRD_INFINIBAND } = await import('../src/rtnl');
  const ib = { index: 7, name: 'ib0', type: ARPHRD_INFINIBAND, flags: 0, mtu: 2044 };
  const stubHost = { linkByName: async (name: string) => (name === 'ib0' ? ib : undefined) } as unknown as Namespace;
  const req = attachRequest({ hostIf: 'ib0', guest: 'netns:none', address: '198.51.100.43/24', mac: '02:00:5e:00:53:43' });
  const { kind, found } = await pickKind(req, stubHost);
  assert.is(kind.name, 'ipoib');
  const e = await pipeworkRejection('plan on ib0', kind.plan({ req } as never, found));
  assert.is(e.code, 'USAGE', e.message);
  assert.match(e.message, /^MAC 02:00:5e:00:53:43: setting the MAC address of an IPoIB interface is not supported/);
});

withInfiniBand('an existing InfiniBand device as host interface: a MAC is refused (CLI exit 2), nothing changed', async () => {
  // Would run with an InfiniBand device ib0 in the host namespace (the IPoIB attach itself: test/ipoib.test.ts).
  const G = guest('ib');
  const before = netState([H, G]);
  const r = cli('ib0', `netns:${G}`, '198.51.100.43/24', '02:00:5e:00:53:43');
  assert.is(r.status, 2, explain(r));
  assert.equal(netState([H, G]), before);
});

// ---- 5. a re-run whose link another kind made ------------------------------------------------

test('re-running an attach of eth1 with a macvlan parent after a bridge made it: CONFLICT naming the kinds, nothing changed', async () => {
  const G = guest('kinds');
  ip(H, 'link', 'add', 'par0', 'type', 'veth', 'peer', 'name', 'par1');
  try {
    await lib.pw.attach({ hostIf: 'br0', guest: `netns:${G}`, address: '198.51.100.50/24' });
    const before = netState([H, G]);
    const e = await pipeworkRejection('attach eth1 on par0', lib.pw.attach({ hostIf: 'par0', guest: `netns:${G}`, address: '198.51.100.50/24' }));
    assert.is(e.code, 'CONFLICT', e.message);
    assert.match(e.message, /made as a bridge link, and par0 now takes a macvlan one/);
    assert.equal(netState([H, G]), before, 'nothing changed (library)');

    const r = cli('par0', `netns:${G}`, '198.51.100.50/24');
    assert.is(r.status, 1, explain(r));
    assert.is(r.errLines.length, 1, explain(r));
    assert.match(r.errLines[0]!, /made as a bridge link, and par0 now takes a macvlan one/, explain(r));
    assert.equal(netState([H, G]), before, 'nothing changed (CLI)');
  } finally {
    ipTry(H, 'link', 'del', 'par0');
  }
});

test.run();
