// Leases that live: `-f` holds the lease against busybox udhcpd (20 s leases)
// and dnsmasq (T1 4 s, T2 8 s), seen in the servers' lease files and in the
// guest's addresses. Each case waits only as long as the lease times make it.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, ROOT, assertDistFresh } from './helpers/cli';
import { dnsmasqLeases, startDnsmasq, startUdhcpd, udhcpdLeases, until } from './helpers/dhcp-server';
import { NetnsScope, ip, ipJson } from './helpers/netns';

const scope = new NetnsScope('pwdhcpl');
let dir = '';
test.before(() => {
  assertDistFresh();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pwdhcpl-'));
});
test.after(() => {
  scope.cleanup();
  if (!process.env.PWDHCP_KEEP) fs.rmSync(dir, { recursive: true, force: true });
});

function hostWithBridge(label: string): string {
  const h = scope.create(label);
  ip(h, 'link', 'add', 'br0', 'type', 'bridge');
  ip(h, 'addr', 'add', '192.0.2.1/24', 'dev', 'br0');
  ip(h, 'link', 'set', 'br0', 'up');
  return h;
}

function holder(argv: string[]): { child: ChildProcess; err: () => string; exit: Promise<number> } {
  let err = '';
  const child = spawn(process.execPath, [BIN, ...argv], { cwd: ROOT, env: { ...process.env, PIPEWORK_RUN_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<number>((r) => child.on('exit', (code) => r(code ?? 128)));
  return { child, err: () => err, exit };
}

const inet = (ns: string): string | undefined =>
  ipJson(ns, 'addr', 'show')
    .find((l: { ifname: string }) => l.ifname === 'eth1')
    ?.addr_info.find((a: { family: string }) => a.family === 'inet')?.local;

test('udhcpc-f against udhcpd: renews at T1 (expiry moves in the lease file); the server gone for good: the address goes at expiry', async () => {
  const h = hostWithBridge('u');
  const g = scope.create('ug');
  const sdir = fs.mkdtempSync(path.join(dir, 'u-'));
  const server = await startUdhcpd(h, 'br0', sdir, { start: '192.0.2.100', end: '192.0.2.110', router: '192.0.2.1', lease: 20 });
  const p = holder(['--host-netns', h, 'br0', `netns:${g}`, 'udhcpc-f', 'U:pwdhcpl-u']);
  try {
    const addr = await until(() => inet(g), 10_000, 'an address');
    assert.ok(addr.startsWith('192.0.2.1'), addr);
    await until(() => /renewed/.test(p.err()) || undefined, 15_000, 'a renewal at T1 (10 s)');
    // udhcpd writes its lease file every auto_time (1 s): the renewed lease is there with most of its 20 s left.
    const lease = await until(() => udhcpdLeases(server.leaseFile).find((l) => l.ip === addr && l.expires > 15), 3000, 'the renewed lease in udhcpd\'s file');
    assert.ok(lease.expires > 15, `${lease.expires} s left after the renewal`);
    assert.ok(fs.existsSync(path.join(dir, `udhcpc.${g}.eth1.pid`)), 'the pid file');
    await server.stop();
    // Two clocks end the address: the kernel's valid_lft (set to the whole seconds left, rounded down) and the
    // client's timer at the lease's end; the kernel's may come first by up to a second, so wait for both.
    await until(() => (inet(g) === undefined ? true : undefined), 25_000, 'the address removed when the lease ends');
    await until(() => /lost \(it expired\)/.test(p.err()) || undefined, 3000, 'the client saying the lease is lost');
    assert.equal(ipJson(g, 'route', 'show', 'default'), [], 'its default route went with it');
    p.child.kill('SIGTERM');
    assert.is(await p.exit, 0);
  } finally {
    p.child.kill('SIGKILL');
    await server.stop();
  }
});

test('dhcp:-f against dnsmasq: the server back only for T2: the lease is rebound by broadcast; SIGTERM releases it', async () => {
  const h = hostWithBridge('d');
  const g = scope.create('dg');
  const sdir = fs.mkdtempSync(path.join(dir, 'd-'));
  const opts = ['--dhcp-option=option:T1,3', '--dhcp-option=option:T2,6'];
  let server = await startDnsmasq(h, 'br0', sdir, '192.0.2.50,192.0.2.59,120', opts);
  const p = holder(['--host-netns', h, 'br0', `netns:${g}`, 'dhcp:-f', 'U:pwdhcpl-d']);
  try {
    const addr = await until(() => inet(g), 10_000, 'an address');
    await server.stop();
    // Renewing (unicast at T1 3 s, again at 5 s) meets no server; it is back for the first broadcast at T2 (6 s).
    // Later rebinding retries wait half the time left to expiry (RFC 2131 §4.4.5): 57 s, too long to wait here.
    await new Promise((r) => setTimeout(r, 5300));
    server = await startDnsmasq(h, 'br0', sdir, '192.0.2.50,192.0.2.59,120', opts);
    await until(() => /rebound/.test(p.err()) || undefined, 10_000, 'a rebinding');
    assert.is(inet(g), addr);
    assert.ok(dnsmasqLeases(server.leaseFile).some((l) => l.ip === addr));
    p.child.kill('SIGTERM');
    assert.is(await p.exit, 0);
    assert.match(p.err(), /released/);
    await until(() => (dnsmasqLeases(server.leaseFile).some((l) => l.ip === addr) ? undefined : true), 3000, 'the lease gone from dnsmasq\'s file');
    assert.not.ok(fs.existsSync(path.join(dir, `dhcp.${g}.eth1.pid`)), 'the pid file removed');
  } finally {
    p.child.kill('SIGKILL');
    await server.stop();
  }
});

test.run();
