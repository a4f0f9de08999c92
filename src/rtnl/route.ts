// RTM_NEWROUTE / DELROUTE / GETROUTE.
import { MessageBuilder, attrMap, needBody, readU32, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../netlink';
import {
  RTA_DST,
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
