// Frames checked against independent sources, never against our own encoder:
// bytes captured from iputils arping and from the Linux kernel, tcpdump's
// dissector, glibc's inet_ntop (through getent), and the ip-address package.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Address6 } from 'ip-address';
import {
  decodeArp,
  decodeNeighborAdvert,
  formatIp,
  formatIpv6,
  formatMac,
  gratuitousArp,
  internetChecksum,
  ipBytes,
  ipv4Bytes,
  ipv6Bytes,
  isMulticastMac,
  onesComplementSum,
  parseMac,
  unsolicitedNeighborAdvert,
} from '../src/packet';
import { throwsUsage } from './helpers/assert';

// ---- golden frames -------------------------------------------------------

// Captured from iputils arping 20221126 (Debian bookworm, iputils-arping) on a
// veth pair between two throwaway namespaces:
//   ip netns add pkthelper-3635-a; ip netns add pkthelper-3635-b
//   ip -n pkthelper-3635-a link add veth0 address 02:42:c0:00:02:0a type veth \
//      peer name veth0 netns pkthelper-3635-b address 02:42:c0:00:02:0b
//   ip -n pkthelper-3635-a addr add 192.0.2.10/24 dev veth0   (and .11 in -b)
//   ip -n ... link set veth0 up   (both ends)
//   ip netns exec pkthelper-3635-a tcpdump -i veth0 -w arp-a.pcap -U -c 1 arp &
//   ip netns exec pkthelper-3635-b tcpdump -i veth0 -w arp-b.pcap -U -c 1 arp &
//   ip netns exec pkthelper-3635-a arping -A -c 1 -I veth0 192.0.2.10
// Both captures (sender side and receiver side) hold these same 42 bytes.
// Note the target hardware address: arping -A copies its own MAC there.
const ARPING_A_FRAME =
  'ffffffffffff0242c000020a0806' + // Ethernet: broadcast, from 02:42:c0:00:02:0a, ARP
  '0001080006040002' + // Ethernet/IPv4, hlen 6, plen 4, op REPLY
  '0242c000020ac000020a' + // sender 02:42:c0:00:02:0a 192.0.2.10
  '0242c000020ac000020a'; // target 02:42:c0:00:02:0a 192.0.2.10

// Captured from Linux 6.18 itself, on the same kind of veth pair: with
//   ip netns exec pkthelper-3635-a sysctl -w net.ipv6.conf.veth0.ndisc_notify=1
//   ip -n pkthelper-3635-a addr add 2001:db8::10/64 dev veth0 nodad
//   ip netns exec pkthelper-3635-b tcpdump -i veth0 -w na-b.pcap -U -c 6 icmp6 &
//   ip -n pkthelper-3635-a link set veth0 up
// the kernel announces the address with this unsolicited NA (first frame of
// the capture; the rest were its link-local NS/NA and router solicitations).
const KERNEL_UNSOLICITED_NA =
  '3333000000010242c000020a86dd' + // Ethernet: all-nodes, from 02:42:c0:00:02:0a, IPv6
  '6000000000203aff' + // v6, tc 0, flow 0, length 32, ICMPv6, hop limit 255
  '20010db8000000000000000000000010' + // src 2001:db8::10
  'ff020000000000000000000000000001' + // dst ff02::1
  '880036c1200000002001' + // NA, code 0, checksum 0x36c1, flags O, target...
  '0db8000000000000000000000010' + // ...2001:db8::10
  '02010242c000020a'; // option TLLA 02:42:c0:00:02:0a

const MAC = '02:42:c0:00:02:0a';

// ---- environment probes, decided at load time ----------------------------

