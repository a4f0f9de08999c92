// A Linux bridge on the host: the guest gets one end of a veth pair, the
// other end becomes a port of the bridge. pipework's choice for an existing
// bridge, and for a missing name starting with "br", which it creates (up).
//
// The pair is made in one RTM_NEWLINK (veth.ts), its host end with the
// bridge as master. The MTU is the bridge's, as pipework copies it.
//
// With @VID the host end becomes an untagged port of that VLAN (bridge-vlan.ts).
import { PipeworkError } from '../../errors';
import { formatMac } from '../../packet';
import { newLink, type Link } from '../../rtnl';
import { netnsArgument, type AttachContext } from '../context';
import { parseMark, sameMark } from '../mark';
import { defaultHostLinkName } from '../names';
import type { Namespace } from '../namespace';
import { check } from '../plan';
import { createShared, type SharedLink } from '../shared';
import { portVlanDifferences, portVlanSteps } from './bridge-vlan';
import { deleteGuestLink } from './delete';
import type { Attachment, Existing, HostIfFound, HostIfKind, KindPlan, Teardown } from './kind';
import { hostPeer, refuseTakenHostName, vethStep } from './veth';

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
    const { req, host, dev, who } = ctx;
    const br = found.link;
    const hostName = req.hostLinkName ?? defaultHostLinkName(dev, ctx.guest);
    await refuseTakenHostName(host, hostName);
    // The bridge would take frames for that MAC as its own: the guest would be unreachable.
    if (req.mac && br?.mac && formatMac(br.mac) === req.mac) {
      throw new PipeworkError('MAC_CONFLICT', `MAC ${req.mac} is bridge ${req.hostIf}'s own address`);
    }
    const mtu = br?.mtu ?? DEFAULT_MTU;
    let bridgeIndex = br?.index ?? 0;
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
    const veth = vethStep(ctx, {
      hostName,
      mtu,
      master: () => bridgeIndex,
      title: `create veth ${hostName} on bridge ${req.hostIf} with peer ${dev} in ${who}`,
      command:
        `${host.ip}link add ${hostName} mtu ${mtu} master ${req.hostIf} up type veth peer name ${dev} mtu ${mtu}` +
        `${req.mac ? ` address ${req.mac}` : ''} netns ${netnsArgument(ctx.guest)}`,
    });
    steps.push(veth.step);
    const confirm = [
      check(`confirm ${hostName} is still a port of ${req.hostIf}`, async () => {
        const now = await host.linkByIndex(veth.state.hostIndex);
        if (!now || now.master !== bridgeIndex) {
          throw new PipeworkError('HOSTIF_NOT_FOUND', `bridge ${req.hostIf} went away during the attach`);
        }
      }),
    ];
    if (req.vlan !== undefined) {
      const v = portVlanSteps(ctx, br, { bridge: () => bridgeIndex, port: () => veth.state.hostIndex, hostName }, req.vlan);
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
