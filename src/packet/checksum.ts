// The Internet checksum (RFC 1071): one's-complement sum of 16-bit big-endian
// words. ICMPv6, UDP and the IPv4 header all use it, and the first two sum a
// pseudo-header that is never sent, so the functions take the message in
// parts and sum them as if concatenated (an odd-length part shifts the word
// boundary for the next one).

/** The folded 16-bit one's-complement sum of the parts, as if concatenated. */
export function onesComplementSum(parts: readonly Uint8Array[]): number {
  let sum = 0;
  let odd = false; // true when the previous byte began a word
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      const byte = part[i] ?? 0;
      sum += odd ? byte : byte << 8;
      odd = !odd;
    }
    // Fold now and then so the number stays a small integer.
    if (sum > 0xffffff) sum = (sum & 0xffff) + (sum >>> 16);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * The value to put in a checksum field (zeroed while summing). Summing a
 * message that already holds a correct checksum gives 0, which is how the
 * decoders verify.
 */
export function internetChecksum(...parts: Uint8Array[]): number {
  return ~onesComplementSum(parts) & 0xffff;
}

/** IPv6 upper-layer pseudo-header (RFC 8200 §8.1, was RFC 2460): src, dst, length, next header. */
export function ipv6PseudoHeader(src: Uint8Array, dst: Uint8Array, length: number, nextHeader: number): Buffer {
  const ph = Buffer.alloc(40);
  ph.set(src, 0);
  ph.set(dst, 16);
  ph.writeUInt32BE(length, 32);
  ph[39] = nextHeader;
  return ph;
}
