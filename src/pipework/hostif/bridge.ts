// A Linux bridge on the host: the guest gets one end of a veth pair, the
// other end becomes a port of the bridge. pipework's choice for an existing
// bridge, and for a missing name starting with "br", which it creates (up).
//
// One RTM_NEWLINK makes the whole pair: the host end with its name, MTU,
// master and IFF_UP; the peer born inside the guest with its final name, MTU
// and MAC (pipework makes it on the host as v<cif>pg<pid>, then moves and
// renames it). The MTU is the bridge's, as pipework copies it.
//
// With @VID the host end becomes an untagged port of that VLAN (bridge-vlan.ts).
import { PipeworkError } from '../../errors';
import { formatMac, parseMac } from '../../packet';
import { newLink, newVeth, setLink, type Link } from '../../rtnl';
import { netnsArgument, type AttachContext } from '../context';
import { describeMark, parseMark, sameMark } from '../mark';
import { defaultHostLinkName } from '../names';
import type { Namespace } from '../namespace';
import { change, check } from '../plan';
import { createShared, type SharedLink } from '../shared';
import { portVlanDifferences, portVlanSteps } from './bridge-vlan';
import { deleteGuestLink } from './delete';
import type { Attachment, Existing, HostIfFound, HostIfKind, KindPlan, Teardown } from './kind';

const DEFAULT_MTU = 1500;

function sharedBridge(host: Namespace, name: string): SharedLink {
  return {
    kind: 'bridge',
    name,
    label: `bridge ${name}`,
    command: `${host.ip}link add ${name} up type bridge`,
    create: () => newLink({ name, kind: 'bridge', up: true }),
    unusable: (l) => (l.kind === 'bridge' ? undefined : `not as a bridge`),
    inUse: async (ns, index) => (await ns.ports(index)).length > 0,
  };
}

const linkPhrase = (hostSide: string, bridge: string, created: boolean, vlan?: number): string =>
  `host side ${hostSide} on bridge ${bridge}${created ? ' (created)' : ''}${vlan === undefined ? '' : `, untagged in VLAN ${vlan}`}`;

