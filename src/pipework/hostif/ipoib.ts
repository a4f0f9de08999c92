// An InfiniBand device on the host (link type ARPHRD_INFINIBAND, 32, which
// the original tells by /sys/class/net/IF/type): the guest gets an IPoIB
// child of it, the IPoIB counterpart of a macvlan (InfiniBand is not
// Ethernet: no macvlan or bridge can hang on it). As the original:
//   - the `@` text is a partition key in hex (`@8001`: pkey 0x8001, `ip link
//     add link ib0 name ib0.8001.NSPID type ipoib pkey 0x8001`); without one
//     the child shares its parent's;
//   - the guest-side name is ib0 unless -i says otherwise ("the IPoIB kernel
//     module is fussy");
//   - a MAC is refused: an IPoIB hardware address is the port's queue pair
//     number and GID, not something to choose;
//   - the child is made on the host as IF.NSPID or IF.PKEY.NSPID, then moved
//     into the guest, and the parent is brought up.
// The move and the rename are one RTM_NEWLINK here (IFLA_NET_NS_FD with the
// final IFLA_IFNAME), where the original runs `ip link set ... netns` and then
// renames inside the guest. No host side remains: the child dies with its
// guest; gc has nothing to do for it.
import { PipeworkError } from '../../errors';
import { formatMac } from '../../packet';
import { parsePkey, tagText } from '../../request';
import { ARPHRD_INFINIBAND, decodeIpoibPkey, ipoibData, newLink, setLink, type Link } from '../../rtnl';
import { netnsArgument, type AttachContext } from '../context';
import type { Namespace } from '../namespace';
import { change, check, type Step } from '../plan';
import { deleteGuestLink } from './delete';
import type { Attachment, Existing, HostIfFound, HostIfKind, KindPlan, Teardown } from './kind';
import { kernelLacks } from './lacking';
import { parentOf } from './parent';

/** The kernel sets the full-membership bit on a child's pkey (ipoib_netlink.c): 8001 and 0001 are one partition. */
const FULL_MEMBER = 0x8000;

const phrase = (parent: string, tag: string | undefined): string => `IPoIB child of ${parent}${tag === undefined ? '' : `, pkey 0x${tag}`}`;

/** The original's name for the child on the host, IF.PKEY.NSPID or IF.NSPID, when it fits in 15 bytes; else a short one of ours. */
function hostName(parent: string, tag: string | undefined, nspid: number): string {
  const theirs = tag === undefined ? `${parent}.${nspid}` : `${parent}.${tag}.${nspid}`;
  return Buffer.byteLength(theirs) <= 15 ? theirs : `pwib${nspid}`.slice(0, 15);
}

