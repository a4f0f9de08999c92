// RTM_NEWROUTE / DELROUTE / GETROUTE.
import { MessageBuilder, attrMap, needBody, readU32, NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../netlink';
import {
  AF_INET,
  AF_INET6,
  RTA_DST,
  RTA_IIF,
  RTA_SRC,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTNH_F_ONLINK,
  RTA_GATEWAY,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_TABLE,
  RTM_DELROUTE,
  RTM_GETROUTE,
  RTM_NEWROUTE,
  RTN_UNICAST,
  RTPROT_BOOT,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
} from './constants';
import { ipAttr } from './ip-attr';

const RTMSG_LEN = 12;

export interface RtmsgFields {
  family: number;
  dstLength?: number;
  srcLength?: number;
  tos?: number;
  table?: number;
  protocol?: number;
  scope?: number;
  type?: number;
  flags?: number;
}

/** struct rtmsg */
export function rtmsg(f: RtmsgFields): Buffer {
  const b = Buffer.alloc(RTMSG_LEN);
  b.writeUInt8(f.family, 0);
  b.writeUInt8(f.dstLength ?? 0, 1);
  b.writeUInt8(f.srcLength ?? 0, 2);
  b.writeUInt8(f.tos ?? 0, 3);
  b.writeUInt8(f.table ?? 0, 4);
  b.writeUInt8(f.protocol ?? 0, 5);
  b.writeUInt8(f.scope ?? 0, 6);
  b.writeUInt8(f.type ?? 0, 7);
  b.writeUInt32LE(f.flags ?? 0, 8);
  return b;
}

export interface RouteSpec {
  family: number;
  /** Destination network; absent for the default route. */
  dst?: Uint8Array | undefined;
  dstLength: number;
  gateway?: Uint8Array | undefined;
  /** Output interface index. */
  oif?: number | undefined;
  table?: number | undefined;
  metric?: number | undefined;
  /** A route without a gateway reaches its destination on the link. */
  scope?: number | undefined;
  /** RTPROT_*; boot (iproute2's default) when absent. Restoring a route gives back its own. */
  protocol?: number | undefined;
}

function routeHeader(spec: RouteSpec, protocol: number): Buffer {
  const table = spec.table ?? RT_TABLE_MAIN;
  return rtmsg({
    family: spec.family,
    dstLength: spec.dstLength,
    table: table < 256 ? table : RT_TABLE_UNSPEC,
    protocol,
    scope: spec.scope ?? (spec.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK),
    type: RTN_UNICAST,
  });
}

// Laid out as `ip route add` lays it out: RTA_TABLE only past 255, then
// RTA_DST, RTA_GATEWAY, RTA_OIF.
function routeAttrs(b: MessageBuilder, spec: RouteSpec): void {
  const table = spec.table ?? RT_TABLE_MAIN;
  if (table >= 256) b.u32(RTA_TABLE, table);
  if (spec.dst && spec.dstLength > 0) b.bytes(RTA_DST, spec.dst);
  if (spec.gateway) b.bytes(RTA_GATEWAY, spec.gateway);
  if (spec.metric !== undefined) b.u32(RTA_PRIORITY, spec.metric);
  if (spec.oif !== undefined) b.u32(RTA_OIF, spec.oif);
}

/** Adds a route; `replace` overwrites one with the same destination and metric (ip route replace). */
export function newRoute(spec: RouteSpec, replace = false): Buffer {
  const b = new MessageBuilder(RTM_NEWROUTE, NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL));
  b.struct(routeHeader(spec, spec.protocol ?? RTPROT_BOOT));
  routeAttrs(b, spec);
  return b.finish();
}

export function delRoute(spec: RouteSpec): Buffer {
  const b = new MessageBuilder(RTM_DELROUTE, 0);
  // RT_SCOPE_NOWHERE matches a route of any scope, as `ip route del` asks;
  // scope 0 would match only universe routes (ESRCH for `dev X` routes).
  const scope = spec.scope ?? RT_SCOPE_NOWHERE;
  const table = spec.table ?? RT_TABLE_MAIN;
  b.struct(rtmsg({ family: spec.family, dstLength: spec.dstLength, table: table < 256 ? table : RT_TABLE_UNSPEC, scope }));
  routeAttrs(b, { ...spec, table });
  return b.finish();
}

