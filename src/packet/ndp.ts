// IPv6 neighbour discovery: the unsolicited neighbour advertisement that
// plays, for IPv6, the part arping -A plays for IPv4 (RFC 4861 §7.2.6), so
// neighbours that cached an old MAC for the address update it at once.
//
// The frame is the one Linux itself sends for an address when
// net.ipv6.conf.<if>.ndisc_notify is 1 (test/packet.test.ts holds a capture
// and compares byte for byte):
// - Ethernet to 33:33:00:00:00:01 (all-nodes) from the interface's MAC;
// - IPv6, traffic class and flow label 0, hop limit 255 (receivers drop NDP
//   with any other, §7.1.2), from the advertised address to ff02::1;
// - ICMPv6 136/0, Router 0 (a guest is a host), Solicited 0 (nobody asked:
//   §7.2.6 requires it clear), Override 1 (replace what caches hold: this is
//   an announcement of a new owner);
// - one option, Target Link-Layer Address (type 2, length 1 = 8 bytes).

import { internetChecksum, ipv6PseudoHeader } from './checksum';
import { ETH_ALEN, ETH_P_IPV6, checkMac, decodeEthernet, ethernetFrame, formatMac, ipv6MulticastMac } from './ethernet';
import { formatIpv6, ipv6Bytes } from './ip';
import { usage } from '../errors';

export const IPPROTO_ICMPV6 = 58;
export const ND_NEIGHBOR_ADVERT = 136;
export const ND_OPT_TARGET_LINKADDR = 2;
export const ALL_NODES = 'ff02::1';

const IPV6_HLEN = 40;
const NA_LEN = 24; // type, code, checksum, flags + reserved, target
const FLAG_ROUTER = 0x80;
const FLAG_SOLICITED = 0x40;
const FLAG_OVERRIDE = 0x20;

/** The complete 86-byte frame announcing that `ipv6` is at `mac`. */
export function unsolicitedNeighborAdvert(mac: Uint8Array, ipv6: string): Buffer {
  checkMac(mac);
  const target = ipv6Bytes(ipv6);
  // The target must be a unicast address of ours (§4.4); it is also the
  // source, and neither multicast nor :: may be a source.
  if (target[0] === 0xff || target.every((b) => b === 0)) {
    throw usage(`${JSON.stringify(ipv6)} cannot be announced: not a unicast address`);
  }
  const dst = ipv6Bytes(ALL_NODES);

  const icmp = Buffer.alloc(NA_LEN + 8);
  icmp[0] = ND_NEIGHBOR_ADVERT;
  icmp[1] = 0;
  icmp[4] = FLAG_OVERRIDE;
  icmp.set(target, 8);
  icmp[24] = ND_OPT_TARGET_LINKADDR;
  icmp[25] = 1; // in units of 8 bytes
  icmp.set(mac, 26);
  icmp.writeUInt16BE(internetChecksum(ipv6PseudoHeader(target, dst, icmp.length, IPPROTO_ICMPV6), icmp), 2);

  const ip = Buffer.alloc(IPV6_HLEN + icmp.length);
  ip.writeUInt32BE(0x60000000, 0); // version 6, traffic class 0, flow label 0
  ip.writeUInt16BE(icmp.length, 4);
  ip[6] = IPPROTO_ICMPV6;
  ip[7] = 255;
  ip.set(target, 8);
  ip.set(dst, 24);
  ip.set(icmp, IPV6_HLEN);

  return ethernetFrame(ipv6MulticastMac(dst), mac, ETH_P_IPV6, ip);
}

export interface DecodedNeighborAdvert {
  /** Ethernet header. */
  dst: string;
  src: string;
  /** IPv6 header. */
  trafficClass: number;
  flowLabel: number;
  hopLimit: number;
  srcIp: string;
  dstIp: string;
  /** ICMPv6. */
  code: number;
  router: boolean;
  solicited: boolean;
  override: boolean;
  target: string;
  /** From the Target Link-Layer Address option, when present. */
  targetLinkAddress?: string | undefined;
  /** The ICMPv6 checksum is right for this source, destination and payload. */
  checksumOk: boolean;
}

/**
 * Undefined unless the frame is IPv6 whose next header is ICMPv6 type 136
 * (extension headers are not followed: NDP senders do not use them) and is
 * as long as its payload length says.
 */
export function decodeNeighborAdvert(frame: Buffer): DecodedNeighborAdvert | undefined {
  const eth = decodeEthernet(frame);
  if (!eth || eth.ethertype !== ETH_P_IPV6 || eth.payload.length < IPV6_HLEN) return undefined;
  const ip = eth.payload;
  const first = ip.readUInt32BE(0);
  if (first >>> 28 !== 6 || ip[6] !== IPPROTO_ICMPV6) return undefined;
  const length = ip.readUInt16BE(4);
  if (length < NA_LEN || ip.length < IPV6_HLEN + length) return undefined;
  const src = ip.subarray(8, 24);
  const dst = ip.subarray(24, 40);
  const icmp = ip.subarray(IPV6_HLEN, IPV6_HLEN + length);
  if (icmp[0] !== ND_NEIGHBOR_ADVERT) return undefined;

  let targetLinkAddress: string | undefined;
  // Options are (type, length in 8-byte units, data); a zero length is
  // invalid (§4.6) and would loop forever.
  for (let o = NA_LEN; o + 2 <= icmp.length; ) {
    const units = icmp[o + 1] ?? 0;
    if (units === 0 || o + units * 8 > icmp.length) break;
    if (icmp[o] === ND_OPT_TARGET_LINKADDR && units * 8 >= 2 + ETH_ALEN && targetLinkAddress === undefined) {
      targetLinkAddress = formatMac(icmp.subarray(o + 2, o + 2 + ETH_ALEN));
    }
    o += units * 8;
  }

  const flags = icmp[4] ?? 0;
  return {
    dst: eth.dst,
    src: eth.src,
    trafficClass: (first >>> 20) & 0xff,
    flowLabel: first & 0xfffff,
    hopLimit: ip[7] ?? 0,
    srcIp: formatIpv6(src),
    dstIp: formatIpv6(dst),
    code: icmp[1] ?? 0,
    router: (flags & FLAG_ROUTER) !== 0,
    solicited: (flags & FLAG_SOLICITED) !== 0,
    override: (flags & FLAG_OVERRIDE) !== 0,
    target: formatIpv6(icmp.subarray(8, 24)),
    targetLinkAddress,
    checksumOk: internetChecksum(ipv6PseudoHeader(src, dst, length, IPPROTO_ICMPV6), icmp) === 0,
  };
}
