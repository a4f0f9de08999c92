// The host link a guest's link hangs on (a macvlan's, an ipvlan's, an IPoIB
// child's parent), and what makes a host link unfit to be one: shared by the
// kinds that make a child of a NIC.
import * as fs from 'node:fs';
import { ARPHRD_ETHER, ARPHRD_LOOPBACK, IFF_LOOPBACK, type Link } from '../../rtnl';
import type { Namespace } from '../namespace';

/**
 * The host link a guest's child link hangs on, or undefined when its parent
 * is in another namespace. IFLA_LINK is the parent's ifindex in the namespace
 * IFLA_LINK_NETNSID names, as the guest numbers namespaces: an index alone
 * would match any namespace's link of that number.
 */
export async function parentOf(host: Namespace, guestNs: Namespace, link: Link): Promise<Link | undefined> {
  if (link.link === undefined || link.linkNetnsid === undefined) return undefined;
  const fd = host.nsFd ?? fs.openSync('/proc/self/ns/net', 'r');
  try {
    if ((await guestNs.nsidOf(fd)) !== link.linkNetnsid) return undefined;
  } finally {
    if (host.nsFd === undefined) fs.closeSync(fd);
  }
  return host.linkByIndex(link.link);
}

/** Why an Ethernet child (a macvlan, an ipvlan: `what`) cannot hang on this host link, in the user's terms, or undefined. */
export function unfitEthernetParent(name: string, l: Link, what: string): string | undefined {
  if (l.type === ARPHRD_LOOPBACK || (l.flags & IFF_LOOPBACK) !== 0) return `host interface ${name} is a loopback device: ${what} needs an Ethernet parent`;
  if (l.type !== ARPHRD_ETHER) return `host interface ${name} is not an Ethernet device (link type ${l.type}): ${what} needs one`;
  // The host end of some guest's veth: its traffic belongs to that guest.
  if (l.kind === 'veth' && l.linkNetnsid !== undefined) {
    return `host interface ${name} is one end of a veth whose other end is in another namespace (a guest's link): not a parent for ${what}`;
  }
  return undefined;
}
