// ARP over Ethernet for IPv4 (RFC 826), and the one frame pipework sends with
// it: the announcement `arping -c 1 -A -I <cif> <ip>` that the original runs
// in the guest after configuring an address.
//
// What iputils arping -A (ARP answer mode) puts on the wire, read from its
// send_pack() and confirmed by capture (test/packet.test.ts has the bytes):
// - Ethernet to ff:ff:ff:ff:ff:ff from the interface's MAC, type 0x0806;
// - op 2 (REPLY), not a REQUEST as in -U mode;
// - sender = target protocol address = the announced IP;
// - target hardware address = the interface's own MAC, not broadcast and not
//   zero: in answer mode arping copies its own address there;
// - 28 bytes of ARP after the 14-byte header, 42 in all, no padding: arping
//   sends on a SOCK_DGRAM packet socket, and on veth/macvlan nothing pads.
// Matching that byte for byte means peers (and anything watching for
// pipework's announcements) see no difference.

import { ETH_ALEN, ETH_P_ARP, ETH_P_IP, broadcastMac, checkMac, decodeEthernet, ethernetFrame, formatMac } from './ethernet';
import { formatIpv4, ipv4Bytes } from './ip';

// ar$hrd (RFC 826; IANA's Hardware Types): 1 is Ethernet. rtnl's ARPHRD_ETHER
// (linux/if_arp.h) has the value but names a device's link type, not a frame's
// field: the RFC fixes this one, so packet/ keeps it and needs no rtnetlink.
export const ARP_HRD_ETHERNET = 1;
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;
export const ARP_LEN = 28;

export interface ArpPacket {
  op: number;
  senderMac: Uint8Array;
  senderIp: string;
  targetMac: Uint8Array;
  targetIp: string;
}

/** The 28-byte ARP body (Ethernet hardware, IPv4 protocol), without a link header. */
export function arpPayload(p: ArpPacket): Buffer {
  checkMac(p.senderMac, 'sender MAC');
  checkMac(p.targetMac, 'target MAC');
  const b = Buffer.alloc(ARP_LEN);
  b.writeUInt16BE(ARP_HRD_ETHERNET, 0);
  b.writeUInt16BE(ETH_P_IP, 2);
  b[4] = ETH_ALEN;
  b[5] = 4;
  b.writeUInt16BE(p.op, 6);
  b.set(p.senderMac, 8);
  b.set(ipv4Bytes(p.senderIp), 14);
  b.set(p.targetMac, 18);
  b.set(ipv4Bytes(p.targetIp), 24);
  return b;
}

/** The complete 42-byte frame `arping -A -c 1 -I <if> <ipv4>` sends from an interface with this MAC. */
export function gratuitousArp(mac: Uint8Array, ipv4: string): Buffer {
  checkMac(mac);
  const body = arpPayload({ op: ARPOP_REPLY, senderMac: mac, senderIp: ipv4, targetMac: mac, targetIp: ipv4 });
  return ethernetFrame(broadcastMac(), mac, ETH_P_ARP, body);
}

export interface DecodedArp {
  /** Ethernet header. */
  dst: string;
  src: string;
  htype: number;
  ptype: number;
  hlen: number;
  plen: number;
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
  /** Bytes after the ARP body (Ethernet padding), 0 for our frames. */
  trailer: number;
}

/** Undefined unless the frame is ARP for IPv4 over Ethernet and long enough. */
export function decodeArp(frame: Buffer): DecodedArp | undefined {
  const eth = decodeEthernet(frame);
  if (!eth || eth.ethertype !== ETH_P_ARP || eth.payload.length < ARP_LEN) return undefined;
  const a = eth.payload;
  const hlen = a[4] ?? 0;
  const plen = a[5] ?? 0;
  if (hlen !== ETH_ALEN || plen !== 4) return undefined;
  return {
    dst: eth.dst,
    src: eth.src,
    htype: a.readUInt16BE(0),
    ptype: a.readUInt16BE(2),
    hlen,
    plen,
    op: a.readUInt16BE(6),
    senderMac: formatMac(a.subarray(8, 14)),
    senderIp: formatIpv4(a.subarray(14, 18)),
    targetMac: formatMac(a.subarray(18, 24)),
    targetIp: formatIpv4(a.subarray(24, 28)),
    trailer: a.length - ARP_LEN,
  };
}
