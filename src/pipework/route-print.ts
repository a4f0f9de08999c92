// Routes as iproute2 6.1 prints them (ip/iproute.c print_route): the object
// `ip -j route show` prints, and the one line `ip route show` prints, made
// from that object, so the two cannot disagree. A keyword the listing was
// filtered by is not printed, as iproute2 leaves it out (filter.*mask == -1).
import { formatIp } from '../packet';
import { PROTO_NAMES, SCOPE_NAMES, TABLE_NAMES, nameOf } from '../request/inet-words';
import { ROUTE_TYPES } from '../request/route';
import { AF_INET, AF_INET6, RTM_F_CLONED, RTN_UNICAST, RTAX_HOPLIMIT, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, type RouteDetail } from '../rtnl';

/** One route as `ip -j` prints it. Key order is print order. */
export type RouteJson = Record<string, unknown>;

/** What the listing was filtered by: those keywords are not printed. */
export interface PrintFilter {
  /** A table was selected (not `all`). */
  table?: boolean | undefined;
  proto?: boolean | undefined;
  scope?: boolean | undefined;
  dev?: boolean | undefined;
}

// print_rt_flags: RTNH_F_* and RTM_F_* bits of rtm_flags, in its order.
const RT_FLAGS: ReadonlyArray<[number, string]> = [
  [0x1, 'dead'], [0x4, 'onlink'], [0x2, 'pervasive'], [0x8, 'offload'], [0x40, 'trap'], [0x100, 'notify'],
  [0x10, 'linkdown'], [0x20, 'unresolved'], [0x2000, 'rt_offload'], [0x4000, 'rt_trap'], [0x20000000, 'rt_offload_failed'],
];
// print_cache_flags: RTCF_* (linux/in_route.h), for an IPv4 cached route (`ip route get`).
const CACHE_FLAGS: ReadonlyArray<[number, string]> = [
  [0x80000000, 'local'], [0x40000000, 'reject'], [0x20000000, 'mc'], [0x10000000, 'brd'], [0x08000000, 'dst-nat'], [0x00800000, 'src-nat'],
  [0x00400000, 'masq'], [0x00020000, 'dst-direct'], [0x04000000, 'src-direct'], [0x00040000, 'redirected'], [0x01000000, 'redirect'],
  [0x00200000, 'fastroute'], [0x00010000, 'notify'], [0x00080000, 'proxy'],
];
// mx_names: RTAX_* by number.
const METRIC_NAMES = ['', 'lock', 'mtu', 'window', 'rtt', 'rttvar', 'ssthresh', 'cwnd', 'advmss', 'reordering', 'hoplimit', 'initcwnd', 'features', 'rto_min', 'initrwnd', 'quickack', 'congctl', 'fastopen_no_cookie'];
// ICMPV6_ROUTER_PREF_* (RFC 4191 §2.1)
const PREFS: Readonly<Record<number, string>> = { 0: 'medium', 1: 'high', 3: 'low' };
// sysconf(_SC_CLK_TCK): rta_expires is in clock ticks.
const USER_HZ = 100;

function prefixText(family: number, bytes: Buffer | undefined, length: number): string {
  const hostLen = family === AF_INET ? 32 : family === AF_INET6 ? 128 : -1;
  if (!bytes) return length ? `0/${length}` : 'default';
  return length !== hostLen ? `${formatIp(bytes)}/${length}` : formatIp(bytes);
}

function typeName(t: number): string {
  return Object.entries(ROUTE_TYPES).find(([, v]) => v === t)?.[0] ?? String(t);
}

export function routeJson(r: RouteDetail, names: ReadonlyMap<number, string>, filter: PrintFilter = {}): RouteJson {
  const j: RouteJson = {};
  const dev = (i: number) => names.get(i) ?? `if${i}`;
  if (r.type !== RTN_UNICAST) j.type = typeName(r.type);
  // A dump's default route has no RTA_DST; `ip -6 route add default` makes one of all zeros, printed the same.
  j.dst = r.dst && r.dstLength === 0 && r.dst.every((b) => b === 0) ? 'default' : prefixText(r.family, r.dst, r.dstLength);
  if (r.src) j.from = prefixText(r.family, r.src, r.srcLength);
  else if (r.srcLength) j.src = `0/${r.srcLength}`;
  if (r.gateway) j.gateway = formatIp(r.gateway);
  if (r.oif !== undefined && !filter.dev) j.dev = dev(r.oif);
  if (r.table && r.table !== RT_TABLE_MAIN && !filter.table) j.table = nameOf(TABLE_NAMES, r.table);
  if (!(r.flags & RTM_F_CLONED)) {
    if (r.protocol !== RTPROT_BOOT && !filter.proto) j.protocol = nameOf(PROTO_NAMES, r.protocol);
    if (r.scope !== RT_SCOPE_UNIVERSE && !filter.scope) j.scope = nameOf(SCOPE_NAMES, r.scope);
  }
  if (r.prefsrc) j.prefsrc = formatIp(r.prefsrc);
  if (r.metric !== undefined) j.metric = r.metric;
  j.flags = RT_FLAGS.filter(([bit]) => r.flags & bit).map(([, n]) => n);
  if (r.mark) j.mark = r.mark;
  if (r.uid !== undefined) j.uid = r.uid;
  if (r.family === AF_INET && r.flags & RTM_F_CLONED) j.cache = CACHE_FLAGS.filter(([bit]) => (r.flags >>> 0) & bit).map(([, n]) => n);
  if (r.expires) j.expires = Math.trunc(r.expires / USER_HZ);
  if (r.error) j.error = r.error;
  if (r.metrics) {
    const m: Record<string, number> = {};
    for (let i = 2; i < METRIC_NAMES.length; i++) {
      const v = r.metrics.get(i);
      if (v === undefined || (i === RTAX_HOPLIMIT && v === 0xffffffff)) continue;
      m[METRIC_NAMES[i]!] = v;
    }
    j.metrics = [m];
  }
  if (r.iif !== undefined) j.iif = dev(r.iif);
  if (r.pref !== undefined) j.pref = PREFS[r.pref] ?? r.pref;
  return j;
}

const TEXT: Readonly<Record<string, (v: any) => string>> = {
  type: (v) => `${v} `,
  dst: (v) => `${v} `,
  from: (v) => `from ${v} `,
  src: (v) => `from ${v} `,
  gateway: (v) => `via ${v} `,
  dev: (v) => `dev ${v} `,
  table: (v) => `table ${v} `,
  protocol: (v) => `proto ${v} `,
  scope: (v) => `scope ${v} `,
  prefsrc: (v) => `src ${v} `,
  metric: (v) => `metric ${v} `,
  flags: (v: string[]) => v.map((f) => `${f} `).join(''),
  mark: (v: number) => (v >= 16 ? `mark 0x${v.toString(16)} ` : `mark ${v} `),
  uid: (v) => `uid ${v} `,
  cache: (v: string[]) => `\n    cache ${v.length ? `<${v.join(',')}> ` : ''}`,
  expires: (v) => `expires ${v}sec `,
  error: (v) => `error ${v} `,
  metrics: (v: Array<Record<string, number>>) => Object.entries(v[0] ?? {}).map(([k, x]) => `${k} ${x} `).join(''),
  iif: (v) => `iif ${v} `,
  pref: (v) => `pref ${v}`,
};

/** The line `ip route show` prints for the route (without its newline; it may hold the `cache` line). */
export function routeText(j: RouteJson): string {
  return Object.entries(j)
    .map(([k, v]) => TEXT[k]?.(v) ?? '')
    .join('');
}
