// A physical NIC on the host (pipework's choice for any other existing
// device): the guest gets a macvlan on it, mode bridge unless --macvlan-mode
// says otherwise, with the parent's MTU, as pipework does (`ip link add link
// NIC dev GUEST_IFNAME mtu MTU type macvlan mode bridge`). It is created
// straight inside the guest, with its final name, in one RTM_NEWLINK (IFLA_LINK
// names the parent in our namespace, IFLA_NET_NS_FD the guest's); pipework
// creates it on the host and moves it.
//
// A macvlan has no host side: it dies with its guest, and with its parent, so
// gc has nothing to collect for it.
import * as fs from 'node:fs';
import { PipeworkError } from '../../errors';
import { formatMac, parseMac } from '../../packet';
import { ARPHRD_ETHER, ARPHRD_LOOPBACK, IFF_LOOPBACK, decodeMacvlanMode, macvlanData, newLink, type Link } from '../../rtnl';
import { netnsArgument, type AttachContext } from '../context';
import type { Namespace } from '../namespace';
import { change, check } from '../plan';
import { deleteGuestLink } from './delete';
import type { Attachment, Existing, HostIfFound, HostIfKind, KindPlan, Teardown } from './kind';

const phrase = (parent: string, mode: string): string => `macvlan on ${parent}, mode ${mode}`;

/** Why a link cannot carry macvlans, in the user's terms, or undefined. */
function unfit(name: string, l: Link): string | undefined {
  if (l.type === ARPHRD_LOOPBACK || (l.flags & IFF_LOOPBACK) !== 0) return `host interface ${name} is a loopback device: a macvlan needs an Ethernet parent`;
  if (l.type !== ARPHRD_ETHER) return `host interface ${name} is not an Ethernet device (link type ${l.type}): a macvlan needs one`;
  // The host end of some guest's veth: its traffic belongs to that guest.
  if (l.kind === 'veth' && l.linkNetnsid !== undefined) {
    return `host interface ${name} is one end of a veth whose other end is in another namespace (a guest's link): not a parent for a macvlan`;
  }
  return undefined;
}

export const macvlan: HostIfKind = {
  name: 'macvlan',

  // Last in the registry: any existing device the kinds before it did not claim is a NIC.
  claims: ({ link }) => link !== undefined,

  async plan(ctx: AttachContext, found: HostIfFound): Promise<KindPlan> {
    const { req, host, guestNs, dev, who } = ctx;
    const parent = found.link!;
    const why = unfit(req.hostIf, parent);
    if (why) throw new PipeworkError('HOSTIF_UNSUPPORTED', why);
    if (req.hostLinkName !== undefined) {
      throw new PipeworkError('USAGE', `-l ${req.hostLinkName}: a macvlan on ${req.hostIf} has no host-side end to name`);
    }
    const mode = req.macvlanMode ?? 'bridge';
    const parentMac = parent.mac ? formatMac(parent.mac) : undefined;
    // drivers/net/macvlan.c: a passthru macvlan inherits its parent's address
    // whatever IFLA_ADDRESS said, and changing it later changes the parent's.
    if (mode === 'passthru' && req.mac && req.mac !== parentMac) {
      throw new PipeworkError('USAGE', `MAC ${req.mac}: a passthru macvlan has its parent's address (${req.hostIf}'s ${parentMac ?? 'none'}), it cannot be given another`);
    }
    // Otherwise the kernel refuses to bring up a macvlan with its parent's address (EADDRINUSE, macvlan_addr_busy()).
    if (mode !== 'passthru' && req.mac && req.mac === parentMac) {
      throw new PipeworkError('MAC_CONFLICT', `MAC ${req.mac} is host interface ${req.hostIf}'s own address`);
    }
    const mtu = parent.mtu;
    ctx.result.link = phrase(req.hostIf, mode);
    let created = false;
    const make = change(
      `create macvlan ${dev} on ${req.hostIf} (mode ${mode}) in ${who}`,
      `${host.ip}link add link ${req.hostIf} name ${dev} mtu ${mtu}${req.mac ? ` address ${req.mac}` : ''} netns ${netnsArgument(ctx.guest)} type macvlan mode ${mode}`,
      async () => {
        await host.sock.request(
          newLink({
            name: dev,
            mtu,
            mac: req.mac ? parseMac(req.mac) : undefined,
            link: parent.index,
            nsFd: ctx.guest.nsFd,
            kind: 'macvlan',
            infoData: macvlanData(mode),
          }),
        );
        created = true;
        const made = await guestNs.linkByName(dev);
        if (!made) throw new PipeworkError('INTERNAL', `${dev} did not appear in ${who}`);
        Object.assign(ctx.link, { index: made.index, mac: made.mac ?? Buffer.alloc(0), mtu });
        ctx.result.mac = formatMac(ctx.link.mac);
      },
      async () => {
        // Born in the guest with NLM_F_EXCL: whatever has the name there is ours.
        if (created) await guestNs.deleteLink(ctx.link.index ? { index: ctx.link.index } : { name: dev });
      },
    );
    // The kernel removes a macvlan with its parent: say so rather than announce on a link that is gone.
    const confirm = check(`confirm ${req.hostIf} is still there`, async () => {
      if (!(await host.linkByIndex(parent.index))) throw new PipeworkError('HOSTIF_NOT_FOUND', `host interface ${req.hostIf} went away during the attach`);
    });
    return { steps: [make], confirm: [confirm], mtu };
  },

  async existing(ctx: AttachContext, found: HostIfFound, link: Link): Promise<Existing> {
    const { req, host, guestNs } = ctx;
    const parent = found.link!;
    const mode = req.macvlanMode ?? 'bridge';
    const differences: string[] = [];
    if (link.kind !== 'macvlan') differences.push(`it is a ${link.kind ?? 'plain'} link, not a macvlan`);
    else {
      const on = await parentOf(host, guestNs, link);
      if (on === undefined) differences.push(`on a parent in another namespace, not ${req.hostIf}`);
      else if (on.index !== parent.index) differences.push(`on ${on.name}, not ${req.hostIf}`);
    }
    const have = decodeMacvlanMode(link.infoData);
    if (link.kind === 'macvlan' && have !== mode) differences.push(`mode ${have ?? 'unknown'}, not ${mode}`);
    return { differences, link: phrase(req.hostIf, have ?? mode), mtu: parent.mtu };
  },

  async teardown(a: Attachment): Promise<Teardown> {
    return { steps: [deleteGuestLink(a)] };
  },
};

/**
 * The host link a guest's macvlan hangs on, or undefined when its parent is
 * in another namespace. IFLA_LINK is the parent's ifindex in the namespace
 * IFLA_LINK_NETNSID names, as the guest numbers namespaces: an index alone
 * would match any namespace's link of that number.
 */
async function parentOf(host: Namespace, guestNs: Namespace, link: Link): Promise<{ index: number; name: string } | undefined> {
  if (link.link === undefined || link.linkNetnsid === undefined) return undefined;
  const fd = host.nsFd ?? fs.openSync('/proc/self/ns/net', 'r');
  try {
    if ((await guestNs.nsidOf(fd)) !== link.linkNetnsid) return undefined;
  } finally {
    if (host.nsFd === undefined) fs.closeSync(fd);
  }
  const p = await host.linkByIndex(link.link);
  return p ? { index: p.index, name: p.name } : undefined;
}
