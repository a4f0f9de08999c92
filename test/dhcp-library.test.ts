// The library's held lease: `pw.attach({ ..., address: 'dhcp:-f' })` returns
// it on result.lease (a HeldLease), and its events carry the lease as the
// server granted it. Against a real dnsmasq in the test's host namespace
// with T1 at 3 s (so a renewal comes quickly; dnsmasq 2.90 sends its own
// default, half the lease, when asked for 2); a restart with another range
// (authoritative) makes it refuse the next renewal (NAK): the lease is lost
// and a new one bound. Each event's payload is checked against dnsmasq's
// lease file, and the guest's addresses with `ip -j`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pipework } from '../src';
import type { Lease } from '../src/dhcp';
import { dnsmasqLeases, startDnsmasq, until, type LeaseLine, type Server } from './helpers/dhcp-server';
import { NetnsScope, ip, ipJson } from './helpers/netns';

const scope = new NetnsScope('pwdhc2l');
let dir = '';
let HOST = '';
let server: Server | undefined;
let pw: Pipework;
const T1 = 3;
const opts = ['--dhcp-authoritative', `--dhcp-option=option:T1,${T1}`, '--dhcp-option=option:T2,100'];

test.before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pwdhc2l-'));
  process.env.PIPEWORK_RUN_DIR = dir;
  HOST = scope.create('host');
  ip(HOST, 'link', 'add', 'br0', 'type', 'bridge');
  ip(HOST, 'addr', 'add', '192.0.2.1/24', 'dev', 'br0');
  ip(HOST, 'link', 'set', 'br0', 'up');
  pw = new Pipework({ hostNetns: HOST });
});
test.after(async () => {
  pw?.close();
  await server?.stop();
  scope.cleanup();
  delete process.env.PIPEWORK_RUN_DIR;
  fs.rmSync(dir, { recursive: true, force: true });
});

const inet = (ns: string): string[] =>
  (ipJson(ns, 'addr', 'show').find((l: { ifname: string }) => l.ifname === 'eth1')?.addr_info ?? [])
    .filter((a: { family: string }) => a.family === 'inet')
    .map((a: { local: string; prefixlen: number }) => `${a.local}/${a.prefixlen}`);

/** The lease as the server recorded it, matching the event's: same address, the same end within a second. */
function matchesFile(l: Lease, what: string): LeaseLine {
  const line = dnsmasqLeases(server!.leaseFile).find((x) => x.ip === l.address);
  assert.ok(line, `${what}: ${l.address} in dnsmasq's lease file`);
  assert.ok(Math.abs(line!.expires - l.expiresAt! / 1000) <= 1.5, `${what}: the lease ends at ${line!.expires} for dnsmasq, ${l.expiresAt! / 1000} in the event`);
  assert.is(l.leaseSeconds, 120, `${what}: the lease time`);
  assert.is(l.renewSeconds, T1, `${what}: T1 (option 58)`);
  assert.is(l.rebindSeconds, 100, `${what}: T2 (option 59)`);
  assert.is(l.server, '192.0.2.1');
  assert.is(l.prefixLength, 24);
  assert.equal(l.routers, ['192.0.2.1']);
  return line!;
}

/** The next `name` event of emitter, with its arguments. */
function next(emitter: NodeJS.EventEmitter, name: string, ms: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${name} event within ${ms} ms`)), ms);
    emitter.once(name, (...args: unknown[]) => {
      clearTimeout(t);
      resolve(args);
    });
  });
}

test('result.lease: the bound lease, renewed at T1, lost on a NAK and bound again, released on release()', async () => {
  server = await startDnsmasq(HOST, 'br0', dir, '192.0.2.50,192.0.2.59,120', opts);
  const g = scope.create('g1');
  const r = await pw.attach({ hostIf: 'br0', guest: `netns:${g}`, address: 'dhcp:-f', mac: 'U:pwdhc2-lib' });
  const held = r.lease!;
  assert.ok(held, 'a -f keyword gives the lease on result.lease');
  assert.not.ok(Object.keys(r).includes('lease'), 'not enumerable: JSON leaves it out');
  const events: string[] = [];
  for (const e of ['bound', 'renewed', 'rebound', 'changed', 'lost', 'released', 'closed']) held.on(e, () => events.push(e));
  const warnings: string[] = [];
  held.on('warning', (m: string) => warnings.push(m));
  try {
    const first = held.current!;
    matchesFile(first, 'the first lease');
    assert.equal(inet(g), [`${first.address}/24`]);
    assert.is(r.dhcp!.renewed, true);

    const [renewed] = (await next(held, 'renewed', (T1 + 3) * 1000)) as [Lease];
    assert.is(renewed.address, first.address);
    assert.ok(renewed.obtainedAt >= first.obtainedAt + T1 * 1000 - 100, 'obtained again at T1');
    const line = matchesFile(renewed, 'the renewed lease');
    assert.ok(line.expires >= first.expiresAt! / 1000 + T1 - 1, 'the expiry moved in the lease file');
    assert.equal(inet(g), [`${first.address}/24`]);

    // Another range: the server refuses the next renewal (NAK), the lease is lost, discovery gives a new one.
    await server.stop();
    server = await startDnsmasq(HOST, 'br0', dir, '192.0.2.60,192.0.2.69,120', opts);
    const lost = next(held, 'lost', (T1 + 3) * 1000);
    const bound = next(held, 'bound', (T1 + 8) * 1000);
    const [old, reason] = (await lost) as [Lease, string];
    assert.is(old.address, first.address);
    assert.match(reason, /the server refused to extend it \(NAK/);
    const [fresh] = (await bound.catch((e: Error) => assert.unreachable(`${e.message}; warnings: ${warnings.join('; ')}; events: ${events.join(', ')}`))) as [Lease];
    assert.match(fresh.address, /^192\.0\.2\.6[0-9]$/);
    matchesFile(fresh, 'the lease bound again');
    await until(() => (inet(g).join() === `${fresh.address}/24` ? true : undefined), 2000, 'the new address, alone, on eth1');
    assert.equal(held.current, fresh);

    const released = next(held, 'released', 2000);
    const done = await held.release();
    const [gone] = (await released) as [Lease];
    assert.is(done, 'released');
    assert.equal(gone, fresh, 'released: the lease given back');
    await until(() => (dnsmasqLeases(server!.leaseFile).some((l) => l.ip === fresh.address) ? undefined : true), 2000, 'the lease gone from dnsmasq\'s file');
    assert.equal(events, ['renewed', 'lost', 'bound', 'released', 'closed']);
    assert.equal(warnings, []);
    assert.equal(fs.readdirSync(dir).filter((f) => f.startsWith('dhcp.')), [], 'no pid or lease file left');
  } finally {
    await held.release();
    await pw.detach({ guest: `netns:${g}`, guestIf: 'eth1' });
  }
});

test.run();
