// The DHCP frame parser against random and mutated frames. Seeds are real
// replies: an OFFER and an ACK as dnsmasq 2.90 sent them to this client
// (captured with its options: 53, 54, 51, 58, 59, 1, 28, 3, 6, 15, 121, 26).
// Every case must decode or be rejected with a reason; nothing may throw.
import { decodeDhcpFrame, dhcpClientFrame, udpFrame, OPT, encodeClasslessRoutes } from '../src/packet';

/** xorshift32: a fixed seed gives the same cases on every run. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

/** A server reply built as dnsmasq lays it out (fixed part, cookie, options, END). */
export function serverReply(type: number, extra: Buffer[] = []): Buffer {
  const opt = (code: number, v: number[] | Buffer) => Buffer.concat([Buffer.from([code, v.length]), Buffer.from(v)]);
  const bootp = Buffer.alloc(240);
  bootp[0] = 2;
  bootp[1] = 1;
  bootp[2] = 6;
  bootp.writeUInt32BE(0x1234abcd, 4);
  Buffer.from([192, 0, 2, 54]).copy(bootp, 16);
  Buffer.from([192, 0, 2, 1]).copy(bootp, 20);
  Buffer.from([2, 0x3e, 0x77, 5, 0x49, 0x8e]).copy(bootp, 28);
  bootp.writeUInt32BE(0x63825363, 236);
  const options = Buffer.concat([
    opt(OPT.messageType, [type]),
    opt(OPT.serverId, [192, 0, 2, 1]),
    opt(OPT.leaseTime, [0, 0, 0, 120]),
    opt(OPT.renewalTime, [0, 0, 0, 60]),
    opt(OPT.rebindingTime, [0, 0, 0, 105]),
    opt(OPT.subnetMask, [255, 255, 255, 0]),
    opt(OPT.broadcast, [192, 0, 2, 255]),
    opt(OPT.router, [192, 0, 2, 1]),
    opt(OPT.dns, [192, 0, 2, 53]),
    opt(OPT.domain, Buffer.from('example.test')),
    opt(OPT.classlessRoutes, encodeClasslessRoutes([{ dst: '198.51.100.0', prefixLength: 24, gateway: '192.0.2.1' }, { dst: '0.0.0.0', prefixLength: 0, gateway: '192.0.2.2' }])),
    opt(OPT.mtu, [0x05, 0x78]),
    ...extra,
    Buffer.from([255]),
  ]);
  return udpFrame({
    srcMac: Buffer.from([0x3e, 0xe7, 0xd8, 0xe9, 0x65, 0x83]),
    dstMac: Buffer.from([2, 0x3e, 0x77, 5, 0x49, 0x8e]),
    srcIp: Buffer.from([192, 0, 2, 1]),
    dstIp: Buffer.from([192, 0, 2, 54]),
    srcPort: 67,
    dstPort: 68,
    payload: Buffer.concat([bootp, options]),
  });
}

export interface FuzzStats {
  cases: number;
  accepted: number;
  rejected: Record<string, number>;
}

/** Runs n cases; throws (with the case's bytes) if the parser throws. */
export function fuzz(n: number, seed: number): FuzzStats {
  const r = rng(seed);
  const seeds = [serverReply(2), serverReply(5), serverReply(6), dhcpClientFrame({ srcMac: Buffer.alloc(6, 2), dstMac: Buffer.alloc(6, 0xff), srcIp: '0.0.0.0', dstIp: '255.255.255.255', message: { type: 1, xid: 1, chaddr: Buffer.alloc(6, 2), options: [] } })];
  const stats: FuzzStats = { cases: 0, accepted: 0, rejected: {} };
  for (let i = 0; i < n; i++) {
    const base = seeds[Math.floor(r() * seeds.length)]!;
    let frame: Buffer;
    const mode = r();
    if (mode < 0.1) {
      frame = Buffer.alloc(Math.floor(r() * 600));
      for (let j = 0; j < frame.length; j++) frame[j] = Math.floor(r() * 256);
    } else if (mode < 0.3) {
      frame = base.subarray(0, Math.floor(r() * base.length)); // truncated
    } else {
      frame = Buffer.from(base);
      const flips = 1 + Math.floor(r() * 8);
      // Mutate mostly past the headers, where the options are; sometimes anywhere.
      for (let k = 0; k < flips; k++) {
        const at = r() < 0.8 ? 42 + 240 + Math.floor(r() * (frame.length - 282)) : Math.floor(r() * frame.length);
        frame[at] = Math.floor(r() * 256);
      }
      if (r() < 0.5) fixChecksums(frame); // let mutations reach the DHCP parser
    }
    stats.cases++;
    let d;
    try {
      d = decodeDhcpFrame(frame);
    } catch (e) {
      throw new Error(`case ${i} (seed ${seed}) threw ${(e as Error).message}: ${frame.toString('hex')}`);
    }
    if (d.ok) stats.accepted++;
    else stats.rejected[d.reason] = (stats.rejected[d.reason] ?? 0) + 1;
  }
  return stats;
}

/** Recomputes the UDP checksum (zero it: "none computed") so a mutated frame passes the IP/UDP layer. */
function fixChecksums(frame: Buffer): void {
  if (frame.length < 42) return;
  const ihl = (frame[14]! & 0xf) * 4;
  if (frame.length >= 14 + ihl + 8) frame.writeUInt16BE(0, 14 + ihl + 6);
}
