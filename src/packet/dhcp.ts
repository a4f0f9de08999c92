// DHCPv4 messages (RFC 2131 §2, over the BOOTP layout of RFC 951) and the
// options a client sends and reads (RFC 2132, RFC 3442, RFC 4361), as pure
// functions. The frames around them are udp.ts's.
//
// Parsing is strict: a reply whose fixed part, option framing or any option
// this client reads is malformed is rejected whole, with a reason for the
// drop counters, rather than half-believed. Options split in several
// instances are joined first (RFC 3396), the overloaded file and sname
// fields read after the options field (RFC 2131 §4.1, RFC 2132 §9.3).
import { ETH_ALEN, checkMac } from './ethernet';
import { formatIpv4 } from './ip';
import { decodeUdpFrame, udpFrame } from './udp';

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
const BOOTREQUEST = 1;
const BOOTREPLY = 2;
const HTYPE_ETHERNET = 1;
const FIXED_LEN = 236;
const MAGIC = 0x63825363;
/** RFC 1542 §3.4: relays may drop a BOOTP message shorter than 300 bytes; pad ours to it. */
const MIN_MESSAGE = 300;
export const BROADCAST_FLAG = 0x8000;

export const DHCPDISCOVER = 1;
export const DHCPOFFER = 2;
export const DHCPREQUEST = 3;
export const DHCPDECLINE = 4;
export const DHCPACK = 5;
export const DHCPNAK = 6;
export const DHCPRELEASE = 7;
export const DHCPINFORM = 8;

/** RFC 2132 option codes. */
export const OPT = {
  pad: 0,
  subnetMask: 1,
  router: 3,
  dns: 6,
  hostname: 12,
  domain: 15,
  mtu: 26,
  broadcast: 28,
  requestedAddress: 50,
  leaseTime: 51,
  overload: 52,
  messageType: 53,
  serverId: 54,
  parameterList: 55,
  message: 56,
  maxMessageSize: 57,
  renewalTime: 58,
  rebindingTime: 59,
  vendorClass: 60,
  clientId: 61,
  classlessRoutes: 121,
  end: 255,
} as const;

export interface DhcpRequestMessage {
  type: number;
  xid: number;
  /** Seconds since the client began acquiring or renewing (RFC 2131 §2). */
  secs?: number | undefined;
  /**
   * The BROADCAST flag (RFC 2131 §4.1): for a client that cannot receive
   * unicast before it has an address. A packet socket sees every frame to its
   * MAC, so this client leaves it clear.
   */
  broadcast?: boolean | undefined;
  /** Dotted quad; 0.0.0.0 when absent. Set while BOUND, RENEWING, REBINDING and in RELEASE. */
  ciaddr?: string | undefined;
  chaddr: Uint8Array;
  /** [code, value] in the order they go on the wire, after option 53. */
  options: readonly (readonly [number, Uint8Array])[];
}

/** The BOOTP payload of a client message: fixed part, magic cookie, option 53 first, the rest, END, padded to 300 bytes. */
export function encodeDhcpRequest(m: DhcpRequestMessage): Buffer {
  checkMac(m.chaddr, 'client hardware address');
  const parts: Buffer[] = [Buffer.from([OPT.messageType, 1, m.type])];
  for (const [code, value] of m.options) {
    if (code === OPT.pad || code === OPT.end || code === OPT.messageType) throw new RangeError(`option ${code} is not a data option`);
    // Longer values are split into instances of 255 bytes (RFC 3396).
    for (let o = 0; o < value.length || o === 0; o += 255) {
      const chunk = value.subarray(o, o + 255);
      parts.push(Buffer.from([code, chunk.length]), Buffer.from(chunk));
      if (value.length === 0) break;
    }
  }
  parts.push(Buffer.from([OPT.end]));
  const options = Buffer.concat(parts);
  const b = Buffer.alloc(Math.max(MIN_MESSAGE, FIXED_LEN + 4 + options.length));
  b[0] = BOOTREQUEST;
  b[1] = HTYPE_ETHERNET;
  b[2] = ETH_ALEN;
  b.writeUInt32BE(m.xid >>> 0, 4);
  b.writeUInt16BE(Math.min(0xffff, Math.max(0, Math.floor(m.secs ?? 0))), 8);
  b.writeUInt16BE(m.broadcast ? BROADCAST_FLAG : 0, 10);
  if (m.ciaddr) b.set(ipv4(m.ciaddr), 12);
  b.set(m.chaddr, 28);
  b.writeUInt32BE(MAGIC, FIXED_LEN);
  b.set(options, FIXED_LEN + 4);
  return b;
}

