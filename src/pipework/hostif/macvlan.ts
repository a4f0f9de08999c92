// A physical NIC on the host (pipework's choice for any other existing
// device): the guest gets a macvlan on it, mode bridge unless --macvlan-mode
// says otherwise, with the parent's MTU, as pipework does (`ip link add link
// NIC dev GUEST_IFNAME mtu MTU type macvlan mode bridge`). It is created
// straight inside the guest, with its final name, in one RTM_NEWLINK (IFLA_LINK
// names the parent in our namespace, IFLA_NET_NS_FD the guest's); pipework
// creates it on the host and moves it.
//
// With @VID it hangs on the VLAN device NIC.VID instead (vlan-device.ts).
//
// A macvlan has no host side: it dies with its guest, and with its parent, so
// gc has nothing to collect for it.
import { PipeworkError } from '../../errors';
import { formatMac, parseMac } from '../../packet';
import { decodeMacvlanMode, macvlanData, newLink, type Link } from '../../rtnl';
import { netnsArgument, type AttachContext } from '../context';
import { change, check } from '../plan';
import { deleteGuestLink } from './delete';
import type { Attachment, Existing, HostIfFound, HostIfKind, KindPlan, Teardown } from './kind';
import { unfitEthernetParent } from './parent';
import { existingOnLower, planLower, releaseLower } from './vlan-device';

const phrase = (parent: string, mode: string): string => `macvlan on ${parent}, mode ${mode}`;

export const macvlan: HostIfKind = {
  name: 'macvlan',
  // @VID: the macvlan hangs on the VLAN device NIC.VID (vlan-device.ts).
  vlans: true,

  // Last in the registry: any existing device the kinds before it did not claim is a NIC.
  claims: ({ link }) => link !== undefined,

  async plan(ctx: AttachContext, found: HostIfFound): Promise<KindPlan> {
    const { req, host, guestNs, dev, who } = ctx;
    const parent = found.link!;
    const why = unfitEthernetParent(req.hostIf, parent, 'a macvlan');
    if (why) throw new PipeworkError('HOSTIF_UNSUPPORTED', why);
    if (req.hostLinkName !== undefined) {
      throw new PipeworkError('USAGE', `-l ${req.hostLinkName}: a macvlan on ${req.hostIf} has no host-side end to name`);
    }
    const mode = req.macvlanMode ?? 'bridge';
    const { lower, steps: lowerSteps } = await planLower(ctx, parent);
    const parentMac = lower.mac ? formatMac(lower.mac) : undefined;
    // drivers/net/macvlan.c: a passthru macvlan inherits its parent's address
    // whatever IFLA_ADDRESS said, and changing it later changes the parent's.
    if (mode === 'passthru' && req.mac && req.mac !== parentMac) {
      throw new PipeworkError('USAGE', `MAC ${req.mac}: a passthru macvlan has its parent's address (${lower.name}'s ${parentMac ?? 'none'}), it cannot be given another`);
    }
    // Otherwise the kernel refuses to bring up a macvlan with its parent's address (EADDRINUSE, macvlan_addr_busy()).
    if (mode !== 'passthru' && req.mac && req.mac === parentMac) {
      throw new PipeworkError('MAC_CONFLICT', `MAC ${req.mac} is host interface ${lower.name}'s own address`);
    }
    const mtu = lower.mtu;
    ctx.result.link = phrase(lower.phrase, mode);
    let created = false;
    const make = change(
      `create macvlan ${dev} on ${lower.name} (mode ${mode}) in ${who}`,
      `${host.ip}link add link ${lower.name} name ${dev} mtu ${mtu}${req.mac ? ` address ${req.mac}` : ''} netns ${netnsArgument(ctx.guest)} type macvlan mode ${mode}`,
      async () => {
        await host.sock.request(
          newLink({
            name: dev,
            mtu,
            mac: req.mac ? parseMac(req.mac) : undefined,
            link: lower.index,
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
    const confirm = check(`confirm ${lower.name} is still there`, async () => {
      if (!(await host.linkByIndex(lower.index))) throw new PipeworkError('HOSTIF_NOT_FOUND', `host interface ${lower.name} went away during the attach`);
    });
    return { steps: [...lowerSteps, make], confirm: [confirm], mtu };
  },

  existing: (ctx: AttachContext, found: HostIfFound, link: Link): Promise<Existing> =>
    existingOnLower(ctx, found.link!, link, { kind: 'macvlan', article: 'a macvlan', mode: ctx.req.macvlanMode ?? 'bridge', have: decodeMacvlanMode(link.infoData), phrase }),

  async teardown(a: Attachment): Promise<Teardown> {
    // The VLAN device it hung on is looked at before the macvlan goes, released after.
    const release = await releaseLower(a);
    return { steps: [deleteGuestLink(a), ...release] };
  },
};

