// The foreground holder (`dhcp:-f`) ends by itself when its guest goes: the
// netns deleted, the guest's process killed, the interface deleted from
// inside. Our sockets keep the guest's namespace alive, so without that the
// holder would run on and keep the veth (on the host's bridge too). Each
// case checks the exit, its line, the pid and lease files, the host side
// (`ip -j`) and dnsmasq's lease file (released, where the link could still
// send).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertDistFresh } from './helpers/cli';
import { startHolder, type Holder } from './helpers/dhcp-holder';
import { dnsmasqLeases, startDnsmasq, until, type Server } from './helpers/dhcp-server';
import { NetnsScope, ip, ipJson, runOk } from './helpers/netns';

const scope = new NetnsScope('pwdhc2h');
let dir = '';
let HOST = '';
let server: Server;
const env = (): NodeJS.ProcessEnv => ({ ...process.env, PIPEWORK_RUN_DIR: dir });
/** The bound this test allows for the exit: the holder looks every 500 ms (GUEST_POLL_MS); the rest is slack for a loaded machine. */
const EXIT_BOUND_MS = 5000;

test.before(async () => {
  assertDistFresh();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pwdhc2h-'));
  HOST = scope.create('host');
  ip(HOST, 'link', 'add', 'br0', 'type', 'bridge');
  ip(HOST, 'addr', 'add', '192.0.2.1/24', 'dev', 'br0');
  ip(HOST, 'link', 'set', 'br0', 'up');
  server = await startDnsmasq(HOST, 'br0', dir, '192.0.2.50,192.0.2.59,120');
});
test.after(async () => {
  await server?.stop();
  scope.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Our veth host sides on br0. */
const hostSides = (): string[] =>
  ipJson(HOST, 'link', 'show', 'master', 'br0').filter((l: { ifalias?: string }) => l.ifalias?.startsWith('pipework:')).map((l: { ifname: string }) => l.ifname);
const traces = (): string[] => fs.readdirSync(dir).filter((f) => /\.(pid|lease)$/.test(f) && f !== 'dnsmasq.leases');
const leased = (addr: string): boolean => dnsmasqLeases(server.leaseFile).some((l) => l.ip === addr);

/** Starts a holder for guest, waits for its address (`ip -j addr` in the guest, from addrs), and returns both. */
async function hold(guest: string, addrs: () => { ifname: string; addr_info: { family: string; local: string }[] }[]): Promise<{ p: Holder; addr: string }> {
  const p = startHolder(['--host-netns', HOST, 'br0', guest, 'dhcp:-f'], env());
  const addr = await until(() => {
    const eth1 = addrs().find((l) => l.ifname === 'eth1');
    return eth1?.addr_info.find((a) => a.family === 'inet')?.local;
  }, 10_000, `an address for ${guest}`);
  await until(() => /holding the lease/.test(p.err()) || traces().some((f) => f.endsWith('.pid')) || undefined, 5000, 'the holder holding');
  assert.ok(leased(addr), 'dnsmasq granted it');
  assert.equal(hostSides().length, 1, 'one host side on br0');
  return { p, addr };
}

async function exitsBy(p: Holder, from: number): Promise<number> {
  const timer = setTimeout(() => p.child.kill('SIGKILL'), EXIT_BOUND_MS);
  const { code, at } = await p.exit;
  clearTimeout(timer);
  assert.is(code, 0, `exit status; stderr:\n${p.err()}`);
  return at - from;
}

test('the guest netns deleted (ip netns del): the holder releases the lease and exits; the veth goes with the namespace', async () => {
  const g = scope.create('g1');
  const { p, addr } = await hold(`netns:${g}`, () => ipJson(g, 'addr', 'show'));
  try {
    const t0 = Date.now();
    scope.delete(g);
    const took = await exitsBy(p, t0);
    console.log(`  netns deleted: the holder exited after ${took} ms`);
    assert.match(p.err(), new RegExp(`released ${addr.replace(/\./g, '\\.')} to 192\\.0\\.2\\.1\\npipework: stopped: netns ${g} is gone \\(/var/run/netns/${g} was removed\\)\\n$`));
    assert.equal(traces(), [], 'no pid or lease file left');
    await until(() => (hostSides().length === 0 ? true : undefined), 2000, 'the host side gone (the namespace freed)');
    await until(() => (leased(addr) ? undefined : true), 2000, 'the lease gone from dnsmasq\'s file (DHCPRELEASE)');
  } finally {
    await p.stop();
  }
});

test('a pid: guest whose process is killed (its namespace unnamed): the same', async () => {
  const sleeper = spawn('unshare', ['-n', 'sleep', '600'], { stdio: 'ignore' });
  const pid = sleeper.pid!;
  const ours = fs.statSync('/proc/self/ns/net').ino;
  await until(() => (fs.statSync(`/proc/${pid}/ns/net`).ino !== ours ? true : undefined), 2000, 'the sleeper in its own namespace');
  let p: Holder | undefined;
  try {
    const held = await hold(`pid:${pid}`, () => JSON.parse(runOk('nsenter', ['-t', String(pid), '-n', 'ip', '-j', 'addr', 'show'])));
    p = held.p;
    const t0 = Date.now();
    sleeper.kill('SIGKILL');
    const took = await exitsBy(p, t0);
    console.log(`  process killed: the holder exited after ${took} ms`);
    assert.match(p.err(), new RegExp(`pipework: stopped: process ${pid} is gone \\(its process exited\\)\\n$`));
    assert.equal(traces(), [], 'no pid or lease file left');
    await until(() => (hostSides().length === 0 ? true : undefined), 2000, 'the host side gone');
    await until(() => (leased(held.addr) ? undefined : true), 2000, 'the lease released');
  } finally {
    sleeper.kill('SIGKILL');
    await p?.stop();
  }
});

test('the interface deleted from inside the guest: the holder exits, naming it', async () => {
  const g = scope.create('g3');
  const { p, addr } = await hold(`netns:${g}`, () => ipJson(g, 'addr', 'show'));
  try {
    const t0 = Date.now();
    ip(g, 'link', 'del', 'eth1');
    const took = await exitsBy(p, t0);
    console.log(`  interface deleted: the holder exited after ${took} ms`);
    assert.match(p.err(), new RegExp(`pipework: stopped: eth1 in netns ${g} went away or went down \\([A-Z]+\\)\\n$`));
    assert.not.match(p.err(), /released/, 'no RELEASE: there is no link to send it on');
    assert.equal(traces(), [], 'no pid or lease file left');
    assert.equal(hostSides(), [], 'the host side went with its peer');
    assert.ok(leased(addr), 'the server keeps the lease until it expires');
  } finally {
    await p.stop();
  }
});

test.run();
