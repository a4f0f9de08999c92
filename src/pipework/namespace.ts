// A network namespace we act in (the host, or a guest) with its netlink
// socket, and the read-only queries the operations plan with.
import { PipeworkError, asPipeworkError } from '../errors';
import { NetlinkError, NetlinkSocket } from '../netlink';
import { GUEST_KINDS, guestLabel, openNamespace, resolveGuest, type Guest, type ResolveOptions } from '../netns';
import { decodeAddr, decodeLink, decodeNsid, decodeRoute, delLink, getNsid, dumpAddrs, dumpLinks, dumpRoutes, getLink, getRoute, type Addr, type Link, type Route } from '../rtnl';
import * as fs from 'node:fs';

export class Namespace {
  constructor(
    readonly sock: NetlinkSocket,
    /** Open fd of the namespace; undefined for the process's own. */
    readonly nsFd: number | undefined,
    /** How a command runs inside it, for --dry-run: '', 'ip netns exec red ', 'nsenter -t 42 -n '. */
    readonly exec: string,
    private readonly onClose?: () => void,
  ) {}

  /** The start of an iproute2 command acting here. */
  get ip(): string {
    return `${this.exec}ip `;
  }

  /** The link of that name, or undefined when there is none. */
  async linkByName(name: string): Promise<Link | undefined> {
    return this.getLink({ name });
  }

  async linkByIndex(index: number): Promise<Link | undefined> {
    return this.getLink({ index });
  }

  private async getLink(target: { name: string } | { index: number }): Promise<Link | undefined> {
    try {
      const [reply] = await this.sock.request(getLink(target));
      return reply ? decodeLink(reply) : undefined;
    } catch (e) {
      if (isGone(e)) return undefined;
      throw e;
    }
  }

  /**
   * Deletes a link; false when it was already gone (ENODEV: someone else
   * removed it between our look and our delete, so the goal is reached).
   */
  async deleteLink(target: { index: number } | { name: string }): Promise<boolean> {
    try {
      await this.sock.request(delLink(target));
      return true;
    } catch (e) {
      if (isGone(e)) return false;
      throw e;
    }
  }

  /** The route the kernel would take to dst (out of oif when given), or undefined when none reaches it. */
  async routeTo(family: number, dst: Uint8Array, oif?: number): Promise<Route | undefined> {
    try {
      const [reply] = await this.sock.request(getRoute({ family, dst, oif }));
      return reply ? decodeRoute(reply) : undefined;
    } catch (e) {
      // What `ip route get` fails with when nothing reaches dst: no route, a blackhole (EINVAL), a prohibit route (EACCES).
      if (e instanceof NetlinkError && ['ENETUNREACH', 'EHOSTUNREACH', 'EINVAL', 'EACCES'].includes(e.code)) return undefined;
      throw e;
    }
  }

  /** The id another namespace (an open fd) has as seen from here: what a veth's IFLA_LINK_NETNSID says of its peer's. */
  async nsidOf(nsFd: number): Promise<number | undefined> {
    const [reply] = await this.sock.request(getNsid(nsFd));
    return reply ? decodeNsid(reply) : undefined;
  }

  async links(): Promise<Link[]> {
    return (await this.sock.dump(dumpLinks())).map(decodeLink);
  }

  /** The ports of a bridge (filtered in the kernel, checked again here). */
  async ports(master: number): Promise<Link[]> {
    return (await this.sock.dump(dumpLinks({ master }))).map(decodeLink).filter((l) => l.master === master);
  }

  async addrs(family = 0, index = 0): Promise<Addr[]> {
    return (await this.sock.dump(dumpAddrs(family, index))).map(decodeAddr);
  }

  async routes(family: number): Promise<Route[]> {
    try {
      return (await this.sock.dump(dumpRoutes(family))).map(decodeRoute);
    } catch (e) {
      // A namespace that never had a route has no main table yet ("FIB table does not exist").
      if (e instanceof NetlinkError && e.code === 'ENOENT') return [];
      throw e;
    }
  }

  close(): void {
    this.sock.close();
    this.onClose?.();
  }
}

/** ENODEV: the link asked for, by name or index, does not exist (any more). */
export function isGone(e: unknown): boolean {
  return e instanceof NetlinkError && e.code === 'ENODEV';
}

/** The host: this process's namespace, or --host-netns NS (a name or a path). */
export function openHost(hostNetns?: string): Namespace {
  if (hostNetns === undefined) return new Namespace(new NetlinkSocket(), undefined, '');
  let fd: number;
  try {
    fd = openNamespace(hostNetns);
  } catch (e) {
    if (!(e instanceof PipeworkError) || e.code !== 'GUEST_NOT_FOUND') throw e;
    throw new PipeworkError('HOST_NETNS_NOT_FOUND', `--host-netns: ${e.message}`, { cause: e });
  }
  try {
    const exec = hostNetns.startsWith('/') ? `nsenter --net=${hostNetns} ` : `ip netns exec ${hostNetns} `;
    return new Namespace(new NetlinkSocket({ nsFd: fd }), fd, exec, () => fs.closeSync(fd));
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

export interface OpenGuest {
  guest: Guest;
  ns: Namespace;
}

/** Resolves a guest once and opens a netlink socket inside it. */
export async function openGuest(spec: string, options?: ResolveOptions): Promise<OpenGuest> {
  const guest = await resolveGuest(spec, options);
  try {
    const ns = new Namespace(new NetlinkSocket({ nsFd: guest.nsFd }), guest.nsFd, GUEST_KINDS[guest.kind].exec(guest), () => guest.close());
    return { guest, ns };
  } catch (e) {
    guest.close();
    throw asPipeworkError(e, 'KERNEL', `cannot enter the network namespace of ${describeGuest(guest)}`);
  }
}

/** 'container web1', 'netns red', 'process 42', 'namespace /run/x'. */
export function describeGuest(g: Guest): string {
  return guestLabel(g.kind, g.name);
}
