// Building and reading netlink messages: a header, a fixed family struct, then
// type-length-value attributes aligned to 4 bytes, which may nest.
import {
  NLA_F_NESTED,
  NLA_HDRLEN,
  NLA_TYPE_MASK,
  NLMSG_HDRLEN,
} from './constants';
import { ParseError } from '../errors';

export const align4 = (n: number): number => (n + 3) & ~3;

/**
 * Appends a message's bytes into one growing buffer. The sequence number is
 * left 0: the socket stamps it when the message is sent, so encoders stay pure.
 */
export class MessageBuilder {
  private buf: Buffer;
  private len = 0;

  constructor(type: number, flags: number, capacity = 256) {
    this.buf = Buffer.alloc(capacity);
    this.len = NLMSG_HDRLEN;
    this.buf.writeUInt16LE(type, 4);
    this.buf.writeUInt16LE(flags, 6);
  }

  private reserve(n: number): number {
    const at = this.len;
    const need = at + align4(n);
    if (need > this.buf.length) {
      const bigger = Buffer.alloc(Math.max(need, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    this.len = need;
    return at;
  }

  /** The family header (ifinfomsg, ifaddrmsg, rtmsg ...), already laid out by the caller. */
  struct(bytes: Uint8Array): this {
    const at = this.reserve(bytes.length);
    this.buf.set(bytes, at);
    return this;
  }

  private header(type: number, payload: number): number {
    const at = this.reserve(NLA_HDRLEN + payload);
    this.buf.writeUInt16LE(NLA_HDRLEN + payload, at);
    this.buf.writeUInt16LE(type, at + 2);
    return at + NLA_HDRLEN;
  }

  // Each writer takes the offset first: header() may replace this.buf when it
  // grows, and `this.buf.write(v, this.header())` would write the old one.
  bytes(type: number, value: Uint8Array): this {
    const at = this.header(type, value.length);
    this.buf.set(value, at);
    return this;
  }

  flag(type: number): this {
    this.header(type, 0);
    return this;
  }

  u8(type: number, value: number): this {
    const at = this.header(type, 1);
    this.buf.writeUInt8(value, at);
    return this;
  }

  u16(type: number, value: number): this {
    const at = this.header(type, 2);
    this.buf.writeUInt16LE(value, at);
    return this;
  }

  u32(type: number, value: number): this {
    const at = this.header(type, 4);
    this.buf.writeUInt32LE(value >>> 0, at);
    return this;
  }

  s32(type: number, value: number): this {
    const at = this.header(type, 4);
    this.buf.writeInt32LE(value, at);
    return this;
  }

  /** A NUL-terminated string (IFLA_IFNAME and other NLA_NUL_STRING-like attributes, as iproute2 sends them). */
  string(type: number, value: string): this {
    const bytes = Buffer.from(value + '\0', 'utf8');
    return this.bytes(type, bytes);
  }

  /**
   * A string without its NUL, for NLA_STRING attributes whose length is the
   * text (IFLA_INFO_KIND, IFLA_IFALIAS): iproute2 sends them so, and an alias
   * of the full 255 bytes only fits without one.
   */
  text(type: number, value: string): this {
    return this.bytes(type, Buffer.from(value, 'utf8'));
  }

  /** An attribute whose payload is the attributes `fill` adds. */
  nest(type: number, fill: (b: this) => void, flagged = true): this {
    const at = this.header(flagged ? type | NLA_F_NESTED : type, 0) - NLA_HDRLEN;
    fill(this);
    this.buf.writeUInt16LE(this.len - at, at);
    return this;
  }

  /** The finished message (a view over exactly its bytes). */
  finish(): Buffer {
    this.buf.writeUInt32LE(this.len, 0);
    return this.buf.subarray(0, this.len);
  }
}

export interface Attr {
  type: number;
  nested: boolean;
  value: Buffer;
}

/** Iterates the attributes in buf[offset, end). Malformed tails end the walk. */
export function* attrs(buf: Buffer, offset = 0, end = buf.length): Generator<Attr> {
  let at = offset;
  while (at + NLA_HDRLEN <= end) {
    const len = buf.readUInt16LE(at);
    if (len < NLA_HDRLEN || at + len > end) return;
    const raw = buf.readUInt16LE(at + 2);
    yield { type: raw & NLA_TYPE_MASK, nested: (raw & NLA_F_NESTED) !== 0, value: buf.subarray(at + NLA_HDRLEN, at + len) };
    at += align4(len);
  }
}

/** Attributes by type; when a type repeats, the last one wins (use attrs() for lists). */
export function attrMap(buf: Buffer, offset = 0, end = buf.length): Map<number, Buffer> {
  const map = new Map<number, Buffer>();
  for (const a of attrs(buf, offset, end)) map.set(a.type, a.value);
  return map;
}

export const readString = (v: Buffer): string => {
  const nul = v.indexOf(0);
  return v.toString('utf8', 0, nul < 0 ? v.length : nul);
};
// Each reader checks that the attribute holds its type: the kernel validates
// what it sends, but a decoder must be total on any bytes (test/fuzz.test.ts).
function need(v: Buffer, n: number, what: string): Buffer {
  if (v.length < n) throw new ParseError(`netlink attribute of ${v.length} bytes is too short for ${what} (${n} bytes)`);
  return v;
}
export const readU8 = (v: Buffer): number => need(v, 1, 'a u8').readUInt8(0);
export const readU16 = (v: Buffer): number => need(v, 2, 'a u16').readUInt16LE(0);
export const readU32 = (v: Buffer): number => need(v, 4, 'a u32').readUInt32LE(0);
export const readS32 = (v: Buffer): number => need(v, 4, 'an s32').readInt32LE(0);
