// dummy: the host-interface word `dummy` (any missing name starting with
// "dummy", as the original's `dummy*)` case) gives the guest a dummy
// interface: an address with nothing behind it, no host side. The original
// makes it on the host as du<pid><cif>, moves and renames it (`ip link add dev
// du... type dummy`); we create it inside the guest with its final name in
// one RTM_NEWLINK (IFLA_NET_NS_FD). It dies with its guest: gc has nothing to
// collect. An existing host interface named dummy0 is a NIC, as in the
// original (macvlan, or --direct-phys).
import { PipeworkError } from '../../errors';
import { NetlinkError } from '../../netlink';
import { formatMac, parseMac } from '../../packet';
import { newLink, type Link } from '../../rtnl';
import { netnsArgument, type AttachContext } from '../context';
import { change } from '../plan';
import { deleteGuestLink } from './delete';
import type { Attachment, Existing, HostIfFound, HostIfKind, KindPlan, Teardown } from './kind';

/** drivers/net/dummy.c: ether_setup() gives it ETH_DATA_LEN; the original sets none either. */
const DUMMY_MTU = 1500;
const PHRASE = 'dummy interface (no host side)';

export const dummy: HostIfKind = {
  name: 'dummy',

  claims: ({ name, link }) => !link && name.startsWith('dummy'),

  async plan(ctx: AttachContext, _found: HostIfFound): Promise<KindPlan> {
    const { req, host, guestNs, dev, who } = ctx;
    if (req.hostLinkName !== undefined) {
      throw new PipeworkError('USAGE', `-l ${req.hostLinkName}: a dummy interface has no host-side end to name`);
    }
    ctx.result.link = PHRASE;
    let created = false;
    const make = change(
      `create dummy interface ${dev} in ${who}`,
      `${host.ip}link add ${dev}${req.mac ? ` address ${req.mac}` : ''} netns ${netnsArgument(ctx.guest)} type dummy`,
      async () => {
        try {
          await host.sock.request(newLink({ name: dev, mac: req.mac ? parseMac(req.mac) : undefined, nsFd: ctx.guest.nsFd, kind: 'dummy' }));
        } catch (e) {
          // rtnl_newlink() answers EOPNOTSUPP, "Unknown device type", for a kind no loaded driver registered.
          if (e instanceof NetlinkError && (e.code === 'EOPNOTSUPP' || e.code === 'ENOTSUP')) {
            throw new PipeworkError('KERNEL', `this kernel has no dummy interfaces (the dummy driver is not loaded: modprobe dummy)`, { cause: e, errno: e.code });
          }
          throw e;
        }
        created = true;
        const made = await guestNs.linkByName(dev);
        if (!made) throw new PipeworkError('INTERNAL', `${dev} did not appear in ${who}`);
        Object.assign(ctx.link, { index: made.index, mac: made.mac ?? Buffer.alloc(0), mtu: made.mtu });
        ctx.result.mac = formatMac(ctx.link.mac);
        ctx.result.mtu = made.mtu;
      },
      async () => {
        // Born in the guest with NLM_F_EXCL: whatever has the name there is ours.
        if (created) await guestNs.deleteLink(ctx.link.index ? { index: ctx.link.index } : { name: dev });
      },
    );
    return { steps: [make], mtu: DUMMY_MTU };
  },

  async existing(_ctx: AttachContext, _found: HostIfFound, link: Link): Promise<Existing> {
    const differences = link.kind === 'dummy' ? [] : [`it is a ${link.kind ?? 'plain'} link, not a dummy interface`];
    return { differences, link: PHRASE, mtu: link.mtu };
  },

  async teardown(a: Attachment): Promise<Teardown> {
    return { steps: [deleteGuestLink(a)] };
  },
};
