// A physical NIC with --ipvlan M: the guest gets an ipvlan on it instead of a
// macvlan (the original makes macvlans only). Like the macvlan it is born
// inside the guest with its final name and the parent's MTU, in one
// RTM_NEWLINK, and with @VID it hangs on the VLAN device NIC.VID (vlan-device.ts).
//
// What differs (drivers/net/ipvlan, Documentation/networking/ipvlan.rst):
// every ipvlan has its parent's MAC address, and it cannot be changed (no
// ndo_set_mac_address), so another MAC is refused; in modes l3 and l3s the
// device does no ARP (IFF_NOARP) and the parent routes on IP addresses, so
// there is no announcement to send (the neighbours learn nothing from one).
// No host side: it dies with its guest and its parent; gc has nothing to do.
import { PipeworkError } from '../../errors';
import { formatMac } from '../../packet';
import { decodeIpvlanMode, ipvlanData, newLink, type Link } from '../../rtnl';
import { netnsArgument, type AttachContext } from '../context';
import { change, check } from '../plan';
import { deleteGuestLink } from './delete';
import type { Attachment, Existing, HostIfFound, HostIfKind, KindPlan, Teardown } from './kind';
import { kernelLacks } from './lacking';
import { unfitEthernetParent } from './parent';
import { existingOnLower, planLower, releaseLower } from './vlan-device';

const phrase = (parent: string, mode: string): string => `ipvlan on ${parent}, mode ${mode}`;

export const ipvlan: HostIfKind = {
  name: 'ipvlan',
  vlans: true,

  // Asked for by --ipvlan; in the registry just before macvlan, which takes any other existing device.
  claims: ({ link }, req) => link !== undefined && req.ipvlanMode !== undefined,

  async plan(ctx: AttachContext, found: HostIfFound): Promise<KindPlan> {
    const { req, host, guestNs, dev, who } = ctx;
    const nic = found.link!;
    const mode = req.ipvlanMode!;
    const why = unfitEthernetParent(req.hostIf, nic, 'an ipvlan');
    if (why) throw new PipeworkError('HOSTIF_UNSUPPORTED', why);
    if (req.hostLinkName !== undefined) {
      throw new PipeworkError('USAGE', `-l ${req.hostLinkName}: an ipvlan on ${req.hostIf} has no host-side end to name`);
    }
    const { lower, steps: lowerSteps } = await planLower(ctx, nic);
    const parentMac = lower.mac ? formatMac(lower.mac) : undefined;
    if (req.mac && req.mac !== parentMac) {
      throw new PipeworkError('USAGE', `MAC ${req.mac}: an ipvlan has its parent's address (${lower.name}'s ${parentMac ?? 'none'}), it cannot be given another`);
    }
    const mtu = lower.mtu;
    ctx.result.link = phrase(lower.phrase, mode);
    let created = false;
    const make = change(
      `create ipvlan ${dev} on ${lower.name} (mode ${mode}) in ${who}`,
      `${host.ip}link add link ${lower.name} name ${dev} mtu ${mtu} netns ${netnsArgument(ctx.guest)} type ipvlan mode ${mode}`,
      async () => {
        try {
          await host.sock.request(newLink({ name: dev, mtu, link: lower.index, nsFd: ctx.guest.nsFd, kind: 'ipvlan', infoData: ipvlanData(mode) }));
        } catch (e) {
          throw kernelLacks(e, 'make ipvlan devices', 'the ipvlan module (CONFIG_IPVLAN)');
        }
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
    const confirm = check(`confirm ${lower.name} is still there`, async () => {
      if (!(await host.linkByIndex(lower.index))) throw new PipeworkError('HOSTIF_NOT_FOUND', `host interface ${lower.name} went away during the attach`);
    });
    const announce = mode === 'l2';
    if (!announce && req.address) ctx.result.notes.push(`no announcement: an ipvlan in mode ${mode} does no ARP or neighbour discovery of its own`);
    return { steps: [...lowerSteps, make], confirm: [confirm], mtu, announce };
  },

  existing: (ctx: AttachContext, found: HostIfFound, link: Link): Promise<Existing> =>
    existingOnLower(ctx, found.link!, link, { kind: 'ipvlan', article: 'an ipvlan', mode: ctx.req.ipvlanMode!, have: decodeIpvlanMode(link.infoData), phrase }),

  async teardown(a: Attachment): Promise<Teardown> {
    const release = await releaseLower(a);
    return { steps: [deleteGuestLink(a), ...release] };
  },
};
