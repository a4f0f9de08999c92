// The dummy host-interface word, and the two messages --direct-phys and
// dummy send, against iproute2's own bytes.
//
// This VM's kernel has no dummy driver (rtnl_newlink() answers EOPNOTSUPP,
// "Unknown device type"). So: golden bytes of `ip link add NAME address M
// netns GUEST type dummy` (the kernel refuses it, the request is still
// there to capture: test/helpers/strace.ts), the dry run, the clear line this
// kernel gets, and a live test that runs where the kernel has dummy
// interfaces and otherwise prints why it skipped.
//
// The bytes were captured from iproute2-6.1.0 on Linux 6.18 with
//   ip netns exec NS strace -qq -e trace=sendmsg -e write=all -s 0 ip ARGS...
// in a fresh namespace, the veth q0 being ifindex 3 there (its peer q1, made first, 2).
// IFLA_NET_NS_FD is the fd number iproute2 opened the namespace on (4): our
// encoder is pure, so the test passes 4 too.
//
// Namespaces: pwphys-<pid>-dummy*; all removed in after.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Pipework, PipeworkError } from '../src';
import { NLM_F_ACK, NLM_F_REQUEST } from '../src/netlink';
import { openHost, type Namespace } from '../src/pipework/namespace';
import { attach } from '../src/pipework/operations';
import { RTM_NEWLINK, newLink, setLink } from '../src/rtnl';
import { attachRequest, type AttachOptions } from '../src/request';
import { explain, netState, pipework } from './helpers/cli';
import { NetnsScope, ip, ipJson, run } from './helpers/netns';
import { faultAtEveryStep } from './helpers/lifecycle';
import { requireIf } from './helpers/skip';
import { captureIp, have, iproute2Version } from './helpers/strace';

const test = suite('dummy');
const scope = new NetnsScope('pwphys');
const H = scope.name('dummyhost');
const root = process.getuid?.() === 0;
let pw: Pipework;
let host: Namespace;

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const macBytes = (s: string): Buffer => Buffer.from(s.split(':').map((x) => parseInt(x, 16)));
const GUEST_FD = 4;

const GOLDEN = {
  // ip link add eth1 address 02:00:5e:00:53:65 netns GUEST type dummy
  dummy: {
    cmd: 'link add eth1 address 02:00:5e:00:53:65 netns GUEST type dummy',
    hex:
      '50000000 1000 0506 e439136b 00000000 00000000 00000000 00000000 00000000' +
      ' 0a00 0100 02005e00 53650000' + // IFLA_ADDRESS
      ' 0800 1c00 04000000' + // IFLA_NET_NS_FD 4
      ' 0900 0300 65746831 00000000' + // IFLA_IFNAME "eth1"
      ' 1000 1200 0900 0100 64756d6d 79000000', // IFLA_LINKINFO { IFLA_INFO_KIND "dummy" }, no IFLA_INFO_DATA
  },
  // ip link set dev q0 address 02:00:5e:00:53:66 netns GUEST name eth7 (--direct-phys's move)
  move: {
    cmd: 'link set dev q0 address 02:00:5e:00:53:66 netns GUEST name eth7',
    hex:
      '40000000 1000 0500 ed39136b 00000000 00000000 03000000 00000000 00000000' + // ifindex 3 (q0; its peer q1 is 2)
      ' 0a00 0100 02005e00 53660000 0800 1c00 04000000 0900 0300 65746837 00000000',
  },
} as const;

/** What the kernel receives from our socket: flags | REQUEST | ACK, seq and pid zeroed. */
function sent(msg: Buffer): string {
  const m = Buffer.from(msg);
  m.writeUInt16LE(m.readUInt16LE(6) | NLM_F_REQUEST | NLM_F_ACK, 6);
  m.writeUInt32LE(0, 8);
  m.writeUInt32LE(0, 12);
  return m.toString('hex');
}

function received(h: string | Buffer): string {
  const m = typeof h === 'string' ? hex(h) : Buffer.from(h);
  m.writeUInt32LE(0, 8);
  m.writeUInt32LE(0, 12);
  return m.toString('hex');
}

const ours = {
  dummy: () => newLink({ name: 'eth1', mac: macBytes('02:00:5e:00:53:65'), nsFd: GUEST_FD, kind: 'dummy' }),
  move: () => setLink({ index: 3, mac: macBytes('02:00:5e:00:53:66'), nsFd: GUEST_FD, name: 'eth7' }),
};

