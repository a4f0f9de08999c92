// The built-in DHCP client against a real dnsmasq started by the test in its
// own host namespace. What the guest got is read with `ip -j`; what the
// server granted, from dnsmasq's lease file.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertDistFresh, explain, netState, pipework } from './helpers/cli';
import { dnsmasqLeases, startDnsmasq, type Server } from './helpers/dhcp-server';
import { NetnsScope, ip, ipJson, nsExec } from './helpers/netns';

const scope = new NetnsScope('pwdhcp');
let HOST = '';
let dir = '';
let server: Server;
const env = (): NodeJS.ProcessEnv => ({ ...process.env, PIPEWORK_RUN_DIR: dir });
const ROUTED_MAC = '02:00:5e:00:12:21';

test.before(async () => {
  assertDistFresh();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pwdhcp-'));
  HOST = scope.create('host');
  ip(HOST, 'link', 'add', 'br0', 'type', 'bridge');
  ip(HOST, 'addr', 'add', '192.0.2.1/24', 'dev', 'br0');
  ip(HOST, 'link', 'set', 'br0', 'up');
  server = await startDnsmasq(HOST, 'br0', dir, '192.0.2.50,192.0.2.59,120', [
    '--dhcp-authoritative',
    `--dhcp-host=${ROUTED_MAC},set:routed`,
    '--dhcp-option=tag:routed,121,198.51.100.0/24,192.0.2.1,0.0.0.0/0,192.0.2.2',
    '--dhcp-option=tag:routed,26,1400',
    '--dhcp-option=option:dns-server,192.0.2.53',
    '--dhcp-option=option:domain-name,example.test',
  ]);
});
test.after(async () => {
  await server?.stop();
  scope.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

const inet = (ns: string, dev: string): { local: string; prefixlen: number; valid_life_time: number }[] =>
  ipJson(ns, 'addr', 'show', 'dev', dev)[0].addr_info.filter((a: { family: string }) => a.family === 'inet');

test('dhcp: an address in the range, the hostname in the lease file, the default route from option 3, DNS in the result', () => {
  const g = scope.create('g1');
  const r = pipework(['--json', '--host-netns', HOST, 'br0', `netns:${g}`, 'dhcp', 'U:pwdhcp-g1'], { env: env() });
  assert.is(r.status, 0, explain(r));
  const out = JSON.parse(r.stdout).result;
  const [a] = inet(g, 'eth1');
  assert.ok(a, 'an IPv4 address on eth1');
  const n = Number(a!.local.split('.')[3]);
  assert.ok(a!.local.startsWith('192.0.2.') && n >= 50 && n <= 59, a!.local);
  assert.is(a!.prefixlen, 24);
  assert.ok(a!.valid_life_time > 0 && a!.valid_life_time <= 120, `the lease's lifetime on the address: ${a!.valid_life_time}`);
  const lease = dnsmasqLeases(server.leaseFile).find((l) => l.ip === a!.local);
  assert.ok(lease, 'dnsmasq granted that address');
  assert.is(lease!.host, g, 'option 12 is the guest name');
  assert.is(lease!.mac, out.mac);
  const routes = ipJson(g, 'route', 'show', 'default');
  assert.equal(routes.map((x: { gateway: string; dev: string }) => [x.gateway, x.dev]), [['192.0.2.1', 'eth1']]);
  assert.equal(out.dhcp.dns, ['192.0.2.53']);
  assert.is(out.dhcp.domain, 'example.test');
  assert.is(out.dhcp.server, '192.0.2.1');
  assert.is(out.dhcp.renewed, false);
  assert.ok(fs.existsSync(path.join(dir, `dhcp.${g}.eth1.lease`)), 'the lease file detach reads');
});

test('option 121 overrides option 3 (RFC 3442), option 26 sets the MTU', () => {
  const g = scope.create('g2');
  const r = pipework(['--host-netns', HOST, 'br0', `netns:${g}`, 'udhcpc', ROUTED_MAC], { env: env() });
  assert.is(r.status, 0, explain(r));
  const routes = ipJson(g, 'route', 'show');
  const want = (dst: string) => routes.find((x: { dst: string }) => x.dst === dst);
  assert.is(want('198.51.100.0/24')?.gateway, '192.0.2.1');
  assert.is(want('default')?.gateway, '192.0.2.2', 'the default route is 121\'s, not option 3\'s 192.0.2.1');
  assert.is(ipJson(g, 'link', 'show', 'eth1')[0].mtu, 1400);
});

test('detach sends a RELEASE (the lease leaves the file); re-attaching the same U: MAC gets the same address', () => {
  const g = scope.create('g3');
  const r1 = pipework(['--host-netns', HOST, 'br0', `netns:${g}`, 'dhclient', 'U:pwdhcp-g3'], { env: env() });
  assert.is(r1.status, 0, explain(r1));
  const first = inet(g, 'eth1')[0]!.local;
  assert.ok(dnsmasqLeases(server.leaseFile).some((l) => l.ip === first));
  const d = pipework(['--host-netns', HOST, 'detach', '-i', 'eth1', `netns:${g}`], { env: env() });
  assert.is(d.status, 0, explain(d));
  assert.not.ok(dnsmasqLeases(server.leaseFile).some((l) => l.ip === first), 'released: gone from dnsmasq\'s lease file');
  assert.not.ok(fs.existsSync(path.join(dir, `dhclient.${g}.eth1.lease`)));
  const r2 = pipework(['--host-netns', HOST, 'br0', `netns:${g}`, 'dhclient', 'U:pwdhcp-g3'], { env: env() });
  assert.is(r2.status, 0, explain(r2));
  assert.is(inet(g, 'eth1')[0]!.local, first, 'the same client identifier (from the MAC) gets the same address');
});

test('a requested address outside the range: the authoritative server NAKs, and discovery starts over', () => {
  const g = scope.create('g4');
  const r = pipework(['--json', '--host-netns', HOST, 'br0', `netns:${g}`, 'dhcp:-r 192.0.2.200'], { env: env() });
  assert.is(r.status, 0, explain(r));
  const out = JSON.parse(r.stdout).result;
  assert.is(out.dhcp.naks, 1, 'one NAK seen');
  assert.match(server.log(), /DHCPNAK\(br0\) 192\.0\.2\.200/);
  const a = inet(g, 'eth1')[0]!.local;
  assert.is.not(a, '192.0.2.200');
  assert.ok(a.startsWith('192.0.2.5'), a);
});

test('no server: a clear TIMEOUT after --dhcp-timeout, and nothing left behind', () => {
  const host2 = scope.create('quiet');
  // No IPv6 here (its link-local addresses settle in their own time), a fixed MAC and a standing port: a bridge's own MAC and carrier change as ports come and go, which is the kernel's doing, not ours.
  nsExec(host2, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  ip(host2, 'link', 'add', 'br0', 'address', '02:00:5e:00:12:01', 'type', 'bridge');
  ip(host2, 'link', 'add', 'stay0', 'type', 'veth', 'peer', 'name', 'stay1');
  ip(host2, 'link', 'set', 'stay0', 'master', 'br0', 'up');
  ip(host2, 'link', 'set', 'stay1', 'up');
  ip(host2, 'link', 'set', 'br0', 'up');
  const g = scope.create('g5');
  const before = netState([host2, g]);
  const t0 = Date.now();
  const r = pipework(['--host-netns', host2, 'br0', `netns:${g}`, 'dhcp', '--dhcp-timeout', '1.5'], { env: env() });
  assert.is(r.status, 1, explain(r));
  assert.equal(r.errLines.length, 1);
  assert.match(r.errLines[0]!, /no DHCP lease for eth1 in netns .* within 1\.5 s/);
  assert.ok(Date.now() - t0 < 10_000);
  assert.equal(netState([host2, g]), before, 'the veth and everything else rolled back');
});

test('refused: an option the built-in client has no meaning for, listing what is supported; a gateway or -a 6 with DHCP', () => {
  const g = scope.create('g6');
  const before = netState([HOST, g]);
  const bad = pipework(['--host-netns', HOST, 'br0', `netns:${g}`, 'dhcp:-s /etc/script'], { env: env() });
  assert.is(bad.status, 2, explain(bad));
  assert.match(bad.errLines[0]!, /DHCP option -s in "dhcp:-s \/etc\/script" is not supported by the built-in client; supported: -f/);
  const six = pipework(['--host-netns', HOST, 'br0', '-a', '6', `netns:${g}`, 'dhcp'], { env: env() });
  assert.is(six.status, 2, explain(six));
  assert.equal(netState([HOST, g]), before);
});

test.run();
