// The host side of a guest's veth, shared by the kinds that hang one on a
// switch (a Linux bridge, an Open vSwitch bridge): the name check, the one
// RTM_NEWLINK that makes the whole pair, and finding the host end again.
//
// One RTM_NEWLINK makes the whole pair: the host end with its name, MTU,
// master (when the switch is a kernel bridge) and IFF_UP; the peer born
// inside the guest with its final name, MTU and MAC (pipework makes it on
// the host as v<cif>pg<pid>, then moves and renames it).
import { PipeworkError } from '../../errors';
import { formatMac, parseMac } from '../../packet';
import { newVeth, setLink, type Link } from '../../rtnl';
import type { AttachContext } from '../context';
import { describeMark, parseMark } from '../mark';
import type { Namespace } from '../namespace';
import { change, type Step } from '../plan';

/** Refuses a host-side name already in use. Never deleted, up or down: the original pipework deletes a down one, which may be someone else's. */
export async function refuseTakenHostName(host: Namespace, hostName: string): Promise<void> {
  const taken = await host.linkByName(hostName);
  if (!taken) return;
  const theirs = parseMark(taken.alias);
  const whose = theirs ? ` (pipework's, for ${theirs.ifname} in ${describeMark(theirs)})` : '';
  throw new PipeworkError('LINK_EXISTS', `host interface ${hostName} already exists${whose}`);
}

export interface VethState {
  /** The host end's ifindex once made: what we address from then on, never whatever has the name. */
  hostIndex: number;
  created: boolean;
}

export interface VethSpec {
  hostName: string;
  mtu: number;
  /** The bridge's ifindex when the run starts (a kernel bridge); undefined: no master. */
  master(): number | undefined;
  title: string;
  command: string;
}

/** The step that makes the pair, marks the host end, fills ctx.link; its undo deletes it. */
export function vethStep(ctx: AttachContext, v: VethSpec): { step: Step; state: VethState } {
  const { req, host, guestNs, dev, who } = ctx;
  const state: VethState = { hostIndex: 0, created: false };
  const step = change(
    v.title,
    v.command,
    async () => {
      // The peer is born down: asked to come up inside another namespace the
      // kernel answers ENOTCONN (6.18), so it is brought up from inside the
      // guest, after its address.
      await host.sock.request(
        newVeth(
          { name: v.hostName, mtu: v.mtu, master: v.master(), up: true },
          { name: dev, mtu: v.mtu, mac: req.mac ? parseMac(req.mac) : undefined, nsFd: ctx.guest.nsFd },
        ),
      );
      state.created = true;
      const peer = await guestNs.linkByName(dev);
      if (!peer) throw new PipeworkError('INTERNAL', `${dev} did not appear in ${who}`);
      // The guest end's IFLA_LINK is the host end's ifindex: what we address from now on, never whatever has the name.
      state.hostIndex = peer.link ?? 0;
      Object.assign(ctx.link, { index: peer.index, mac: peer.mac ?? Buffer.alloc(0), mtu: v.mtu });
      ctx.result.mac = formatMac(ctx.link.mac);
      // The kernel ignores IFLA_IFALIAS in a new link: mark the host end now, the guest end when it comes up.
      await host.sock.request(setLink(state.hostIndex ? { index: state.hostIndex, alias: ctx.alias } : { name: v.hostName, alias: ctx.alias }));
    },
    // Deleting one end of a veth deletes both, and the guest end takes its addresses and routes along.
    async () => {
      if (state.created) await host.deleteLink(state.hostIndex ? { index: state.hostIndex } : { name: v.hostName });
    },
  );
  return { step, state };
}

/**
 * The host end of a guest's veth: IFLA_LINK is the peer's ifindex in the
 * peer's namespace, so the host link of that index is it only if it is a
 * veth pointing back at the guest end, whose peer lives in the guest's very
 * namespace (by nsid: an index alone can match a stranger's veth).
 */
export async function hostPeer(host: Namespace, guestFd: number, link: Link): Promise<Link | undefined> {
  if (link.kind !== 'veth' || !link.link) return undefined;
  const peer = await host.linkByIndex(link.link);
  if (!peer || peer.kind !== 'veth' || peer.link !== link.index || peer.linkNetnsid === undefined) return undefined;
  return peer.linkNetnsid === (await host.nsidOf(guestFd)) ? peer : undefined;
}
