// IPv4 (RFC 791) carrying UDP (RFC 768) over Ethernet: what a DHCP client
// must build itself on a packet socket, before it has an address, and take
// apart when replies arrive. Strict on the way in: every length and both
// checksums are checked, so the layers above see only well-formed datagrams.
import { internetChecksum, onesComplementSum } from './checksum';
import { ETH_HLEN, ETH_P_IP, checkMac, ethernetFrame } from './ethernet';

export const IPPROTO_UDP = 17;
const IPV4_HLEN = 20;
const UDP_HLEN = 8;

export interface UdpDatagram {
  srcMac: Uint8Array;
  dstMac: Uint8Array;
  /** 4 bytes each. */
  srcIp: Uint8Array;
  dstIp: Uint8Array;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
  /** IPv4 TTL; 64 when absent (Linux's default). RFC 2131 asks nothing else. */
  ttl?: number | undefined;
  /** Type of service; DHCP clients commonly send 0x10 (udhcpc). 0 when absent. */
  tos?: number | undefined;
}

/** The complete frame: Ethernet, a 20-byte IPv4 header (DF, id 0), UDP with its checksum. */
export function udpFrame(d: UdpDatagram): Buffer {
  checkMac(d.srcMac, 'source MAC');
  checkMac(d.dstMac, 'destination MAC');
  if (d.srcIp.length !== 4 || d.dstIp.length !== 4) throw new RangeError('IPv4 addresses are 4 bytes');
  const udpLength = UDP_HLEN + d.payload.length;
  const udp = Buffer.alloc(udpLength);
  udp.writeUInt16BE(d.srcPort, 0);
  udp.writeUInt16BE(d.dstPort, 2);
  udp.writeUInt16BE(udpLength, 4);
  udp.set(d.payload, UDP_HLEN);
  const sum = internetChecksum(pseudoHeader(d.srcIp, d.dstIp, udpLength), udp);
  udp.writeUInt16BE(sum === 0 ? 0xffff : sum, 6); // RFC 768: a computed 0 is sent as all ones

  const ip = Buffer.alloc(IPV4_HLEN + udpLength);
  ip[0] = 0x45;
  ip[1] = d.tos ?? 0;
  ip.writeUInt16BE(ip.length, 2);
  ip.writeUInt16BE(0x4000, 6); // DF: a DHCP message is never fragmented
  ip[8] = d.ttl ?? 64;
  ip[9] = IPPROTO_UDP;
  ip.set(d.srcIp, 12);
  ip.set(d.dstIp, 16);
  ip.writeUInt16BE(internetChecksum(ip.subarray(0, IPV4_HLEN)), 10);
  ip.set(udp, IPV4_HLEN);
  return ethernetFrame(d.dstMac, d.srcMac, ETH_P_IP, ip);
}

function pseudoHeader(src: Uint8Array, dst: Uint8Array, udpLength: number): Buffer {
  const ph = Buffer.alloc(12);
  ph.set(src, 0);
  ph.set(dst, 4);
  ph[9] = IPPROTO_UDP;
  ph.writeUInt16BE(udpLength, 10);
  return ph;
}

export interface DecodedUdp {
  srcMac: Buffer;
  dstMac: Buffer;
  srcIp: Buffer;
  dstIp: Buffer;
  srcPort: number;
  dstPort: number;
  /** A view into the frame. */
  payload: Buffer;
}

/** A decoded datagram, or the reason the frame is not one (a short phrase, for the drop counters). */
export type UdpDecode = { ok: true; udp: DecodedUdp } | { ok: false; reason: string };

export function decodeUdpFrame(frame: Buffer): UdpDecode {
  const fail = (reason: string): UdpDecode => ({ ok: false, reason });
  if (frame.length < ETH_HLEN + IPV4_HLEN + UDP_HLEN) return fail('short frame');
  if (frame.readUInt16BE(12) !== ETH_P_IP) return fail('not IPv4');
  const ip = frame.subarray(ETH_HLEN);
  if (ip[0]! >> 4 !== 4) return fail('IP version is not 4');
  const ihl = (ip[0]! & 0xf) * 4;
  if (ihl < IPV4_HLEN) return fail('IP header length below 20');
  const total = ip.readUInt16BE(2);
  // Ethernet may pad a short frame (to 60 bytes): more is fine, less is truncation.
  if (total < ihl + UDP_HLEN || total > ip.length) return fail('IP total length does not fit the frame');
  if ((ip.readUInt16BE(6) & 0x3fff) !== 0) return fail('IP fragment');
  if (ip[9] !== IPPROTO_UDP) return fail('not UDP');
  if (internetChecksum(ip.subarray(0, ihl)) !== 0) return fail('bad IP header checksum');
  const udp = ip.subarray(ihl, total);
  const udpLength = udp.readUInt16BE(4);
  if (udpLength < UDP_HLEN || udpLength > udp.length) return fail('UDP length does not fit the IP datagram');
  const srcIp = ip.subarray(12, 16);
  const dstIp = ip.subarray(16, 20);
  // A zero checksum means none was computed (allowed over IPv4, RFC 768).
  // A frame from a sender on this host crossing a veth is seen by a packet
  // socket before its checksum is filled in (CHECKSUM_PARTIAL, left to
  // offload): the field then holds the pseudo-header's sum alone
  // (udp4_hwcsum: ~csum_tcpudp_magic(..., 0)). Without PACKET_AUXDATA's
  // TP_STATUS_CSUMNOTREADY to say so, that exact value is accepted too.
  const field = udp.readUInt16BE(6);
  const ph = pseudoHeader(srcIp, dstIp, udpLength);
  if (field !== 0 && internetChecksum(ph, udp.subarray(0, udpLength)) !== 0 && field !== onesComplementSum([ph])) {
    return fail('bad UDP checksum');
  }
  return {
    ok: true,
    udp: {
      dstMac: frame.subarray(0, 6),
      srcMac: frame.subarray(6, 12),
      srcIp,
      dstIp,
      srcPort: udp.readUInt16BE(0),
      dstPort: udp.readUInt16BE(2),
      payload: udp.subarray(UDP_HLEN, udpLength),
    },
  };
}
