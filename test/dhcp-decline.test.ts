// DECLINE and re-runs against a real dnsmasq in the test's own host
// namespace. Another guest on the bridge holds the address the server
// offers (dnsmasq's own ping check off, --no-ping, so only our ARP probe
// can see it); a re-run of a DHCP attach sends nothing at all. The oracles:
// dnsmasq's log (--log-dhcp names every message it gets), its lease file,
// `ip -j` in the namespaces.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, ROOT, assertDistFresh, explain, netState, pipework } from './helpers/cli';
import { dnsmasqLeases, startDnsmasq, until, type Server } from './helpers/dhcp-server';
import { NetnsScope, ip, ipJson, nsExec } from './helpers/netns';

const scope = new NetnsScope('pwdhc2d');
let dir = '';
const servers: Server[] = [];
const env = (): NodeJS.ProcessEnv => ({ ...process.env, PIPEWORK_RUN_DIR: dir });
const OURS = '02:00:5e:00:c2:01';
const TAKEN = '192.0.2.77';

test.before(() => {
  assertDistFresh();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pwdhc2d-'));
});
test.after(async () => {
  for (const s of servers) await s.stop();
  scope.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

// No IPv6 in the host and the squatter: link-local addresses settle in their own time, which a before/after comparison would see.
const noIpv6 = (ns: string): void => void nsExec(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');

/** A host namespace with br0 (192.0.2.1/24) and dnsmasq on it. */
async function host(label: string, range: string, extra: string[] = []): Promise<{ ns: string; server: Server }> {
  const ns = scope.create(label);
  noIpv6(ns);
  ip(ns, 'link', 'add', 'br0', 'type', 'bridge');
  ip(ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'br0');
  ip(ns, 'link', 'set', 'br0', 'up');
  const sdir = fs.mkdtempSync(path.join(dir, `${label}-`));
  const server = await startDnsmasq(ns, 'br0', sdir, range, extra);
  servers.push(server);
  return { ns, server };
}

/** Another guest on the bridge, already using `address` (configured by hand, unknown to the server). */
function squatter(h: string, label: string, address: string): string {
  const g = scope.create(label);
  noIpv6(g);
  ip(h, 'link', 'add', `sq-${label}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', g);
  ip(h, 'link', 'set', `sq-${label}`, 'master', 'br0', 'up');
  ip(g, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
  ip(g, 'link', 'set', 'eth0', 'up');
  return g;
}

const inet = (ns: string, dev = 'eth1'): string[] =>
  (ipJson(ns, 'addr', 'show').find((l: { ifname: string }) => l.ifname === dev)?.addr_info ?? []).filter((a: { family: string }) => a.family === 'inet').map((a: { local: string }) => a.local);

/** dnsmasq's log lines about this MAC's DHCP messages. */
const said = (s: Server, mac: string, what = 'DHCP[A-Z]+'): string[] => s.log().split('\n').filter((l) => new RegExp(`${what}\\(br0\\).*${mac}`).test(l));

test('the address the server offers is in use on the link: DECLINE, then another address from the range', async () => {
  const { ns, server } = await host('h1', '192.0.2.150,192.0.2.159,120', [`--dhcp-host=${OURS},${TAKEN}`]);
  squatter(ns, 's1', TAKEN);
  const g = scope.create('g1');
  const r = pipework(['--json', '--host-netns', ns, 'br0', `netns:${g}`, 'dhcp', OURS], { env: env() });
  assert.is(r.status, 0, explain(r));
  const out = JSON.parse(r.stdout).result;
  assert.is(out.dhcp.declined, 1, 'one offer declined');
  assert.equal(said(server, OURS, 'DHCPDECLINE').length, 1, `dnsmasq got the DECLINE:\n${server.log()}`);
  assert.match(said(server, OURS, 'DHCPDECLINE')[0]!, new RegExp(TAKEN.replace(/\./g, '\\.')));
  const [got] = inet(g);
  assert.ok(got && got !== TAKEN && /^192\.0\.2\.15[0-9]$/.test(got), `another address, from the range: ${got}`);
  assert.equal(dnsmasqLeases(server.leaseFile).filter((l) => l.mac === OURS).map((l) => l.ip), [got], 'the lease file has the second address only');
  assert.equal(out.addresses, [`${got}/24`]);
});

test('the only address the server has is in use: DECLINE each time, then a clean TIMEOUT and everything rolled back', async () => {
  const { ns, server } = await host('h2', `${TAKEN},${TAKEN},120`);
  const s = squatter(ns, 's2', TAKEN);
  const g = scope.create('g2');
  const before = netState([ns, g, s]);
  const r = pipework(['--host-netns', ns, 'br0', `netns:${g}`, 'dhcp', OURS, '--dhcp-timeout', '3'], { env: env() });
  assert.is(r.status, 1, explain(r));
  assert.equal(r.errLines.length, 1, explain(r));
  const owner = ipJson(s, 'link', 'show', 'eth0')[0].address as string;
  assert.match(r.errLines[0]!, new RegExp(`^pipework: obtain a DHCP lease on eth1: no DHCP lease for eth1 in netns .* within 3 s; declined \\d+ offers? of an address in use on the link: 192\\.0\\.2\\.77 \\(used by ${owner}\\)$`), r.errLines[0]);
  assert.ok(said(server, OURS, 'DHCPDECLINE').length >= 1, `dnsmasq got a DECLINE:\n${server.log()}`);
  assert.equal(netState([ns, g, s]), before, 'the veth and everything else rolled back');
  assert.equal(dnsmasqLeases(server.leaseFile).filter((l) => l.mac === OURS), [], 'no lease left for us');
  assert.equal(fs.readdirSync(dir).filter((f) => f.includes(g)), [], 'no lease or pid file');
});

test('re-running a DHCP attach sends nothing and says who keeps the lease: nobody (no -f), or the earlier -f holder', async () => {
  const { ns, server } = await host('h3', '192.0.2.50,192.0.2.59,120');
  const g = scope.create('g3');
  const attach = (kw: string): ReturnType<typeof pipework> => pipework(['--host-netns', ns, 'br0', `netns:${g}`, kw, 'U:pwdhc2-g3'], { env: env() });
  const first = attach('dhcp');
  assert.is(first.status, 0, explain(first));
  const [addr] = inet(g);
  const mac = ipJson(g, 'link', 'show', 'eth1')[0].address as string;
  const heard = said(server, mac).length;
  const lease = dnsmasqLeases(server.leaseFile).find((l) => l.mac === mac)!;
  const state = netState([ns, g]);
  for (const kw of ['dhcp', 'dhcp:-f', 'udhcpc-f']) {
    const again = attach(kw);
    assert.is(again.status, 0, explain(again));
    assert.match(again.stdout, /^eth1 is already attached to netns .* as asked .*: nothing changed\n/);
    assert.match(again.stdout, new RegExp(`the lease of ${addr} from 192\\.0\\.2\\.1 \\(an earlier attach's\\) ends at .* and nobody renews it${kw.endsWith('-f') ? ': this run does not hold it' : ''}; nothing was sent`));
  }
  assert.equal(netState([ns, g]), state, 'nothing changed');
  assert.is(said(server, mac).length, heard, 'dnsmasq heard nothing more from this MAC');
  assert.equal(dnsmasqLeases(server.leaseFile).find((l) => l.mac === mac), lease, 'the lease is as it was');

  // An earlier -f holder: the re-run names it, does not hold the lease itself, and exits at once.
  const g2 = scope.create('g4');
  const holder = spawn(process.execPath, [BIN, '--host-netns', ns, 'br0', `netns:${g2}`, 'dhcp:-f'], { cwd: ROOT, env: env(), stdio: 'ignore' });
  try {
    const held = await until(() => inet(g2)[0], 10_000, 'the holder\'s address');
    const mac2 = ipJson(g2, 'link', 'show', 'eth1')[0].address as string;
    const heard2 = said(server, mac2).length;
    const r = pipework(['--json', '--host-netns', ns, 'br0', `netns:${g2}`, 'dhcp:-f'], { env: env() });
    assert.is(r.status, 0, explain(r));
    const out = JSON.parse(r.stdout).result;
    assert.is(out.alreadyInPlace, true);
    assert.equal(out.addresses, [`${held}/24`]);
    assert.is(out.dhcp.renewed, true, 'renewed, by the holder');
    assert.is(out.dhcp.server, '192.0.2.1');
    assert.ok(out.notes.some((n: string) => n.includes(`held by pid ${holder.pid}`) && n.includes('this run does not hold it')), out.notes.join('\n'));
    assert.is(said(server, mac2).length, heard2, 'dnsmasq heard nothing from the re-run');
  } finally {
    holder.kill('SIGTERM');
    await new Promise((r) => (holder.exitCode !== null ? r(undefined) : holder.once('exit', r)));
  }
});

test.run();