function runs(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

const haveTcpdump = runs('tcpdump', ['--version']);
const haveGetent = runs('getent', ['ahostsv6', '::1']);
const liveMissing = [
  process.getuid?.() === 0 ? undefined : 'not root',
  runs('ip', ['-V']) ? undefined : 'ip (iproute2) not installed',
  haveTcpdump ? undefined : 'tcpdump not installed',
  runs('arping', ['-V']) ? undefined : 'arping (iputils-arping) not installed',
].filter((x): x is string => x !== undefined);

/** `test`, or a counted skip that says why. */
function testIf(ok: boolean, reason: string): (name: string, fn: () => void | Promise<void>) => void {
  if (ok) return (name, fn) => test(name, fn);
  return (name) => {
    console.log(`skipped: ${name}: ${reason}`);
    test.skip(name, () => undefined);
  };
}

// ---- pcap, for feeding tcpdump and reading its captures -------------------

function pcap(frames: Buffer[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const recs = frames.map((f) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length, 12);
    return Buffer.concat([r, f]);
  });
  return Buffer.concat([head, ...recs]);
}

function readPcap(file: string): Buffer[] {
  const b = readFileSync(file);
  if (b.length < 24) return [];
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const out: Buffer[] = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const len = u32(o + 8);
    out.push(Buffer.from(b.subarray(o + 16, o + 16 + len)));
    o += 16 + len;
  }
  return out;
}