export const ipoib: HostIfKind = {
  name: 'ipoib',
  pkeys: true,
  defaultGuestIf: 'ib0',

  claims: ({ link }) => link?.type === ARPHRD_INFINIBAND,

  async plan(ctx: AttachContext, found: HostIfFound): Promise<KindPlan> {
    const { req, host, guestNs, dev, who } = ctx;
    const parent = found.link!;
    if (req.mac !== undefined) {
      throw new PipeworkError('USAGE', `MAC ${req.mac}: setting the MAC address of an IPoIB interface is not supported (its hardware address is its InfiniBand queue pair and GID), as in the original`);
    }
    if (req.hostLinkName !== undefined) {
      throw new PipeworkError('USAGE', `-l ${req.hostLinkName}: an IPoIB child of ${req.hostIf} has no host-side end to name`);
    }
    const tag = tagText(req);
    const pkey = tag === undefined ? undefined : parsePkey(tag);
    const temp = hostName(parent.name, tag, ctx.guest.pid ?? process.pid);
    const taken = await host.linkByName(temp);
    if (taken) throw new PipeworkError('LINK_EXISTS', `host interface ${temp} already exists (the name an IPoIB child of ${req.hostIf} takes before it moves into ${who})`);
    ctx.result.link = phrase(req.hostIf, tag);
    const steps: Step[] = [];

    // Where the child is now: on the host until the move, then in the guest.
    let child: { ns: Namespace; index: number } | undefined;
    steps.push(
      change(
        `create IPoIB child ${temp} of ${req.hostIf}${pkey === undefined ? '' : ` (pkey 0x${tag})`}`,
        `${host.ip}link add link ${req.hostIf} name ${temp} type ipoib${pkey === undefined ? '' : ` pkey 0x${tag}`}`,
        async () => {
          try {
            await host.sock.request(newLink({ name: temp, link: parent.index, kind: 'ipoib', infoData: ipoibData(pkey) }));
          } catch (e) {
            throw kernelLacks(e, 'make IPoIB interfaces', 'the ib_ipoib module (CONFIG_INFINIBAND_IPOIB)');
          }
          const made = await host.linkByName(temp);
          if (!made) throw new PipeworkError('INTERNAL', `${temp} did not appear on the host`);
          child = { ns: host, index: made.index };
        },
        async () => {
          if (child) await child.ns.deleteLink({ index: child.index });
        },
      ),
    );
    // The original brings the parent up after making the child; undone only if it was down and we brought it up.
    if (!parent.up) {
      let raised = false;
      steps.push(
        change(
          `bring ${req.hostIf} up`,
          `${host.ip}link set ${req.hostIf} up`,
          async () => {
            await host.sock.request(setLink({ index: parent.index, up: true }));
            raised = true;
            ctx.result.notes.push(`brought ${req.hostIf} up`);
          },
          async () => {
            if (raised) await host.sock.request(setLink({ index: parent.index, up: false }));
          },
        ),
      );
    }
    steps.push(
      change(
        `move ${temp} into ${who} as ${dev}`,
        `${host.ip}link set dev ${temp} netns ${netnsArgument(ctx.guest)} name ${dev}`,
        async () => {
          await host.sock.request(setLink({ index: child!.index, nsFd: ctx.guest.nsFd, name: dev }));
          const moved = await guestNs.linkByName(dev);
          if (!moved) throw new PipeworkError('INTERNAL', `${dev} did not appear in ${who}`);
          child = { ns: guestNs, index: moved.index };
          Object.assign(ctx.link, { index: moved.index, mac: moved.mac ?? Buffer.alloc(0), mtu: moved.mtu });
          ctx.result.mac = formatMac(ctx.link.mac);
          ctx.result.mtu = moved.mtu;
        },
        // The create step's undo deletes the child where it is by then.
      ),
    );
    const confirm = check(`confirm ${req.hostIf} is still there`, async () => {
      if (!(await host.linkByIndex(parent.index))) throw new PipeworkError('HOSTIF_NOT_FOUND', `host interface ${req.hostIf} went away during the attach`);
    });
    // The announcement is an Ethernet frame (ARP over Ethernet, an NA in an
    // Ethernet header): an IPoIB link has no such framing, and its neighbours
    // learn it through the InfiniBand subnet's multicast groups.
    if (req.address) ctx.result.notes.push(`no announcement: ${dev} is an IPoIB link, not Ethernet`);
    return { steps, confirm: [confirm], mtu: parent.mtu, announce: false };
  },

  async existing(ctx: AttachContext, found: HostIfFound, link: Link): Promise<Existing> {
    const { req, host, guestNs } = ctx;
    const parent = found.link!;
    const tag = tagText(req);
    const differences: string[] = [];
    if (link.kind !== 'ipoib') differences.push(`it is a ${link.kind ?? 'plain'} link, not an IPoIB child`);
    else {
      const on = await parentOf(host, guestNs, link);
      if (on === undefined) differences.push(`on a parent in another namespace, not ${req.hostIf}`);
      else if (on.index !== parent.index) differences.push(`a child of ${on.name}, not of ${req.hostIf}`);
      const have = decodeIpoibPkey(link.infoData);
      if (tag !== undefined && ((have ?? 0) | FULL_MEMBER) !== (parsePkey(tag) | FULL_MEMBER)) {
        differences.push(`pkey 0x${(have ?? 0).toString(16)}, not 0x${tag}`);
      }
    }
    // The MTU is the child's own (the IPoIB mode decides it), not compared.
    return { differences, link: phrase(req.hostIf, tag), mtu: link.mtu };
  },

  async teardown(a: Attachment): Promise<Teardown> {
    return { steps: [deleteGuestLink(a)] };
  },
};