/** Every route of a family in the main table. */
export function dumpRoutes(family: number, table = RT_TABLE_MAIN): Buffer {
  const b = new MessageBuilder(RTM_GETROUTE, 0);
  b.struct(rtmsg({ family, table: table < 256 ? table : 0 }));
  if (table >= 256) b.u32(RTA_TABLE, table);
  return b.finish();
}

/**
 * `ip route get DST [oif N]`: the route the kernel would use. Answered with
 * one RTM_NEWROUTE, or ENETUNREACH when nothing reaches DST.
 */
export function getRoute(q: { family: number; dst: Uint8Array; oif?: number | undefined }): Buffer {
  const b = new MessageBuilder(RTM_GETROUTE, 0);
  b.struct(rtmsg({ family: q.family, dstLength: q.dst.length * 8 }));
  b.bytes(RTA_DST, q.dst);
  if (q.oif !== undefined) b.u32(RTA_OIF, q.oif);
  return b.finish();
}

export interface Route {
  family: number;
  dstLength: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  dst?: Buffer | undefined;
  gateway?: Buffer | undefined;
  oif?: number | undefined;
  prefsrc?: Buffer | undefined;
  metric?: number | undefined;
}

export function decodeRoute(msg: Buffer): Route {
  needBody(msg, RTMSG_LEN, 'route message');
  const a = attrMap(msg, 16 + RTMSG_LEN);
  const route: Route = {
    family: msg.readUInt8(16),
    dstLength: msg.readUInt8(17),
    table: a.has(RTA_TABLE) ? readU32(a.get(RTA_TABLE)!) : msg.readUInt8(20),
    protocol: msg.readUInt8(21),
    scope: msg.readUInt8(22),
    type: msg.readUInt8(23),
  };
  if (a.has(RTA_DST)) route.dst = ipAttr(route.family, a.get(RTA_DST)!, 'RTA_DST');
  if (a.has(RTA_GATEWAY)) route.gateway = ipAttr(route.family, a.get(RTA_GATEWAY)!, 'RTA_GATEWAY');
  if (a.has(RTA_OIF)) route.oif = readU32(a.get(RTA_OIF)!);
  if (a.has(RTA_PREFSRC)) route.prefsrc = ipAttr(route.family, a.get(RTA_PREFSRC)!, 'RTA_PREFSRC');
  if (a.has(RTA_PRIORITY)) route.metric = readU32(a.get(RTA_PRIORITY)!);
  return route;
}

// ---- the `pipework route` command: iproute2's whole `ip route` message ----
//
// The encoders above serve attach (a few fixed shapes). These serve the
// route command, and lay a message out as iproute2 6.1's ip/iproute.c does
// for the words in the order `ip route show` prints them:
//   [TYPE] PREFIX [via GW] [dev D] [table T] [proto P] [scope S] [src A] [metric M] [onlink] [mtu N]
// iproute2 appends an attribute when it reads its word, except RTA_OIF and
// RTA_METRICS, which it appends after the last word; so in that word order
// the attributes are DST, GATEWAY, TABLE (past 255), PREFSRC, PRIORITY, OIF, METRICS.

// linux/rtnetlink.h
export const RTA_METRICS = 8;
export const RTA_CACHEINFO = 12;
export const RTA_MARK = 16;
export const RTA_PREF = 20;
export const RTA_UID = 25;
export const RTAX_LOCK = 1;
export const RTAX_MTU = 2;
export const RTAX_HOPLIMIT = 10;
export const RTN_ANYCAST = 4;
export const RTN_MULTICAST = 5;
export const RTN_BLACKHOLE = 6;
export const RTN_UNREACHABLE = 7;
export const RTN_PROHIBIT = 8;
export const RTN_NAT = 10;
export const RT_TABLE_DEFAULT = 253;
export const RT_TABLE_LOCAL = 255;
export const RTM_F_CLONED = 0x200;
export const RTM_F_LOOKUP_TABLE = 0x1000;

