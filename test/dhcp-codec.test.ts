// The DHCP codec without a kernel: a real reply decoded field by field, what
// our client frames carry, RFC 3442 edge cases, and the fuzz run (a fixed
// seed, 100,000 cases; `npm run fuzz` runs millions).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DHCPACK, decodeDhcpFrame, decodeUdpFrame, parseClasslessRoutes, OPT } from '../src/packet';
import { discover, identity, release } from '../src/dhcp/messages';
import { leaseTimes, retransmitDelayMs } from '../src/dhcp/timing';
import { fuzz, serverReply } from './dhcp-fuzz';

test('an ACK as dnsmasq sends it: every option this client reads', () => {
  const d = decodeDhcpFrame(serverReply(DHCPACK));
  assert.ok(d.ok);
  if (!d.ok) return;
  const r = d.reply;
  assert.is(r.type, DHCPACK);
  assert.is(r.yiaddr, '192.0.2.54');
  assert.is(r.serverId, '192.0.2.1');
  assert.is(r.leaseTime, 120);
  assert.is(r.prefixLength, 24);
  assert.equal(r.routers, ['192.0.2.1']);
  assert.equal(r.dns, ['192.0.2.53']);
  assert.is(r.domain, 'example.test');
  assert.is(r.mtu, 1400);
  assert.equal(r.classlessRoutes, [
    { dst: '198.51.100.0', prefixLength: 24, gateway: '192.0.2.1' },
    { dst: '0.0.0.0', prefixLength: 0, gateway: '192.0.2.2' },
  ]);
});

test('malformed options reject the whole reply, with a reason', () => {
  const bad = (extra: Buffer) => decodeDhcpFrame(serverReply(DHCPACK, [extra]));
  const reason = (x: ReturnType<typeof bad>) => (x.ok ? 'accepted' : x.reason);
  assert.is(reason(bad(Buffer.from([OPT.mtu, 2, 0, 10]))), 'malformed option 26 (interface MTU)');
  assert.is(reason(bad(Buffer.from([OPT.router, 3, 1, 2, 3]))), 'malformed option 3 (router)');
  assert.is(reason(bad(Buffer.from([OPT.classlessRoutes, 5, 33, 1, 1, 1, 1]))), 'malformed option 121 (classless static routes)');
  assert.is(reason(decodeDhcpFrame(serverReply(DHCPACK).subarray(0, 300))), 'IP total length does not fit the frame');
});

test('RFC 3442: widths, significant octets, host bits cleared, truncation', () => {
  assert.equal(parseClasslessRoutes(Buffer.from([0, 10, 0, 0, 1])), [{ dst: '0.0.0.0', prefixLength: 0, gateway: '10.0.0.1' }]);
  assert.equal(parseClasslessRoutes(Buffer.from([25, 10, 1, 2, 0xff, 10, 0, 0, 1])), [{ dst: '10.1.2.128', prefixLength: 25, gateway: '10.0.0.1' }]);
  assert.is(parseClasslessRoutes(Buffer.from([24, 10, 1, 2, 10, 0, 0])), undefined);
});

test('our DISCOVER and RELEASE: a valid IPv4/UDP frame, option 53 first, client id from the MAC, hostname', () => {
  const mac = Buffer.from([2, 0, 0x5e, 0, 0x12, 0x21]);
  const id = identity({ mac, hostname: 'web1' });
  const u = decodeUdpFrame(discover(id, 7, 0));
  assert.ok(u.ok);
  if (!u.ok) return;
  assert.equal([u.udp.srcPort, u.udp.dstPort], [68, 67]);
  const p = u.udp.payload;
  assert.ok(p.length >= 300);
  assert.equal([...p.subarray(240, 243)], [53, 1, 1]);
  assert.equal([...p.subarray(243, 252)], [61, 7, 1, 2, 0, 0x5e, 0, 0x12, 0x21]);
  assert.ok(p.includes(Buffer.from([12, 4, ...Buffer.from('web1')])));
  const rel = decodeUdpFrame(release(id, 9, '192.0.2.54', { ip: '192.0.2.1', mac: Buffer.alloc(6, 0x3e) }));
  assert.ok(rel.ok && rel.udp.dstIp.join('.') === '192.0.2.1' && rel.udp.payload.subarray(12, 16).join('.') === '192.0.2.54');
});

test('timing: RFC 2131 §4.1 backoff within ±1 s; T1 and T2 defaults and bounds', () => {
  assert.is(retransmitDelayMs(0, () => 0.5), 4000);
  assert.is(retransmitDelayMs(9, () => 0.5), 64000);
  assert.is(retransmitDelayMs(1, () => 0), 7000);
  assert.equal(leaseTimes(120), { lease: 120, t1: 60, t2: 105 });
  assert.equal(leaseTimes(120, 200, 300), { lease: 120, t1: 60, t2: 105 });
  assert.equal(leaseTimes(0xffffffff), { lease: undefined, t1: undefined, t2: undefined });
});

test('fuzz: 100,000 random and mutated frames, seed 2131: no exception, every rejection counted', () => {
  const s = fuzz(100_000, 2131);
  const rejected = Object.values(s.rejected).reduce((a, b) => a + b, 0);
  assert.is(s.accepted + rejected, s.cases);
  assert.ok(s.accepted > 0, 'some mutations still decode');
  assert.ok(Object.keys(s.rejected).length > 10, `many distinct reasons: ${Object.keys(s.rejected).join('; ')}`);
});

test.run();
