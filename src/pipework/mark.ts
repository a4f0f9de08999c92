// Our mark: every link pipework-netlink makes for a guest carries, as its
// interface alias (IFLA_IFALIAS, `ip -d link` shows it as `alias`),
//
//     pipework:2:<host kind>[=<host-side name>]:<guest kind>:<guest id>:<guest-side name>
//
// e.g. pipework:2:bridge:docker:3f2a...c9:eth0, pipework:2:macvlan:netns:red:eth1,
// and, for a NIC moved into the guest, pipework:2:phys=eth5:pid:4242:eth1 (the
// name it had on the host, to give it back). The guest id is what identifies
// the guest for good, as its kind says (netns/kinds.ts: a container's full id,
// not its name; a netns name; a PID; a path). There is no state file: show,
// detach and gc read the kernel.
//
// Version 1, written before host kinds existed, is read as well:
// pipework:<guest kind>:<guest id>:<guest-side name>, always a veth on a bridge.
//
// A shared host resource we created (a bridge several guests use) carries
// pipework:2:<host kind>:shared, so that only what we made is ever removed.
import { GUEST_KINDS, guestLabel, isGuestKind, type Guest, type GuestKind } from '../netns';

const PREFIX = 'pipework:';
const V2 = `${PREFIX}2:`;
/** Host kinds are plain lower-case words: they sit between ':' and '='. */
const HOST_KIND = /^[a-z][a-z0-9-]*$/;

export interface Mark {
  /** The host-interface kind that made the link: 'bridge', 'macvlan', ... ('bridge' for a version-1 mark). */
  hostKind: string;
  /** For a moved NIC: its name on the host. */
  hostName?: string | undefined;
  kind: GuestKind;
  /** Container id, netns name, PID or path. */
  id: string;
  /** The guest-side interface name. */
  ifname: string;
}

export function guestMark(guest: Guest, ifname: string, hostKind: string, hostName?: string): Mark {
  const m: Mark = { hostKind, kind: guest.kind, id: GUEST_KINDS[guest.kind].markId(guest), ifname };
  if (hostName !== undefined) m.hostName = hostName;
  return m;
}

export function formatMark(m: Mark): string {
  const host = m.hostName === undefined ? m.hostKind : `${m.hostKind}=${m.hostName}`;
  return `${V2}${host}:${m.kind}:${m.id}:${m.ifname}`;
}

/** The mark in an alias (either version), or undefined when the alias is not a guest link's mark of ours. */
export function parseMark(alias: string | undefined): Mark | undefined {
  if (!alias?.startsWith(PREFIX)) return undefined;
  if (!alias.startsWith(V2)) return parseGuestPart(alias.slice(PREFIX.length), 'bridge');
  const rest = alias.slice(V2.length);
  const end = rest.indexOf(':');
  if (end < 0) return undefined;
  const [hostKind, hostName] = splitOnce(rest.slice(0, end), '=');
  if (!HOST_KIND.test(hostKind) || hostName === '') return undefined;
  return parseGuestPart(rest.slice(end + 1), hostKind, hostName);
}

/** `<guest kind>:<id>:<ifname>`. Interface names hold no ':', so the last one ends the id. */
function parseGuestPart(rest: string, hostKind: string, hostName?: string): Mark | undefined {
  const kindEnd = rest.indexOf(':');
  const idEnd = rest.lastIndexOf(':');
  if (kindEnd < 0 || idEnd <= kindEnd + 1 || idEnd === rest.length - 1) return undefined;
  const kind = rest.slice(0, kindEnd);
  if (!isGuestKind(kind)) return undefined;
  const m: Mark = { hostKind, kind, id: rest.slice(kindEnd + 1, idEnd), ifname: rest.slice(idEnd + 1) };
  if (hostName !== undefined) m.hostName = hostName;
  return m;
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

/** Same guest and guest-side name: the same attachment, whatever kind made it. */
export function sameMark(a: Mark | undefined, b: Mark | undefined): boolean {
  return !!a && !!b && a.kind === b.kind && a.id === b.id && a.ifname === b.ifname;
}

/** The alias of a shared host resource we created: 'pipework:2:bridge:shared'. */
export function sharedMark(hostKind: string): string {
  return `${V2}${hostKind}:shared`;
}

/** How a mark's guest reads in messages: 'container 3f2a9c1b0d4e' (a short id), 'netns red'. */
export function describeMark(m: Mark): string {
  return guestLabel(m.kind, GUEST_KINDS[m.kind].shortId(m.id));
}