/** What the route command does with a route: NLM_F_* flags as `ip route add|replace|change|append|del` send them. */
export type RouteVerb = 'add' | 'del' | 'replace' | 'change' | 'append';
const VERB_FLAGS: Record<RouteVerb, number> = {
  add: NLM_F_CREATE | NLM_F_EXCL,
  replace: NLM_F_CREATE | NLM_F_REPLACE,
  change: NLM_F_REPLACE,
  append: NLM_F_CREATE | NLM_F_APPEND,
  del: 0,
};

export interface RouteMessageSpec {
  family: number;
  /** RTA_DST's bytes; absent for `default` with an inferred family (iproute2 sends an all-zero one when -4/-6 was given). */
  dst?: Uint8Array | undefined;
  dstLength: number;
  /** RTN_*; unicast when absent (nothing, on del: any type). */
  type?: number | undefined;
  gateway?: Uint8Array | undefined;
  oif?: number | undefined;
  /** main when absent. */
  table?: number | undefined;
  /** RTPROT_*; boot when absent (on del: any). */
  protocol?: number | undefined;
  /** RT_SCOPE_*; when absent, iproute2's choice from the type, family and gateway. */
  scope?: number | undefined;
  prefsrc?: Uint8Array | undefined;
  metric?: number | undefined;
  onlink?: boolean | undefined;
  mtu?: number | undefined;
}

/** iproute2's scope when none is given (iproute_modify's `if (!scope_ok)`). */
function defaultScope(verb: RouteVerb, s: RouteMessageSpec, type: number): number {
  if (s.family === AF_INET6) return RT_SCOPE_UNIVERSE;
  if (type === RTN_LOCAL || type === RTN_NAT) return RT_SCOPE_HOST;
  if (type === RTN_BROADCAST || type === RTN_MULTICAST || type === RTN_ANYCAST) return RT_SCOPE_LINK;
  if (verb === 'del') return RT_SCOPE_NOWHERE;
  if (type === RTN_UNICAST || type === 0) return s.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  return RT_SCOPE_UNIVERSE;
}

/** RTM_NEWROUTE (add, replace, change, append) or RTM_DELROUTE (del), as `ip route VERB ...` sends it. */
export function routeMessage(verb: RouteVerb, s: RouteMessageSpec): Buffer {
  const del = verb === 'del';
  const type = s.type ?? (del ? 0 : RTN_UNICAST);
  const table = s.table ?? RT_TABLE_MAIN;
  const b = new MessageBuilder(del ? RTM_DELROUTE : RTM_NEWROUTE, VERB_FLAGS[verb]);
  b.struct(
    rtmsg({
      family: s.family,
      dstLength: s.dstLength,
      table: table < 256 ? table : RT_TABLE_UNSPEC,
      protocol: s.protocol ?? (del ? 0 : RTPROT_BOOT),
      scope: s.scope ?? defaultScope(verb, s, type),
      type,
      flags: s.onlink ? RTNH_F_ONLINK : 0,
    }),
  );
  if (s.dst) b.bytes(RTA_DST, s.dst);
  if (s.gateway) b.bytes(RTA_GATEWAY, s.gateway);
  if (table >= 256) b.u32(RTA_TABLE, table);
  if (s.prefsrc) b.bytes(RTA_PREFSRC, s.prefsrc);
  if (s.metric !== undefined) b.u32(RTA_PRIORITY, s.metric);
  if (s.oif !== undefined) b.u32(RTA_OIF, s.oif);
  // RTA_METRICS nests RTAX_* attributes; iproute2 does not flag it NLA_F_NESTED.
  if (s.mtu !== undefined) b.nest(RTA_METRICS, (m) => m.u32(RTAX_MTU, s.mtu!), false);
  return b.finish();
}

/** The same route, sent back: a dumped route as RTM_DELROUTE (`ip route flush`) or RTM_NEWROUTE with CREATE|EXCL (putting it back). */
export function resendRoute(dumped: Buffer, as: 'del' | 'add'): Buffer {
  const m = Buffer.from(dumped);
  m.writeUInt16LE(as === 'del' ? RTM_DELROUTE : RTM_NEWROUTE, 4);
  m.writeUInt16LE(as === 'del' ? 0 : NLM_F_CREATE | NLM_F_EXCL, 6);
  m.writeUInt32LE(0, 8);
  m.writeUInt32LE(0, 12);
  return m;
}

