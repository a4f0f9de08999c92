// The netlink message header and the kernel's error/ACK message.
import { getSystemErrorMap } from 'node:util';
import { ParseError } from '../errors';
import { attrMap, readString, readU32 } from './attributes';
import {
  NLMSG_HDRLEN,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLMSGERR_ATTR_MSG,
  NLMSGERR_ATTR_MISS_TYPE,
  NLMSGERR_ATTR_OFFS,
} from './constants';

export interface Header {
  length: number;
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

export function readHeader(buf: Buffer, at = 0): Header {
  if (at < 0 || buf.length - at < NLMSG_HDRLEN) throw new ParseError(`netlink message of ${Math.max(0, buf.length - at)} bytes is shorter than its 16-byte header`);
  return {
    length: buf.readUInt32LE(at),
    type: buf.readUInt16LE(at + 4),
    flags: buf.readUInt16LE(at + 6),
    seq: buf.readUInt32LE(at + 8),
    pid: buf.readUInt32LE(at + 12),
  };
}

/**
 * A message's family header (ifinfomsg, rtmsg ...) must be all there before
 * its fields are read; `what` names the message in the error.
 */
export function needBody(msg: Buffer, structLen: number, what: string): void {
  if (msg.length < NLMSG_HDRLEN + structLen) {
    throw new ParseError(`${what} of ${msg.length} bytes is shorter than its headers (${NLMSG_HDRLEN + structLen} bytes)`);
  }
}

/** Splits a datagram into its messages (views, not copies); a malformed tail ends the walk (the socket reports it: socket.ts). */
export function* messages(datagram: Buffer): Generator<Buffer> {
  let at = 0;
  while (at + NLMSG_HDRLEN <= datagram.length) {
    const len = datagram.readUInt32LE(at);
    if (len < NLMSG_HDRLEN || at + len > datagram.length) return;
    yield datagram.subarray(at, at + len);
    at += (len + 3) & ~3;
  }
}

// libuv's table, keyed by negative errno: [name, text].
const systemErrors = getSystemErrorMap();

export function errnoName(errno: number): string {
  return systemErrors.get(-errno)?.[0] ?? `errno ${errno}`;
}

function errnoText(errno: number): string {
  return systemErrors.get(-errno)?.[1] ?? `errno ${errno}`;
}

/** What the kernel said when it refused a request. */
export class NetlinkError extends Error {
  /** Positive errno, e.g. 17. */
  readonly errno: number;
  /** 'EEXIST' */
  readonly code: string;
  /** The kernel's extended-ACK text, when it gave one. */
  readonly extAck: string | undefined;
  /** Byte offset into our request of the attribute the kernel blamed. */
  readonly offset: number | undefined;
  /** The rtnetlink message type of the refused request. */
  readonly requestType: number;

  constructor(errno: number, requestType: number, extAck?: string, offset?: number) {
    const code = errnoName(errno);
    const text = errnoText(errno);
    super(`${code}: ${text}${extAck ? ` (kernel: ${extAck})` : ''}`);
    this.name = 'NetlinkError';
    this.errno = errno;
    this.code = code;
    this.extAck = extAck;
    this.offset = offset;
    this.requestType = requestType;
  }
}

export interface Ack {
  /** 0 for success, else a positive errno. */
  errno: number;
  requestType: number;
  extAck?: string | undefined;
  offset?: number | undefined;
}

/**
 * Reads an NLMSG_ERROR message (also the plain ACK, errno 0). With
 * NETLINK_CAP_ACK the echoed request is only its header; with NETLINK_EXT_ACK
 * the kernel's explanation follows as attributes.
 */
export function readAck(msg: Buffer): Ack {
  if (msg.length < NLMSG_HDRLEN + 4) throw new ParseError(`NLMSG_ERROR of ${msg.length} bytes has no room for its errno (20 bytes at least)`);
  const flags = msg.readUInt16LE(6);
  const error = msg.readInt32LE(NLMSG_HDRLEN);
  const echoed = NLMSG_HDRLEN + 4;
  const requestType = msg.length >= echoed + 6 ? msg.readUInt16LE(echoed + 4) : 0;
  const ack: Ack = { errno: -error, requestType };
  if (flags & NLM_F_ACK_TLVS) {
    if (!(flags & NLM_F_CAPPED) && msg.length < echoed + 4) throw new ParseError('NLMSG_ERROR with NLM_F_ACK_TLVS ends before the echoed request');
    const echoedLen = flags & NLM_F_CAPPED ? NLMSG_HDRLEN : msg.readUInt32LE(echoed);
    if (echoedLen < NLMSG_HDRLEN || echoed + echoedLen > msg.length) throw new ParseError(`NLMSG_ERROR echoes a request of ${echoedLen} bytes that does not fit in its ${msg.length}`);
    const tlvs = attrMap(msg, echoed + ((echoedLen + 3) & ~3));
    const text = tlvs.get(NLMSGERR_ATTR_MSG);
    if (text) ack.extAck = readString(text);
    const offs = tlvs.get(NLMSGERR_ATTR_OFFS);
    if (offs) ack.offset = readU32(offs);
    const missing = tlvs.get(NLMSGERR_ATTR_MISS_TYPE);
    if (missing && !ack.extAck) ack.extAck = `missing attribute type ${readU32(missing)}`;
  }
  return ack;
}

/** A dump that failed midway ends with NLMSG_DONE carrying -errno, and with extended ACKs on, the kernel's text after it. */
export function readDoneExtAck(msg: Buffer): string | undefined {
  if (msg.length < NLMSG_HDRLEN || !(msg.readUInt16LE(6) & NLM_F_ACK_TLVS)) return undefined;
  const text = attrMap(msg, NLMSG_HDRLEN + 4).get(NLMSGERR_ATTR_MSG);
  return text ? readString(text) : undefined;
}