export interface ClientFrame {
  srcMac: Uint8Array;
  /** Broadcast unless the server's MAC is known (unicast RENEW, RELEASE). */
  dstMac: Uint8Array;
  srcIp: string;
  dstIp: string;
  message: DhcpRequestMessage;
}

/** Ethernet + IPv4 + UDP 68→67 + the message. */
export function dhcpClientFrame(f: ClientFrame): Buffer {
  return udpFrame({
    srcMac: f.srcMac,
    dstMac: f.dstMac,
    srcIp: ipv4(f.srcIp),
    dstIp: ipv4(f.dstIp),
    srcPort: DHCP_CLIENT_PORT,
    dstPort: DHCP_SERVER_PORT,
    payload: encodeDhcpRequest(f.message),
    tos: 0x10, // IPTOS_LOWDELAY, as udhcpc and dhclient send
  });
}

export interface ClasslessRoute {
  /** 'a.b.c.d', host bits cleared. */
  dst: string;
  prefixLength: number;
  /** '0.0.0.0' means on the link (RFC 3442 §3... a router of 0.0.0.0). */
  gateway: string;
}

/** What a client reads from a server's message. Absent fields were absent in the message. */
export interface DhcpReply {
  type: number;
  xid: number;
  yiaddr: string;
  siaddr: string;
  chaddr: Buffer;
  /** The Ethernet source and IPv4 source of the frame that carried it (for unicast RENEW). */
  frameSrcMac?: Buffer | undefined;
  frameSrcIp?: string | undefined;
  serverId?: string | undefined;
  leaseTime?: number | undefined;
  renewalTime?: number | undefined;
  rebindingTime?: number | undefined;
  prefixLength?: number | undefined;
  broadcast?: string | undefined;
  routers: string[];
  dns: string[];
  domain?: string | undefined;
  hostname?: string | undefined;
  mtu?: number | undefined;
  classlessRoutes?: ClasslessRoute[] | undefined;
  /** Option 56: the server's reason (with a NAK). */
  message?: string | undefined;
}

export type DhcpDecode = { ok: true; reply: DhcpReply } | { ok: false; reason: string };

/** A whole frame from the packet socket: Ethernet/IPv4/UDP to port 68, then the message. */
export function decodeDhcpFrame(frame: Buffer): DhcpDecode {
  const u = decodeUdpFrame(frame);
  if (!u.ok) return u;
  if (u.udp.dstPort !== DHCP_CLIENT_PORT) return { ok: false, reason: 'not to the DHCP client port' };
  if (u.udp.srcPort !== DHCP_SERVER_PORT) return { ok: false, reason: 'not from the DHCP server port' };
  const d = decodeDhcpReply(u.udp.payload);
  if (d.ok) {
    d.reply.frameSrcMac = Buffer.from(u.udp.srcMac);
    d.reply.frameSrcIp = formatIpv4(u.udp.srcIp);
  }
  return d;
}

