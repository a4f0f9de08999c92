// Ethernet II framing and MAC address text. The frames built here go out on
// an AF_PACKET socket as they are: the kernel adds no header, no padding and
// no FCS on a veth or macvlan, so a frame is exactly what the peer receives
// (real NICs pad to 60 bytes themselves).

import { usage } from '../errors';

export const ETH_ALEN = 6;
export const ETH_HLEN = 14;
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;

// iproute2 (ll_addr_a2n) reads each group with %x, so '2:42:ac:11:0:2' sets
// a MAC just like '02:42:ac:11:00:02' does with pipework's `ip link set
// address`; accept the same, and nothing looser.
const MAC_TEXT = /^[0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5}$/i;

/** 'aa:bb:cc:dd:ee:ff' (any case, 1 or 2 digits a group) to 6 bytes; USAGE error naming the value otherwise. */
export function parseMac(text: string): Buffer {
  if (!MAC_TEXT.test(text)) {
    throw usage(`${JSON.stringify(text)} is not a MAC address (expected six hex bytes like 02:42:c0:00:02:0a)`);
  }
  return Buffer.from(text.split(':').map((g) => parseInt(g, 16)));
}

/** Lower-case, two digits a group: the form `ip link` prints. */
export function formatMac(bytes: Uint8Array): string {
  checkMac(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The I/G bit: group (multicast, broadcast) addresses cannot be an interface's own. */
export function isMulticastMac(bytes: Uint8Array): boolean {
  checkMac(bytes);
  return ((bytes[0] ?? 0) & 1) === 1;
}

export function isZeroMac(bytes: Uint8Array): boolean {
  checkMac(bytes);
  return bytes.every((b) => b === 0);
}

export function broadcastMac(): Buffer {
  return Buffer.alloc(ETH_ALEN, 0xff);
}

/** RFC 2464 §7: an IPv6 multicast group maps to 33:33 and its last 32 bits. */
export function ipv6MulticastMac(group: Uint8Array): Buffer {
  if (group.length !== 16 || group[0] !== 0xff) throw new RangeError('not an IPv6 multicast address');
  return Buffer.from([0x33, 0x33, ...group.subarray(12, 16)]);
}

/** Callers pass parsed bytes around; a wrong length is a bug, not user input. */
export function checkMac(bytes: Uint8Array, what = 'MAC address'): void {
  if (bytes.length !== ETH_ALEN) throw new RangeError(`${what} must be ${ETH_ALEN} bytes, got ${bytes.length}`);
}

export function ethernetFrame(dst: Uint8Array, src: Uint8Array, ethertype: number, payload: Uint8Array): Buffer {
  checkMac(dst, 'destination MAC');
  checkMac(src, 'source MAC');
  const frame = Buffer.alloc(ETH_HLEN + payload.length);
  frame.set(dst, 0);
  frame.set(src, 6);
  frame.writeUInt16BE(ethertype, 12);
  frame.set(payload, ETH_HLEN);
  return frame;
}

export interface EthernetFrame {
  dst: string;
  src: string;
  ethertype: number;
  /** A view into the frame, not a copy. */
  payload: Buffer;
}

/** Undefined when the buffer is too short to hold a header. */
export function decodeEthernet(frame: Buffer): EthernetFrame | undefined {
  if (frame.length < ETH_HLEN) return undefined;
  return {
    dst: formatMac(frame.subarray(0, 6)),
    src: formatMac(frame.subarray(6, 12)),
    ethertype: frame.readUInt16BE(12),
    payload: frame.subarray(ETH_HLEN),
  };
}