/** Whether this kernel makes dummy interfaces (tried in a namespace of ours). */
function kernelHasDummy(): boolean {
  if (!root) return false;
  const probe = scope.create('dummyprobe');
  const ok = run('ip', ['-n', probe, 'link', 'add', 'probe0', 'type', 'dummy']).status === 0;
  scope.delete(probe);
  return ok;
}
const hasDummy = kernelHasDummy();
const withDummy = requireIf(test, hasDummy, 'this kernel has no dummy driver (ip link add ... type dummy: Unknown device type)');
const withoutDummy = requireIf(test, root && !hasDummy, 'this kernel has the dummy driver: the no-driver line cannot be seen here');

function guest(label: string): string {
  const ns = scope.create(label);
  run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  return ns;
}

const cli = (...argv: string[]) => pipework(['--host-netns', H, ...argv]);

test.before(() => {
  if (!root) return;
  scope.create('dummyhost');
  pw = new Pipework({ hostNetns: H });
  host = openHost(H);
});

test.after(() => {
  pw?.close();
  host?.close();
  scope.cleanup();
});

// ---- golden -------------------------------------------------------------------

test('golden: ip link add eth1 address ... netns GUEST type dummy == newLink({ name, mac, nsFd, kind: dummy })', () => {
  assert.is(sent(ours.dummy()), received(GOLDEN.dummy.hex));
});

test('golden: ip link set dev q0 address ... netns GUEST name eth7 == setLink({ index, mac, nsFd, name }), --direct-phys in one message', () => {
  assert.is(sent(ours.move()), received(GOLDEN.move.hex));
});

const version = iproute2Version();
const CAPTURED_WITH = 'iproute2-6.1.0';
const recaptureWhyNot = !root
  ? 'not root'
  : !have('strace', ['-V'])
    ? 'strace not installed'
    : version !== CAPTURED_WITH
      ? `the bytes were captured from ${CAPTURED_WITH}, this is ${version}; a different layout would not be our bug`
      : undefined;
const recapture = requireIf(test, recaptureWhyNot === undefined, recaptureWhyNot ?? '');

recapture('golden: the captures are what this iproute2 sends today (strace, fresh namespace; the kernel may refuse the dummy)', () => {
  const ns = scope.create('dummycap');
  const g = scope.create('dummycapguest');
  ip(ns, 'link', 'add', 'q0', 'type', 'veth', 'peer', 'name', 'q1');
  assert.is(ipJson(ns, 'link', 'show', 'dev', 'q0')[0].ifindex, 3);
  for (const [key, gold] of Object.entries(GOLDEN)) {
    const cap = captureIp(ns, ...gold.cmd.replace('GUEST', g).split(' '));
    const last = cap.messages.filter((m) => m.readUInt16LE(4) === RTM_NEWLINK).pop();
    assert.ok(last, `ip ${gold.cmd} sent no RTM_NEWLINK that strace showed: ${cap.stderr}`);
    assert.is(received(last!), received(gold.hex), `${key}: ip ${gold.cmd}`);
  }
  // the move really happened, as one message: q0 is eth7 in the guest, with that MAC
  assert.is(ipJson(g, 'link', 'show', 'dev', 'eth7')[0].address, '02:00:5e:00:53:66');
  scope.delete(ns);
  scope.delete(g);
});

// ---- the dummy word -------------------------------------------------------------

const live = requireIf(test, root, 'not root');

live('dry run: pipework dummy GUEST 192.0.2.101/24@192.0.2.1 lists the original\'s steps, made in one message in the guest; nothing changed', () => {
  const G = guest('dummydry');
  const before = netState([H, G]);
  const r = cli('--dry-run', 'dummy', `netns:${G}`, '192.0.2.101/24@192.0.2.1', '02:00:5e:00:53:65');
  assert.is(r.status, 0, explain(r));
  assert.is(
    r.stdout,
    `ip netns exec ${H} ip link add eth1 address 02:00:5e:00:53:65 netns ${G} type dummy\n` +
      `ip netns exec ${G} ip addr add 192.0.2.101/24 broadcast 192.0.2.255 dev eth1\n` +
      `ip netns exec ${G} ip link set eth1 up\n` +
      `ip netns exec ${G} ip route replace default via 192.0.2.1 dev eth1\n` +
      `ip netns exec ${G} arping -c 1 -A -I eth1 192.0.2.101\n`,
  );
  const j = cli('--dry-run', '--json', 'dummy7', `netns:${G}`, '192.0.2.101/24');
  assert.is(j.status, 0, explain(j));
  const out = JSON.parse(j.stdout);
  assert.equal([out.result.kind, out.result.link, out.result.hostSide], ['dummy', 'dummy interface (no host side)', undefined]);
  const l = cli('dummy', '-l', 'h1', `netns:${G}`, '0/0');
  assert.is(l.status, 2, explain(l));
  assert.equal(l.errLines, ['pipework: -l h1: a dummy interface has no host-side end to name']);
  assert.equal(netState([H, G]), before);
});