/**
 * `ip route get ADDR [from ADDR] [oif DEV] [mark N]`: DST and SRC where
 * their words stand, OIF and MARK after the last; IPv4 asks for the lookup
 * through the rules and tables (RTM_F_LOOKUP_TABLE), which IPv6 does not know.
 */
export function routeGetMessage(q: { family: number; dst: Uint8Array; src?: Uint8Array | undefined; oif?: number | undefined; mark?: number | undefined }): Buffer {
  const b = new MessageBuilder(RTM_GETROUTE, 0);
  b.struct(rtmsg({ family: q.family, dstLength: q.dst.length * 8, srcLength: q.src ? q.src.length * 8 : 0, flags: q.family === AF_INET ? RTM_F_LOOKUP_TABLE : 0 }));
  b.bytes(RTA_DST, q.dst);
  if (q.src) b.bytes(RTA_SRC, q.src);
  if (q.oif !== undefined) b.u32(RTA_OIF, q.oif);
  if (q.mark) b.u32(RTA_MARK, q.mark);
  return b.finish();
}

/**
 * `ip route show|flush` asks the kernel for: a family (AF_UNSPEC for both),
 * the table as RTA_TABLE (none for `table all`), the protocol in the header,
 * the device as RTA_OIF; the kernel filters on these (strict checking), the
 * rest is filtered after, as iproute2 does.
 */
export function routeDumpMessage(q: { family: number; table?: number | undefined; protocol?: number | undefined; oif?: number | undefined }): Buffer {
  const b = new MessageBuilder(RTM_GETROUTE, 0);
  b.struct(rtmsg({ family: q.family, protocol: q.protocol ?? 0 }));
  if (q.table !== undefined) b.u32(RTA_TABLE, q.table);
  if (q.oif !== undefined) b.u32(RTA_OIF, q.oif);
  return b.finish();
}

/** Everything `ip route show` prints of a route. */
export interface RouteDetail extends Route {
  srcLength: number;
  tos: number;
  flags: number;
  src?: Buffer | undefined;
  /** RTAX_* values by number, and the RTAX_LOCK bits. */
  metrics?: Map<number, number> | undefined;
  metricsLock?: number | undefined;
  pref?: number | undefined;
  uid?: number | undefined;
  mark?: number | undefined;
  iif?: number | undefined;
  /** rta_cacheinfo's expires (clock ticks) and error. */
  expires?: number | undefined;
  error?: number | undefined;
}

export function decodeRouteDetail(msg: Buffer): RouteDetail {
  const r: RouteDetail = { ...decodeRoute(msg), srcLength: msg.readUInt8(18), tos: msg.readUInt8(19), flags: msg.readUInt32LE(24) };
  const a = attrMap(msg, 16 + RTMSG_LEN);
  if (a.has(RTA_SRC)) r.src = Buffer.from(a.get(RTA_SRC)!);
  if (a.has(RTA_PREF)) r.pref = a.get(RTA_PREF)!.readUInt8(0);
  if (a.has(RTA_UID)) r.uid = readU32(a.get(RTA_UID)!);
  if (a.has(RTA_MARK)) r.mark = readU32(a.get(RTA_MARK)!);
  if (a.has(RTA_IIF)) r.iif = readU32(a.get(RTA_IIF)!);
  const ci = a.get(RTA_CACHEINFO);
  if (ci && ci.length >= 16) {
    r.expires = ci.readInt32LE(12);
    r.error = ci.readUInt32LE(8);
  }
  const mx = a.get(RTA_METRICS);
  if (mx) {
    r.metrics = new Map();
    for (const [type, v] of attrMap(mx)) {
      if (v.length < 4) continue;
      if (type === RTAX_LOCK) r.metricsLock = readU32(v);
      else r.metrics.set(type, readU32(v));
    }
  }
  return r;
}