export const bridge: HostIfKind = {
  name: 'bridge',
  vlans: true,

  claims: ({ name, link }) => (link ? link.kind === 'bridge' : name.startsWith('br')),

  async plan(ctx: AttachContext, found: HostIfFound): Promise<KindPlan> {
    const { req, host, guestNs, dev, who } = ctx;
    const br = found.link;
    const hostName = req.hostLinkName ?? defaultHostLinkName(dev, ctx.guest);
    const taken = await host.linkByName(hostName);
    if (taken) {
      // Never deleted, up or down: the original pipework deletes a down one, which may be someone else's.
      const theirs = parseMark(taken.alias);
      const whose = theirs ? ` (pipework's, for ${theirs.ifname} in ${describeMark(theirs)})` : '';
      throw new PipeworkError('LINK_EXISTS', `host interface ${hostName} already exists${whose}`);
    }
    // The bridge would take frames for that MAC as its own: the guest would be unreachable.
    if (req.mac && br?.mac && formatMac(br.mac) === req.mac) {
      throw new PipeworkError('MAC_CONFLICT', `MAC ${req.mac} is bridge ${req.hostIf}'s own address`);
    }
    const mtu = br?.mtu ?? DEFAULT_MTU;
    let bridgeIndex = br?.index ?? 0;
    let hostIndex = 0;
    let vethCreated = false;
    ctx.result.hostSide = hostName;
    ctx.result.link = linkPhrase(hostName, req.hostIf, !br, req.vlan);
    if (!br) ctx.result.created = [`bridge ${req.hostIf}`];

    const steps = [];
    if (!br) {
      steps.push(
        createShared(host, sharedBridge(host, req.hostIf), (s) => {
          bridgeIndex = s.index;
          // Another attach made it first: we only use it.
          ctx.result.created = s.created ? [`bridge ${req.hostIf}`] : [];
          ctx.result.link = linkPhrase(hostName, req.hostIf, s.created, req.vlan);
        }),
      );
    }
    steps.push(
      change(
        `create veth ${hostName} on bridge ${req.hostIf} with peer ${dev} in ${who}`,
        `${host.ip}link add ${hostName} mtu ${mtu} master ${req.hostIf} up type veth peer name ${dev} mtu ${mtu}` +
          `${req.mac ? ` address ${req.mac}` : ''} netns ${netnsArgument(ctx.guest)}`,
        async () => {
          // The peer is born down: asked to come up inside another namespace the
          // kernel answers ENOTCONN (6.18), so it is brought up from inside the
          // guest, after its address.
          await host.sock.request(
            newVeth(
              { name: hostName, mtu, master: bridgeIndex, up: true },
              { name: dev, mtu, mac: req.mac ? parseMac(req.mac) : undefined, nsFd: ctx.guest.nsFd },
            ),
          );
          vethCreated = true;
          const peer = await guestNs.linkByName(dev);
          if (!peer) throw new PipeworkError('INTERNAL', `${dev} did not appear in ${who}`);
          // The guest end's IFLA_LINK is the host end's ifindex: what we address from now on, never whatever has the name.
          hostIndex = peer.link ?? 0;
          Object.assign(ctx.link, { index: peer.index, mac: peer.mac ?? Buffer.alloc(0), mtu });
          ctx.result.mac = formatMac(ctx.link.mac);
          // The kernel ignores IFLA_IFALIAS in a new link: mark the host end now, the guest end when it comes up.
          await host.sock.request(setLink(hostIndex ? { index: hostIndex, alias: ctx.alias } : { name: hostName, alias: ctx.alias }));
        },
        // Deleting one end of a veth deletes both, and the guest end takes its addresses and routes along.
        async () => {
          if (vethCreated) await host.deleteLink(hostIndex ? { index: hostIndex } : { name: hostName });
        },
      ),
    );
    const confirm = [
      check(`confirm ${hostName} is still a port of ${req.hostIf}`, async () => {
        const now = await host.linkByIndex(hostIndex);
        if (!now || now.master !== bridgeIndex) {
          throw new PipeworkError('HOSTIF_NOT_FOUND', `bridge ${req.hostIf} went away during the attach`);
        }
      }),
    ];
    if (req.vlan !== undefined) {
      const v = portVlanSteps(ctx, br, { bridge: () => bridgeIndex, port: () => hostIndex, hostName }, req.vlan);
      steps.push(...v.steps);
      confirm.push(...v.confirm);
    }
    return { steps, confirm, mtu };
  },

  async existing(ctx: AttachContext, found: HostIfFound, link: Link): Promise<Existing> {
    const { req, host } = ctx;
    const br = found.link;
    const peer = await hostPeer(host, ctx.guest.nsFd, link);
    const differences: string[] = [];
    const ours = peer && sameMark(parseMark(peer.alias), ctx.mark);
    if (!ours) {
      differences.push(`its host side is not in this host namespace (looked for ${ctx.alias})`);
    } else {
      if (req.hostLinkName !== undefined && peer.name !== req.hostLinkName) differences.push(`host side ${peer.name}, not ${req.hostLinkName}`);
      if (!br || peer.master !== br.index) {
        const on = peer.master ? ((await host.linkByIndex(peer.master))?.name ?? `ifindex ${peer.master}`) : 'no bridge';
        differences.push(`on ${on}, not ${req.hostIf}`);
      } else {
        differences.push(...(await portVlanDifferences(host, br, peer, req.vlan)));
      }
    }
    const hostSide = peer?.name;
    return { differences, hostSide, link: linkPhrase(hostSide ?? '?', req.hostIf, false, req.vlan), mtu: br?.mtu ?? link.mtu };
  },

  async teardown(a: Attachment): Promise<Teardown> {
    const hostSide = (await hostPeer(a.host, a.guest.nsFd, a.link))?.name;
    // Deleting the guest end of a veth deletes both ends.
    return { steps: [deleteGuestLink(a)], hostSide };
  },

  hostSide: (link) => link.kind === 'veth',
};

/**
 * The host end of a guest's veth: IFLA_LINK is the peer's ifindex in the
 * peer's namespace, so the host link of that index is it only if it is a
 * veth pointing back at the guest end, whose peer lives in the guest's very
 * namespace (by nsid: an index alone can match a stranger's veth).
 */
async function hostPeer(host: Namespace, guestFd: number, link: Link): Promise<Link | undefined> {
  if (link.kind !== 'veth' || !link.link) return undefined;
  const peer = await host.linkByIndex(link.link);
  if (!peer || peer.kind !== 'veth' || peer.link !== link.index || peer.linkNetnsid === undefined) return undefined;
  return peer.linkNetnsid === (await host.nsidOf(guestFd)) ? peer : undefined;
}