withoutDummy('this kernel has no dummy driver: one clear line, exit 1, nothing changed', async () => {
  const G = guest('dummynone');
  const before = netState([H, G]);
  const r = cli('dummy', `netns:${G}`, '192.0.2.101/24@192.0.2.1');
  assert.is(r.status, 1, explain(r));
  assert.equal(r.errLines, [`pipework: create dummy interface eth1 in netns ${G}: this kernel has no dummy interfaces (the dummy driver is not loaded: modprobe dummy)`]);
  const e = (await pw.attach({ hostIf: 'dummy', guest: `netns:${G}` }).then(
    () => assert.unreachable('attached'),
    (x: unknown) => x,
  )) as PipeworkError;
  assert.instance(e, PipeworkError);
  assert.is(e.code, 'KERNEL');
  // errno 95: EOPNOTSUPP and ENOTSUP are one number on Linux; the name is the errno table's first.
  assert.ok(['EOPNOTSUPP', 'ENOTSUP'].includes(e.errno ?? ''), String(e.errno));
  assert.equal(netState([H, G]), before);
});

withDummy('dummy GUEST 192.0.2.101/24@192.0.2.1: a dummy in the guest with address, gateway, up and mark; re-run, conflict, rollback, detach, gc', async () => {
  const G = guest('dummylive');
  const before = netState([H, G]);
  const r = cli('dummy', `netns:${G}`, '192.0.2.101/24@192.0.2.1', '02:00:5e:00:53:65');
  assert.is(r.status, 0, explain(r));
  const l = ipJson(G, '-d', 'link', 'show', 'dev', 'eth1')[0];
  assert.equal([l.linkinfo?.info_kind, l.address, l.ifalias, l.flags.includes('UP')], ['dummy', '02:00:5e:00:53:65', `pipework:2:dummy:netns:${G}:eth1`, true]);
  assert.equal(ipJson(G, 'addr', 'show', 'dev', 'eth1')[0].addr_info.map((x: any) => `${x.local}/${x.prefixlen}`), ['192.0.2.101/24']);
  assert.ok(ipJson<any[]>(G, 'route', 'show').some((x) => x.dst === 'default' && x.gateway === '192.0.2.1' && x.dev === 'eth1'));
  const v = (await pw.show(`netns:${G}`)).interfaces.find((i) => i.name === 'eth1')!;
  assert.equal([v.kind, v.mac, v.addresses], ['dummy', l.address, ['192.0.2.101/24']]);
  assert.equal(netState([H]), { [H]: before[H] }, 'no host side');
  const after = netState([H, G]);
  assert.is(cli('dummy', `netns:${G}`, '192.0.2.101/24@192.0.2.1', '02:00:5e:00:53:65').status, 0, 'the same again');
  const other = cli('dummy', `netns:${G}`, '192.0.2.102/24');
  assert.is(other.status, 1, explain(other));
  assert.equal(netState([H, G]), after);
  assert.equal((await pw.gc()).removed, [], 'gc: nothing');
  const d = await pw.detach({ guest: `netns:${G}` });
  assert.equal(d.detached.map((x) => x.guestSide), ['eth1']);
  assert.equal(netState([H, G]), before);
  const o: AttachOptions = { hostIf: 'dummy', guest: `netns:${G}`, address: '192.0.2.101/24', gateway: '192.0.2.1' };
  await faultAtEveryStep(
    (beforeStep) => attach(attachRequest(o), host, { beforeStep }),
    (inject) => assert.equal(netState([H, G]), before, `fault before step ${inject}`),
  );
  await pw.detach({ guest: `netns:${G}` });
});


test.run();
