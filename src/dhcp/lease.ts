// A lease as the client holds it: what an ACK granted, with its times
// (RFC 2131 §4.4.5 counts them from when the REQUEST was sent).
import type { ClasslessRoute, DhcpReply } from '../packet';
import { leaseTimes } from './timing';

export interface Lease {
  address: string;
  prefixLength: number;
  broadcast?: string | undefined;
  /** The server identifier (option 54), and the MAC its ACK came from: where a RENEW and a RELEASE go. */
  server: string;
  serverMac: string;
  /** Default gateways (option 3); empty when option 121 is present (RFC 3442 §1: 121 overrides 3). */
  routers: string[];
  /** Option 121, as given (a 0/0 entry is the default route). */
  routes: ClasslessRoute[];
  mtu?: number | undefined;
  dns: string[];
  domain?: string | undefined;
  /** Seconds; undefined for an infinite lease. */
  leaseSeconds?: number | undefined;
  renewSeconds?: number | undefined;
  rebindSeconds?: number | undefined;
  /** ms since the epoch when the request that got the ACK was sent (times count from there, §4.4.5). */
  obtainedAt: number;
  expiresAt?: number | undefined;
}

/** Classful default when an ACK has no subnet mask (RFC 2131 §4.3.1 leaves it to the client). */
function classfulPrefix(address: string): number {
  const first = Number(address.split('.')[0]);
  return first < 128 ? 8 : first < 192 ? 16 : 24;
}

export function toLease(r: DhcpReply, obtainedAt: number): Lease {
  const times = leaseTimes(r.leaseTime, r.renewalTime, r.rebindingTime);
  const classless = r.classlessRoutes !== undefined;
  return {
    address: r.yiaddr,
    prefixLength: r.prefixLength ?? classfulPrefix(r.yiaddr),
    broadcast: r.broadcast,
    server: r.serverId!,
    serverMac: Array.from(r.frameSrcMac ?? Buffer.alloc(6, 0xff), (b) => b.toString(16).padStart(2, '0')).join(':'),
    routers: classless ? [] : r.routers,
    routes: r.classlessRoutes ?? [],
    mtu: r.mtu,
    dns: r.dns,
    domain: r.domain,
    leaseSeconds: times.lease,
    renewSeconds: times.t1,
    rebindSeconds: times.t2,
    obtainedAt,
    expiresAt: times.lease === undefined ? undefined : obtainedAt + times.lease * 1000,
  };
}

/** Not 0.0.0.0, broadcast, multicast, loopback or class E. */
export function usable(a: string): boolean {
  const first = Number(a.split('.')[0]);
  return a !== '0.0.0.0' && first !== 0 && first !== 127 && first < 224;
}
