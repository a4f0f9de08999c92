// IP addresses between text and network-order bytes. Shared by the frame
// builders here and by the netlink encoders (IFA_ADDRESS, RTA_GATEWAY...), so
// both directions must be exact. node:net decides what is valid text; the
// rest is a few lines, to keep src free of dependencies.
//
// Text output follows glibc's inet_ntop, not bare RFC 5952, because tests and
// users compare what we print with what `ip addr` prints: lower-case hex, the
// longest run (first on a tie) of two or more zero groups becomes '::', and
// ::a.b.c.d / ::ffff:a.b.c.d keep their embedded IPv4 in dotted form.

import { isIPv4, isIPv6 } from 'node:net';
import { usage } from '../errors';

export type IpFamily = 4 | 6;

/** 'a.b.c.d' to 4 bytes. Throws USAGE for anything else (no inet_aton shorthands). */
export function ipv4Bytes(text: string): Buffer {
  if (!isIPv4(text)) throw usage(`${JSON.stringify(text)} is not an IPv4 address`);
  return Buffer.from(text.split('.').map(Number));
}

/** Any RFC 4291 §2.2 text form, including '::' and an embedded IPv4 tail, to 16 bytes. */
export function ipv6Bytes(text: string): Buffer {
  // node accepts a zone ('fe80::1%eth0'); a zone has no place in a netlink
  // attribute or a frame, and dropping it silently would hide a mistake.
  if (text.includes('%')) {
    throw usage(`${JSON.stringify(text)}: an IPv6 address with a zone index cannot be used here`);
  }
  if (!isIPv6(text)) throw usage(`${JSON.stringify(text)} is not an IPv6 address`);
  const halves = text.split('::');
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const words = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

// isIPv6 has already checked the shape, so each group is 1-4 hex digits or,
// last, a dotted quad worth two groups.
function groups(part: string): number[] {
  if (part === '') return [];
  const out: number[] = [];
  for (const g of part.split(':')) {
    if (g.includes('.')) {
      const b = ipv4Bytes(g);
      out.push(b.readUInt16BE(0), b.readUInt16BE(2));
    } else {
      out.push(parseInt(g, 16));
    }
  }
  return out;
}

/** Either family, told apart by the text. */
export function ipBytes(text: string): { family: IpFamily; bytes: Buffer } {
  if (isIPv4(text)) return { family: 4, bytes: ipv4Bytes(text) };
  if (isIPv6(text) || text.includes('%')) return { family: 6, bytes: ipv6Bytes(text) };
  throw usage(`${JSON.stringify(text)} is not an IP address`);
}

export function formatIpv4(bytes: Uint8Array): string {
  if (bytes.length !== 4) throw new RangeError(`an IPv4 address is 4 bytes, got ${bytes.length}`);
  return Array.from(bytes).join('.');
}

export function formatIpv6(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`an IPv6 address is 16 bytes, got ${bytes.length}`);
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));

  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;

  // glibc's rule for the dotted tail: IPv4-compatible (::a.b.c.d with a
  // non-zero seventh group) and IPv4-mapped (::ffff:a.b.c.d).
  const dotted = bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff));
  const hexEnd = dotted ? 6 : 8;

  let out = '';
  for (let i = 0; i < hexEnd; i++) {
    if (i === bestBase) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += (words[i] ?? 0).toString(16);
  }
  if (dotted) out += (out.endsWith(':') ? '' : ':') + formatIpv4(bytes.subarray(12, 16));
  return out;
}

/** 4 or 16 bytes to text. */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return formatIpv4(bytes);
  if (bytes.length === 16) return formatIpv6(bytes);
  throw new RangeError(`an IP address is 4 or 16 bytes, got ${bytes.length}`);
}

/** The IPv4 broadcast address of a prefix; none for /31 and /32 (RFC 3021). */
export function ipv4Broadcast(local: Uint8Array, prefixLength: number): Buffer | undefined {
  if (prefixLength >= 31) return undefined;
  const value = (local[0]! << 24) | (local[1]! << 16) | (local[2]! << 8) | local[3]!;
  const host = prefixLength === 0 ? 0xffffffff : (1 << (32 - prefixLength)) - 1;
  const b = Buffer.alloc(4);
  b.writeUInt32BE((value | host) >>> 0);
  return b;
}

export function samePrefix(a: Uint8Array, b: Uint8Array, prefixLength: number): boolean {
  for (let bit = 0; bit < prefixLength; bit += 8) {
    const left = Math.min(8, prefixLength - bit);
    const mask = (0xff << (8 - left)) & 0xff;
    if (((a[bit / 8]! ^ b[bit / 8]!) & mask) !== 0) return false;
  }
  return true;
}
