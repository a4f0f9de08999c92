// The IPoIB host-interface kind. No InfiniBand device can exist here (no
// hardware, no ib_ipoib), so the host is a real namespace whose link ib0 (a
// veth made here) is reported as ARPHRD_INFINIBAND by a wrapper around our
// Namespace: everything else (the guest, the kernel's answers, the state
// before and after) is real. What this shows: the kind is picked by link type,
// reads '@8001' as pkey 0x8001, names the guest side ib0, refuses a MAC,
// plans the original's commands, and when the kernel cannot make the child
// ("Unknown device type") says so in one line and leaves everything as it
// was. Our bytes against iproute2's: test/rtnl-kinds-golden.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PipeworkError } from '../src';
import { openHost, type Namespace } from '../src/pipework/namespace';
import { attach } from '../src/pipework/operations';
import { attachRequest } from '../src/request';
import { ARPHRD_INFINIBAND } from '../src/rtnl';
import { netState } from './helpers/cli';
import { NetnsScope, ip, run } from './helpers/netns';

const test = suite('ipoib');
const scope = new NetnsScope('pwvlanib');
const H = scope.name('host');
let real: Namespace;
let host: Namespace;

/** The host namespace as it is, but for ib0, which reads as an InfiniBand device. */
function infiniBandHost(ns: Namespace): Namespace {
  return new Proxy(ns, {
    get(target, prop, receiver) {
      if (prop === 'linkByName') {
        return async (name: string) => {
          const l = await target.linkByName(name);
          return l && name === 'ib0' ? { ...l, type: ARPHRD_INFINIBAND } : l;
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

function guest(label: string): string {
  const ns = scope.create(label);
  run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  return ns;
}

async function fails(p: Promise<unknown>): Promise<PipeworkError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, PipeworkError, String(e));
    return e as PipeworkError;
  }
  throw new assert.Assertion({ message: 'expected a failure' } as never);
}

test.before(() => {
  const ns = scope.create('host');
  run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  ip(H, 'link', 'add', 'ib0', 'type', 'veth', 'peer', 'name', 'ib1');
  real = openHost(H);
  host = infiniBandHost(real);
});

test.after(() => {
  real?.close();
  scope.cleanup();
});

test('--dry-run: the child IF.PKEY.NSPID with pkey 0x8001, the parent brought up, the move as ib0; no announcement', async () => {
  const G = guest('dry');
  const before = netState([H, G]);
  const req = attachRequest({ hostIf: 'ib0', guest: `netns:${G}`, address: '198.51.100.30/24', mac: '@8001' });
  assert.is(req.vlan, undefined, '8001 is no VLAN id');
  assert.is(req.tag, '8001');
  const { result, plan } = await attach(req, host, { dryRun: true });
  assert.is(result.kind, 'ipoib');
  assert.is(result.guestSide, 'ib0', "the original's default name for IPoIB");
  assert.is(result.link, 'IPoIB child of ib0, pkey 0x8001');
  const x = `ip netns exec ${H} `;
  const cmds = plan.map((s) => s.command);
  const nspid = process.pid; // a netns guest has no PID: ours stands in, as the original's NSPID would
  const temp = `ib0.8001.${nspid}`.length <= 15 ? `ib0.8001.${nspid}` : `pwib${nspid}`;
  assert.equal(cmds.slice(0, 3), [
    `${x}ip link add link ib0 name ${temp} type ipoib pkey 0x8001`,
    `${x}ip link set ib0 up`,
    `${x}ip link set dev ${temp} netns ${G} name ib0`,
  ]);
  assert.ok(cmds.some((c) => c.includes('addr add 198.51.100.30/24')), cmds.join('\n'));
  assert.not.ok(cmds.some((c) => c.includes('arping')), 'no Ethernet announcement on IPoIB');
  // -i wins over ib0; @10 is pkey 0x10 here, not VLAN 10
  const r2 = await attach(attachRequest({ hostIf: 'ib0', guest: `netns:${G}`, guestIf: 'eth3', address: '198.51.100.31/24', mac: '@10' }), host, { dryRun: true });
  assert.is(r2.result.guestSide, 'eth3');
  assert.match(r2.plan[0]!.command, / type ipoib pkey 0x10$/);
  assert.equal(netState([H, G]), before, 'a dry run changes nothing');
});

test('refused before anything is made: a MAC (as the original), -l, an invalid pkey; nothing changed', async () => {
  const G = guest('refuse');
  const before = netState([H, G]);
  const cases: [Parameters<typeof attachRequest>[0], RegExp][] = [
    [{ hostIf: 'ib0', guest: `netns:${G}`, address: '198.51.100.32/24', mac: '02:00:5e:00:53:32' }, /^MAC 02:00:5e:00:53:32: setting the MAC address of an IPoIB interface is not supported/],
    [{ hostIf: 'ib0', guest: `netns:${G}`, hostLinkName: 'h0', address: '198.51.100.32/24' }, /^-l h0: an IPoIB child of ib0 has no host-side end to name$/],
  ];
  for (const [o, message] of cases) {
    const e = await fails(attach(attachRequest(o), host));
    assert.is(e.code, 'USAGE', e.message);
    assert.match(e.message, message);
  }
  // 0x8000 is the invalid key: refused as a VLAN id already by the request (it is neither)
  assert.throws(() => attachRequest({ hostIf: 'ib0', guest: `netns:${G}`, mac: '@8000' }), /VLAN id 8000/);
  assert.equal(netState([H, G]), before);
});

test('the kernel cannot make the child ("Unknown device type"): one line naming what it lacks, everything as it was (ib0 still down)', async () => {
  const G = guest('nokernel');
  const before = netState([H, G]);
  const e = await fails(attach(attachRequest({ hostIf: 'ib0', guest: `netns:${G}`, address: '198.51.100.33/24', mac: '@8001' }), host));
  assert.is(e.code, 'KERNEL', e.message);
  assert.match(
    e.message,
    /^create IPoIB child \S+ of ib0 \(pkey 0x8001\): this kernel cannot make IPoIB interfaces \(it says "Unknown device type"\): it needs the ib_ipoib module \(CONFIG_INFINIBAND_IPOIB\)$/,
  );
  assert.not.match(e.message, /\n/);
  assert.equal(netState([H, G]), before);
});

test.run();