/** A server's BOOTP payload. */
export function decodeDhcpReply(b: Buffer): DhcpDecode {
  const fail = (reason: string): DhcpDecode => ({ ok: false, reason });
  if (b.length < FIXED_LEN + 4) return fail('shorter than a BOOTP message');
  if (b[0] !== BOOTREPLY) return fail('not a BOOTREPLY');
  if (b[1] !== HTYPE_ETHERNET || b[2] !== ETH_ALEN) return fail('not for an Ethernet client');
  if (b.readUInt32BE(FIXED_LEN) !== MAGIC) return fail('no DHCP magic cookie');
  const opts = new Map<number, Buffer[]>();
  let overload = 0;
  const scan = (area: Buffer, where: string): string | undefined => {
    for (let i = 0; i < area.length; ) {
      const code = area[i]!;
      if (code === OPT.pad) {
        i++;
        continue;
      }
      if (code === OPT.end) return undefined;
      if (i + 1 >= area.length) return `option ${code} in the ${where} has no length`;
      const len = area[i + 1]!;
      if (i + 2 + len > area.length) return `option ${code} in the ${where} runs past its end`;
      const list = opts.get(code) ?? [];
      list.push(area.subarray(i + 2, i + 2 + len));
      opts.set(code, list);
      i += 2 + len;
    }
    // RFC 2131 §4.1 requires END; a message without one was cut short.
    return `the ${where} has no END option`;
  };
  const problem = scan(b.subarray(FIXED_LEN + 4), 'options field');
  if (problem) return fail(problem);
  const ov = opts.get(OPT.overload);
  if (ov) {
    const v = Buffer.concat(ov);
    if (v.length !== 1 || v[0]! < 1 || v[0]! > 3) return fail('malformed option 52 (overload)');
    overload = v[0]!;
    // The file field is read before sname (RFC 2131 §4.1).
    if (overload & 1) {
      const p = scan(b.subarray(108, 236), 'file field');
      if (p) return fail(p);
    }
    if (overload & 2) {
      const p = scan(b.subarray(44, 108), 'sname field');
      if (p) return fail(p);
    }
  }
  const get = (code: number): Buffer | undefined => (opts.has(code) ? Buffer.concat(opts.get(code)!) : undefined);

  const type = get(OPT.messageType);
  if (!type) return fail('no option 53 (message type)');
  if (type.length !== 1 || type[0]! < 1 || type[0]! > 18) return fail('malformed option 53 (message type)');
  const reply: DhcpReply = {
    type: type[0]!,
    xid: b.readUInt32BE(4),
    yiaddr: formatIpv4(b.subarray(16, 20)),
    siaddr: formatIpv4(b.subarray(20, 24)),
    chaddr: Buffer.from(b.subarray(28, 34)),
    routers: [],
    dns: [],
  };
  try {
    readOptions(get, reply);
  } catch (e) {
    if (e instanceof Malformed) return fail(e.message);
    throw e;
  }
  return { ok: true, reply };
}

class Malformed extends Error {}