/** tcpdump's own reading of our frames, one entry per frame. */
function tcpdumpRead(frames: Buffer[], flags: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'pwpkt-'));
  try {
    const file = join(dir, 'frames.pcap');
    writeFileSync(file, pcap(frames));
    const r = spawnSync('tcpdump', ['-r', file, '-n', ...flags], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tcpdump -r failed: ${r.stderr}`);
    // Each packet starts with its timestamp at the start of a line.
    return r.stdout.split(/\n(?=\d\d:\d\d:\d\d\.)/).filter((s) => s.trim() !== '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- MAC text ------------------------------------------------------------

test('parseMac and formatMac round-trip, any case, lower-case out', () => {
  assert.is(parseMac('02:42:C0:00:02:0A').toString('hex'), '0242c000020a');
  assert.is(formatMac(parseMac('02:42:C0:00:02:0A')), MAC);
  // iproute2 reads each group with %x, so single digits set the same MAC.
  assert.is(formatMac(parseMac('2:42:c0:0:2:a')), MAC);
});

test('parseMac refuses what is not six hex bytes, naming the value', () => {
  for (const bad of ['', '02:42:c0:00:02', '02:42:c0:00:02:0a:0b', '02-42-c0-00-02-0a', '0242.c000.020a', '02:42:c0:00:02:0g', '002:42:c0:00:02:0a', ' 02:42:c0:00:02:0a']) {
    throwsUsage(() => parseMac(bad), JSON.stringify(bad));
  }
});

test('isMulticastMac looks at the I/G bit only', () => {
  assert.ok(isMulticastMac(parseMac('01:00:5e:00:00:01')));
  assert.ok(isMulticastMac(parseMac('33:33:00:00:00:01')));
  assert.ok(isMulticastMac(parseMac('ff:ff:ff:ff:ff:ff')));
  assert.not.ok(isMulticastMac(parseMac('02:00:00:00:00:01')));
  assert.not.ok(isMulticastMac(parseMac('fe:ff:ff:ff:ff:ff')));
});

// ---- IP text <-> bytes ---------------------------------------------------

const V6_CASES = [
  '::',
  '::1',
  '::2',
  '1::',
  '2001:db8::10',
  '2001:DB8:0:0:0:0:0:10',
  '2001:0db8:0000:0000:0001:0000:0000:0010',
  '1:0:0:2:0:0:0:3',
  '1:0:0:2:0:0:3:4',
  '1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:7::',
  '::2:3:4:5:6:7:8',
  'fe80::42:c0ff:fe00:20a',
  'ff02::1',
  '::ffff',
  '::ffff:1.2.3.4',
  '::ffff:0102:0304',
  '::1.2.3.4',
  '::0.0.0.2',
  '0:0:0:0:0:0:ffff:1',
  '::ffff:0:1.2.3.4',
  '64:ff9b::192.0.2.33',
  '1:2:3:4:5:6:192.0.2.1',
  '2001:db8:0:1:1:1:1:1',
];

test('ipv6Bytes agrees with the ip-address package on every form', () => {
  for (const text of V6_CASES) {
    const want = Buffer.from(new Address6(text).toUnsignedByteArray()).toString('hex').padStart(32, '0');
    assert.is(ipv6Bytes(text).toString('hex'), want, text);
  }
});

testIf(haveGetent, 'getent (libc-bin) not available')('formatIpv6 prints what glibc inet_ntop prints (getent ahostsv6)', () => {
  for (const text of V6_CASES) {
    const r = spawnSync('getent', ['ahostsv6', text], { encoding: 'utf8' });
    assert.is(r.status, 0, `getent ahostsv6 ${text}`);
    const glibc = r.stdout.split(/\s+/)[0];
    assert.is(formatIpv6(ipv6Bytes(text)), glibc, text);
  }
});

test('ipv4Bytes, ipBytes and formatIp', () => {
  assert.is(ipv4Bytes('192.0.2.10').toString('hex'), 'c000020a');
  assert.is(ipv4Bytes('255.255.255.255').toString('hex'), 'ffffffff');
  assert.equal(ipBytes('198.51.100.7'), { family: 4, bytes: Buffer.from([198, 51, 100, 7]) });
  assert.is(ipBytes('2001:db8::1').family, 6);
  assert.is(formatIp(Buffer.from([203, 0, 113, 0])), '203.0.113.0');
  assert.is(formatIp(ipv6Bytes('2001:db8::1')), '2001:db8::1');
});

test('IP parsers refuse bad text with a USAGE error naming it', () => {
  for (const bad of ['1.2.3', '01.2.3.4', '1.2.3.256', '0x1.2.3.4', ' 1.2.3.4', '2001:db8::1']) throwsUsage(() => ipv4Bytes(bad), JSON.stringify(bad));
  for (const bad of ['1::2::3', '1:2:3:4::5:6:7:8', '1:2:3:4:5:6:7:8:9', ':::', '2001:db8::g', '192.0.2.1', '::ffff:01.2.3.4', '']) throwsUsage(() => ipv6Bytes(bad), JSON.stringify(bad));
  throwsUsage(() => ipv6Bytes('fe80::1%eth0'), 'zone');
  throwsUsage(() => ipBytes('fe80::1%eth0'), 'zone');
  throwsUsage(() => ipBytes('example.com'), '"example.com"');
});

// ---- checksum ------------------------------------------------------------

test('Internet checksum: RFC 1071 §3 example, and parts sum as if concatenated', () => {
  const data = Buffer.from('0001f203f4f5f6f7', 'hex');
  assert.is(onesComplementSum([data]), 0xddf2);
  assert.is(internetChecksum(data), 0x220d);
  // Odd split points move the word boundary; the result must not change.
  assert.is(internetChecksum(data.subarray(0, 3), data.subarray(3, 4), data.subarray(4)), 0x220d);
  // An odd total length pads with a zero byte.
  assert.is(internetChecksum(Buffer.from('0001f2', 'hex')), ~(0x0001 + 0xf200) & 0xffff);
  // A message holding its own checksum sums to zero.
  assert.is(internetChecksum(data, Buffer.from([0x22, 0x0d])), 0);
});

// ---- gratuitous ARP ------------------------------------------------------

test('gratuitousArp is byte for byte what arping -A sent', () => {
  assert.is(gratuitousArp(parseMac(MAC), '192.0.2.10').toString('hex'), ARPING_A_FRAME);
});

test('decodeArp reads the captured arping frame', () => {
  assert.equal(decodeArp(Buffer.from(ARPING_A_FRAME, 'hex')), {
    dst: 'ff:ff:ff:ff:ff:ff',
    src: MAC,
    htype: 1,
    ptype: 0x0800,
    hlen: 6,
    plen: 4,
    op: 2,
    senderMac: MAC,
    senderIp: '192.0.2.10',
    targetMac: MAC,
    targetIp: '192.0.2.10',
    trailer: 0,
  });
  assert.is(decodeArp(Buffer.from(KERNEL_UNSOLICITED_NA, 'hex')), undefined);
  assert.is(decodeArp(Buffer.from(ARPING_A_FRAME, 'hex').subarray(0, 41)), undefined);
});

test('gratuitousArp refuses a bad address, and a MAC that is not 6 bytes', () => {
  throwsUsage(() => gratuitousArp(parseMac(MAC), '192.0.2'), '"192.0.2"');
  assert.throws(() => gratuitousArp(Buffer.alloc(5), '192.0.2.10'), /6 bytes/);
});

testIf(haveTcpdump, 'tcpdump not installed')('tcpdump reads our ARP as arping -A', () => {
  const [line] = tcpdumpRead([gratuitousArp(parseMac(MAC), '198.51.100.7')], ['-e', '-vv']);
  assert.ok(line !== undefined);
  assert.match(line, `${MAC} > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Ethernet (len 6), IPv4 (len 4), Reply 198.51.100.7 is-at ${MAC}, length 28`);
});

// ---- unsolicited neighbour advertisement ---------------------------------

test('unsolicitedNeighborAdvert is byte for byte what the kernel sends', () => {
  assert.is(unsolicitedNeighborAdvert(parseMac(MAC), '2001:db8::10').toString('hex'), KERNEL_UNSOLICITED_NA);
  // Any spelling of the address gives the same frame.
  assert.is(unsolicitedNeighborAdvert(parseMac(MAC), '2001:DB8:0::0:10').toString('hex'), KERNEL_UNSOLICITED_NA);
});

test('decodeNeighborAdvert reads the kernel frame and checks its checksum', () => {
  const frame = Buffer.from(KERNEL_UNSOLICITED_NA, 'hex');
  assert.equal(decodeNeighborAdvert(frame), {
    dst: '33:33:00:00:00:01',
    src: MAC,
    trafficClass: 0,
    flowLabel: 0,
    hopLimit: 255,
    srcIp: '2001:db8::10',
    dstIp: 'ff02::1',
    code: 0,
    router: false,
    solicited: false,
    override: true,
    target: '2001:db8::10',
    targetLinkAddress: MAC,
    checksumOk: true,
  });
  // Any flipped bit in the ICMPv6 message or the addresses breaks the sum.
  for (const at of [22, 40, 55, 60, 80]) {
    const bad = Buffer.from(frame);
    bad[at] = (bad[at] ?? 0) ^ 0x10;
    assert.is(decodeNeighborAdvert(bad)?.checksumOk, false, `byte ${at}`);
  }
  assert.is(decodeNeighborAdvert(Buffer.from(ARPING_A_FRAME, 'hex')), undefined);
  assert.is(decodeNeighborAdvert(frame.subarray(0, 80)), undefined);
});

test('unsolicitedNeighborAdvert refuses what cannot be announced', () => {
  throwsUsage(() => unsolicitedNeighborAdvert(parseMac(MAC), 'ff02::1'), '"ff02::1"');
  throwsUsage(() => unsolicitedNeighborAdvert(parseMac(MAC), '::'), '"::"');
  throwsUsage(() => unsolicitedNeighborAdvert(parseMac(MAC), '192.0.2.10'), '"192.0.2.10"');
  throwsUsage(() => unsolicitedNeighborAdvert(parseMac(MAC), 'fe80::1%eth0'), 'zone');
});

testIf(haveTcpdump, 'tcpdump not installed')('tcpdump -vvv reads our NAs as override advertisements with good checksums', () => {
  const cases: Array<[string, string]> = [
    ['02:42:c0:00:02:0a', '2001:db8::10'],
    ['02:00:5e:10:ff:01', '2001:db8:0:1::1:0'],
    ['fa:de:b0:99:52:1c', 'fe80::f8de:b0ff:fe99:521c'],
    ['02:72:6c:cd:9b:8d', '2001:db8::ffff:c000:201'],
  ];
  const frames = cases.map(([mac, ip]) => unsolicitedNeighborAdvert(parseMac(mac), ip));
  // A negative control shows the oracle does notice a bad sum.
  const broken = Buffer.from(frames[0] ?? Buffer.alloc(0));
  broken[57] = (broken[57] ?? 0) ^ 1;
  const out = tcpdumpRead([...frames, broken], ['-vvv', '-e']);
  assert.is(out.length, cases.length + 1);
  cases.forEach(([mac, ip], i) => {
    const text = out[i] ?? '';
    assert.match(text, `${mac} > 33:33:00:00:00:01, ethertype IPv6 (0x86dd), length 86: (hlim 255, next-header ICMPv6 (58) payload length: 32) ${ip} > ff02::1: [icmp6 sum ok] ICMP6, neighbor advertisement, length 32, tgt is ${ip}, Flags [override]`);
    assert.match(text, `destination link-address option (2), length 8 (1): ${mac}`);
    assert.not.match(text, /bad/);
  });
  assert.match(out[cases.length] ?? '', /bad icmp6 cksum/);
});

// ---- live: arping and the kernel, for an address and MAC picked now -------

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

/** Runs tcpdump in `ns` until it has captured one frame matching `filter`, calling `trigger` once it listens. */
function captureOne(ns: string, filter: string, file: string, trigger: () => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', 'veth0', '-U', '-c', '1', '-w', file, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let triggered = false;
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`no frame matching "${filter}" within 10 s; tcpdump said: ${err}`));
    }, 10_000);
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      if (!triggered && err.includes('listening on')) {
        triggered = true;
        try {
          trigger();
        } catch (e) {
          clearTimeout(timer);
          child.kill('SIGTERM');
          reject(e);
        }
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const frame = code === 0 ? readPcap(file)[0] : undefined;
      if (frame) resolve(frame);
      else reject(new Error(`tcpdump exited ${code}: ${err}`));
    });
  });
}

const NS_PREFIX = 'pwpkt-';

/** Namespaces a crashed earlier run of this file left behind (its pid is gone). */
function removeLeftovers(): void {
  for (const line of sh('ip', ['netns', 'list']).split('\n')) {
    const m = /^(pwpkt-(\d+)-[ab])\b/.exec(line);
    if (!m?.[1] || !m[2]) continue;
    try {
      process.kill(Number(m[2]), 0);
    } catch {
      spawnSync('ip', ['netns', 'delete', m[1]]);
    }
  }
}

testIf(liveMissing.length === 0, liveMissing.join(', '))('live: for a fresh MAC and address, arping -A and the kernel send exactly our frames', async () => {
  removeLeftovers();
  const a = `${NS_PREFIX}${process.pid}-a`;
  const b = `${NS_PREFIX}${process.pid}-b`;
  const dir = mkdtempSync(join(tmpdir(), 'pwpkt-'));
  const mac = Buffer.concat([Buffer.from([0x02]), randomBytes(5)]);
  const v4 = `192.0.2.${2 + (randomBytes(1)[0] ?? 0) % 250}`;
  const v6 = formatIpv6(Buffer.concat([ipv6Bytes('2001:db8::').subarray(0, 8), randomBytes(8)]));
  try {
    sh('ip', ['netns', 'add', a]);
    sh('ip', ['netns', 'add', b]);
    sh('ip', ['-n', a, 'link', 'add', 'veth0', 'address', formatMac(mac), 'type', 'veth', 'peer', 'name', 'veth0', 'netns', b]);
    // ndisc_notify makes the kernel announce each address when the link comes up.
    sh('ip', ['netns', 'exec', a, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/veth0/ndisc_notify']);
    sh('ip', ['-n', a, 'addr', 'add', `${v4}/24`, 'dev', 'veth0']);
    sh('ip', ['-n', a, 'addr', 'add', `${v6}/64`, 'dev', 'veth0', 'nodad']);
    sh('ip', ['-n', b, 'link', 'set', 'veth0', 'up']);

    const na = await captureOne(b, `icmp6 and ip6[40] == 136 and src host ${v6}`, join(dir, 'na.pcap'), () =>
      sh('ip', ['-n', a, 'link', 'set', 'veth0', 'up']),
    );
    assert.is(na.toString('hex'), unsolicitedNeighborAdvert(mac, v6).toString('hex'), `NA for ${v6} from ${formatMac(mac)}`);

    const arp = await captureOne(b, 'arp', join(dir, 'arp.pcap'), () => sh('ip', ['netns', 'exec', a, 'arping', '-A', '-c', '1', '-I', 'veth0', v4]));
    assert.is(arp.toString('hex'), gratuitousArp(mac, v4).toString('hex'), `ARP for ${v4} from ${formatMac(mac)}`);
  } finally {
    spawnSync('ip', ['netns', 'delete', a]);
    spawnSync('ip', ['netns', 'delete', b]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
