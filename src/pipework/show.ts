// Show: a guest's interfaces, addresses and routes, read with netlink dumps
// (minimal hosts have no `ip` to look with).
import { formatIp, formatMac } from '../packet';
import {
  AF_INET,
  AF_INET6,
  IFF_LOWER_UP,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_UNIVERSE,
  RTN_UNICAST,
  operstateName,
  type Addr,
  type Link,
  type Route,
} from '../rtnl';
import type { Guest } from '../netns';
import { summariseGuest, type GuestSummary } from './results';
import type { Namespace } from './namespace';

export interface InterfaceView {
  index: number;
  name: string;
  kind?: string | undefined;
  mac?: string | undefined;
  mtu: number;
  up: boolean;
  /** 'up', 'down', 'lowerlayerdown', 'unknown', ... as the kernel's IFLA_OPERSTATE. */
  state: string;
  carrier: boolean;
  addresses: string[];
}

export interface RouteView {
  family: 4 | 6;
  dst: string;
  via?: string | undefined;
  dev?: string | undefined;
  scope: string;
  metric?: number | undefined;
}

export interface ShowResult {
  guest: GuestSummary;
  interfaces: InterfaceView[];
  routes: RouteView[];
}

const SCOPES: Record<number, string> = { [RT_SCOPE_UNIVERSE]: 'global', [RT_SCOPE_LINK]: 'link', [RT_SCOPE_HOST]: 'host' };

export async function runShow(guestNs: Namespace, guest: Guest): Promise<ShowResult> {
  const [links, addrs, routes4, routes6] = await Promise.all([
    guestNs.links(),
    guestNs.addrs(),
    guestNs.routes(AF_INET),
    guestNs.routes(AF_INET6),
  ]);
  const names = new Map(links.map((l) => [l.index, l.name]));
  return {
    guest: summariseGuest(guest),
    interfaces: links.map((l) => interfaceView(l, addrs)),
    routes: [...routes4, ...routes6].filter((r) => r.type === RTN_UNICAST).map((r) => routeView(r, names)),
  };
}

function interfaceView(l: Link, addrs: Addr[]): InterfaceView {
  return {
    index: l.index,
    name: l.name,
    kind: l.kind,
    mac: l.mac && l.mac.length === 6 ? formatMac(l.mac) : undefined,
    mtu: l.mtu,
    up: l.up,
    state: operstateName(l.operstate),
    carrier: (l.flags & IFF_LOWER_UP) !== 0,
    addresses: addrs.filter((a) => a.index === l.index).map((a) => `${formatIp(a.address)}/${a.prefixLength}`),
  };
}

function routeView(r: Route, names: Map<number, string>): RouteView {
  return {
    family: r.family === AF_INET ? 4 : 6,
    dst: r.dst ? `${formatIp(r.dst)}/${r.dstLength}` : r.dstLength === 0 ? 'default' : '?',
    via: r.gateway ? formatIp(r.gateway) : undefined,
    dev: r.oif !== undefined ? (names.get(r.oif) ?? `if${r.oif}`) : undefined,
    scope: SCOPES[r.scope] ?? String(r.scope),
    metric: r.metric,
  };
}

/** The human form, close to `ip -br addr` followed by `ip route`. */
export function formatShow(s: ShowResult): string {
  const lines: string[] = [];
  for (const i of s.interfaces) {
    const kind = i.kind ? ` ${i.kind}` : '';
    lines.push(`${i.name.padEnd(16)}${i.state.toUpperCase().padEnd(15)}${(i.mac ?? '').padEnd(18)}mtu ${i.mtu}${kind}  ${i.addresses.join(' ')}`.trimEnd());
  }
  if (s.routes.length) lines.push('');
  for (const r of s.routes) {
    lines.push([r.dst, r.via && `via ${r.via}`, r.dev && `dev ${r.dev}`, r.scope !== 'global' && `scope ${r.scope}`, r.metric !== undefined && `metric ${r.metric}`].filter(Boolean).join(' '));
  }
  return lines.join('\n');
}