function readOptions(get: (code: number) => Buffer | undefined, r: DhcpReply): void {
  const bad = (code: number, name: string): never => {
    throw new Malformed(`malformed option ${code} (${name})`);
  };
  const addr = (code: number, name: string): string | undefined => {
    const v = get(code);
    if (v === undefined) return undefined;
    if (v.length !== 4) bad(code, name);
    return formatIpv4(v);
  };
  const u32 = (code: number, name: string): number | undefined => {
    const v = get(code);
    if (v === undefined) return undefined;
    if (v.length !== 4) bad(code, name);
    return v.readUInt32BE(0);
  };
  const list = (code: number, name: string): string[] => {
    const v = get(code);
    if (v === undefined) return [];
    if (v.length === 0 || v.length % 4 !== 0) bad(code, name);
    const out: string[] = [];
    for (let i = 0; i < v.length; i += 4) out.push(formatIpv4(v.subarray(i, i + 4)));
    return out;
  };
  const text = (code: number, name: string): string | undefined => {
    const v = get(code);
    if (v === undefined) return undefined;
    // Some servers count a trailing NUL (RFC 2132 §2 says they should not).
    let end = v.length;
    while (end > 0 && v[end - 1] === 0) end--;
    const t = v.subarray(0, end);
    if (t.length === 0 || !t.every((c) => c >= 0x20 && c <= 0x7e)) bad(code, name);
    return t.toString('latin1');
  };

  r.serverId = addr(OPT.serverId, 'server identifier');
  r.leaseTime = u32(OPT.leaseTime, 'lease time');
  r.renewalTime = u32(OPT.renewalTime, 'renewal time');
  r.rebindingTime = u32(OPT.rebindingTime, 'rebinding time');
  const mask = get(OPT.subnetMask);
  if (mask !== undefined) {
    if (mask.length !== 4) bad(OPT.subnetMask, 'subnet mask');
    const host = ~mask.readUInt32BE(0) >>> 0;
    if ((host & (host + 1)) !== 0) bad(OPT.subnetMask, 'subnet mask');
    r.prefixLength = 32 - Math.log2(host + 1);
  }
  r.broadcast = addr(OPT.broadcast, 'broadcast address');
  r.routers = list(OPT.router, 'router');
  r.dns = list(OPT.dns, 'domain name server');
  r.domain = text(OPT.domain, 'domain name');
  r.hostname = text(OPT.hostname, 'host name');
  r.message = text(OPT.message, 'message');
  const mtu = get(OPT.mtu);
  if (mtu !== undefined) {
    // RFC 2132 §5.1: at least 68.
    if (mtu.length !== 2 || mtu.readUInt16BE(0) < 68) bad(OPT.mtu, 'interface MTU');
    r.mtu = mtu.readUInt16BE(0);
  }
  const routes = get(OPT.classlessRoutes);
  if (routes !== undefined) r.classlessRoutes = parseClasslessRoutes(routes) ?? bad(OPT.classlessRoutes, 'classless static routes');
}

/**
 * RFC 3442 §2: a sequence of (width, the ceil(width/8) significant octets of
 * the destination, a 4-byte router). Undefined when it is empty, a width is
 * above 32, or the last entry is cut short. Bits past the width are cleared.
 */
export function parseClasslessRoutes(v: Uint8Array): ClasslessRoute[] | undefined {
  if (v.length < 5) return undefined;
  const out: ClasslessRoute[] = [];
  for (let i = 0; i < v.length; ) {
    const width = v[i]!;
    if (width > 32) return undefined;
    const n = Math.ceil(width / 8);
    if (i + 1 + n + 4 > v.length) return undefined;
    const dst = Buffer.alloc(4);
    dst.set(v.subarray(i + 1, i + 1 + n));
    const mask = width === 0 ? 0 : (0xffffffff << (32 - width)) >>> 0;
    dst.writeUInt32BE((dst.readUInt32BE(0) & mask) >>> 0);
    out.push({ dst: formatIpv4(dst), prefixLength: width, gateway: formatIpv4(v.subarray(i + 1 + n, i + 5 + n)) });
    i += 1 + n + 4;
  }
  return out;
}

/** RFC 3442's encoding, for tests and for servers' configuration text. */
export function encodeClasslessRoutes(routes: readonly ClasslessRoute[]): Buffer {
  return Buffer.concat(
    routes.map((r) => {
      const n = Math.ceil(r.prefixLength / 8);
      return Buffer.concat([Buffer.from([r.prefixLength]), ipv4(r.dst).subarray(0, n), ipv4(r.gateway)]);
    }),
  );
}

function ipv4(text: string): Buffer {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`not an IPv4 address: ${text}`);
  return Buffer.from(parts);
}

/** Option 61 from a MAC: type 1 (Ethernet) and the address (RFC 2132 §9.14), as udhcpc and dhclient send by default. */
export function clientIdFromMac(mac: Uint8Array): Buffer {
  checkMac(mac);
  return Buffer.from([HTYPE_ETHERNET, ...mac]);
}
