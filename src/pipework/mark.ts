// Our mark: every veth pipework-netlink creates carries, on both ends, the
// interface alias (IFLA_IFALIAS)
//
//     pipework:<kind>:<guest id>:<guest-side name>
//
// e.g. pipework:docker:3f2a...c9:eth0, pipework:netns:red:eth1,
// pipework:pid:4242:eth1, pipework:path:/run/x:eth1. The guest id is what
// identifies the guest for good: a container's full id (not its name), a netns
// name, a PID, a path. There is no state file: show, detach and gc read the
// kernel. An alias is not taken at creation (the kernel ignores IFLA_IFALIAS
// in a new link), so it is set just after, in the same attach.
import type { Guest, GuestKind } from '../netns';

const PREFIX = 'pipework:';
const KINDS: readonly string[] = ['docker', 'pid', 'netns', 'path'];

export interface Mark {
  kind: GuestKind;
  /** Container id, netns name, PID or path. */
  id: string;
  /** The guest-side interface name. */
  ifname: string;
}

export function guestMark(guest: Guest, ifname: string): Mark {
  const id = guest.kind === 'docker' ? guest.id ?? guest.name : guest.kind === 'pid' ? String(guest.pid) : guest.name;
  return { kind: guest.kind, id, ifname };
}

export function formatMark(m: Mark): string {
  return `${PREFIX}${m.kind}:${m.id}:${m.ifname}`;
}

/** The mark in an alias, or undefined when the alias is not ours. Interface names hold no ':', so the last one ends the id. */
export function parseMark(alias: string | undefined): Mark | undefined {
  if (!alias?.startsWith(PREFIX)) return undefined;
  const rest = alias.slice(PREFIX.length);
  const kindEnd = rest.indexOf(':');
  const idEnd = rest.lastIndexOf(':');
  if (kindEnd < 0 || idEnd <= kindEnd + 1 || idEnd === rest.length - 1) return undefined;
  const kind = rest.slice(0, kindEnd);
  if (!KINDS.includes(kind)) return undefined;
  return { kind: kind as GuestKind, id: rest.slice(kindEnd + 1, idEnd), ifname: rest.slice(idEnd + 1) };
}

export function sameMark(a: Mark | undefined, b: Mark | undefined): boolean {
  return !!a && !!b && a.kind === b.kind && a.id === b.id && a.ifname === b.ifname;
}

/** How a guest reads in messages: 'container web1', 'netns red', 'process 42', 'namespace /run/x'. */
export function guestLabel(kind: GuestKind, name: string): string {
  const noun = { docker: 'container', netns: 'netns', pid: 'process', path: 'namespace' }[kind];
  return `${noun} ${name}`;
}

/** How a mark's guest reads in messages: 'container 3f2a9c1b0d4e' (a short id), 'netns red'. */
export function describeMark(m: Mark): string {
  return guestLabel(m.kind, m.kind === 'docker' ? m.id.slice(0, 12) : m.id);
}
