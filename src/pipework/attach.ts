// Attach: a veth pair from a Linux bridge on the host into the guest, with an
// address, a gateway and an announcement. Planned from read-only queries,
// then executed step by step with rollback.
import { PipeworkError } from '../errors';
import { formatMac, ipBytes, ipv4Broadcast, parseMac, samePrefix } from '../packet';
import { NetlinkError } from '../netlink';
import { AF_INET, AF_INET6, IFA_F_NODAD, RT_SCOPE_LINK, delLink, getLink, decodeLink, newAddr, newLink, newRoute, newVeth, setLink } from '../rtnl';
import type { Guest } from '../netns';
import { announcementFrame, sendFrame } from './announce';
import { existingAttachment } from './existing';
import { describeMark, formatMark, guestMark, parseMark, sameMark } from './mark';
import { defaultHostLinkName } from './names';
import { describeGuest, type Namespace } from './namespace';
import type { Step } from './plan';
import { summariseGuest, type AttachPlan, type AttachResult } from './results';
import type { AttachRequest, Family } from '../request/types';

const DEFAULT_MTU = 1500;

/** Looks at host and guest (read-only) and lists the steps the attach takes. */
export async function planAttach(req: AttachRequest, host: Namespace, guestNs: Namespace, guest: Guest): Promise<AttachPlan> {
  if (req.vlan !== undefined) {
    throw new PipeworkError('USAGE', `VLAN tagging (@${req.vlan}) is not supported on a Linux bridge yet`);
  }
  const hostName = req.hostLinkName ?? defaultHostLinkName(req.guestIf, guest);
  const [bridge, taken, inGuest] = await Promise.all([
    host.linkByName(req.hostIf),
    host.linkByName(hostName),
    guestNs.linkByName(req.guestIf),
  ]);
  if (bridge && bridge.kind !== 'bridge') {
    throw new PipeworkError(
      'HOSTIF_UNSUPPORTED',
      `host interface ${req.hostIf} is ${bridge.kind ? `a ${bridge.kind} device` : 'not a bridge'}: only Linux bridges are supported so far`,
    );
  }
  if (!bridge && !req.hostIf.startsWith('br')) {
    throw new PipeworkError(
      'HOSTIF_NOT_FOUND',
      `host interface ${req.hostIf} does not exist (only missing names starting with "br" are created, as bridges)`,
    );
  }
  const mark = guestMark(guest, req.guestIf);
  const who = describeGuest(guest);
  if (inGuest) {
    // Re-running the same attach is fine; anything else there is not ours to change.
    const theirs = parseMark(inGuest.alias);
    if (sameMark(theirs, mark)) return existingAttachment(req, host, guestNs, guest, inGuest, bridge);
    const whose = theirs ? ` (attached by pipework for ${describeMark(theirs)})` : '';
    throw new PipeworkError('LINK_EXISTS', `${who} already has an interface ${req.guestIf}${whose}`);
  }
  if (taken) {
    // Never deleted, up or down: the original pipework deletes a down one, which may be someone else's.
    const theirs = parseMark(taken.alias);
    const whose = theirs ? ` (pipework's, for ${theirs.ifname} in ${describeMark(theirs)})` : '';
    throw new PipeworkError('LINK_EXISTS', `host interface ${hostName} already exists${whose}`);
  }
  // The bridge would take frames for that MAC as its own: the guest would be unreachable.
  if (req.mac && bridge?.mac && formatMac(bridge.mac) === req.mac) {
    throw new PipeworkError('MAC_CONFLICT', `MAC ${req.mac} is bridge ${req.hostIf}'s own address`);
  }

  const mtu = bridge?.mtu ?? DEFAULT_MTU;
  const alias = formatMark(mark);
  // What the steps learn as they go, and how far they got (for their undo).
  const state = {
    bridgeIndex: bridge?.index ?? 0,
    bridgeOwned: false,
    vethCreated: false,
    hostIndex: 0,
    guestIndex: 0,
    guestMac: req.mac ? parseMac(req.mac) : Buffer.alloc(0),
  };
  const result: AttachResult = {
    guest: summariseGuest(guest),
    hostIf: req.hostIf,
    kind: 'bridge',
    created: bridge ? [] : [`bridge ${req.hostIf}`],
    link: `host side ${hostName} on bridge ${req.hostIf}${bridge ? '' : ' (created)'}`,
    notes: [],
    hostSide: hostName,
    guestSide: req.guestIf,
    mac: req.mac ?? '',
    mtu,
    addresses: [],
    routes: [],
  };
  const steps: Step[] = [];
  const g = guestNs.ip;
  const dev = req.guestIf;

  // A process can exit between resolution and now: then its namespace lives on
  // only through our handle and would take the interface with it when closed.
  const confirmGuest: Step = {
    title: `confirm ${who} is still there`,
    command: '',
    check: true,
    run: async () => {
      if (!guest.isCurrent()) throw new PipeworkError('GUEST_NOT_RUNNING', `${who} is gone: its process exited`);
    },
  };
  steps.push(confirmGuest);

  if (!bridge) {
    steps.push({
      title: `create bridge ${req.hostIf}`,
      command: `${host.ip}link add ${req.hostIf} up type bridge`,
      run: async () => {
        try {
          await host.sock.request(newLink({ name: req.hostIf, kind: 'bridge', up: true }));
          state.bridgeOwned = true;
        } catch (e) {
          // Another attach made it first: use it if it is a bridge.
          if (!(e instanceof NetlinkError && e.code === 'EEXIST')) throw e;
        }
        if (!state.bridgeOwned) { result.created = []; result.link = `host side ${hostName} on bridge ${req.hostIf}`; }
        const made = decodeLink((await host.sock.request(getLink({ name: req.hostIf })))[0]!);
        if (made.kind !== 'bridge') throw new PipeworkError('HOSTIF_UNSUPPORTED', `host interface ${req.hostIf} appeared, but not as a bridge`);
        state.bridgeIndex = made.index;
      },
      // Only a bridge this attach made, and only while no other attach has a port on it.
      undo: async () => {
        if (!state.bridgeOwned) return;
        if (state.bridgeIndex && (await host.ports(state.bridgeIndex)).length > 0) return;
        try {
          // By name only if it failed before its index was read, an instant after we made it.
          await host.sock.request(delLink(state.bridgeIndex ? { index: state.bridgeIndex } : { name: req.hostIf }));
        } catch (e) {
          // Someone else deleted it meanwhile: nothing left to undo.
          if (!(e instanceof NetlinkError && e.code === 'ENODEV')) throw e;
        }
      },
    });
  }

  steps.push({
    title: `create veth ${hostName} on bridge ${req.hostIf} with peer ${dev} in ${who}`,
    command:
      `${host.ip}link add ${hostName} mtu ${mtu} master ${req.hostIf} up type veth peer name ${dev} mtu ${mtu}` +
      `${req.mac ? ` address ${req.mac}` : ''} netns ${guest.kind === 'netns' ? guest.name : (guest.pid ?? guest.name)}`,
    run: async () => {
      // The peer is born down: asked to come up inside another namespace the
      // kernel answers ENOTCONN (6.18), so it is brought up from inside the
      // guest, after its address, as the steps below do.
      await host.sock.request(
        newVeth(
          { name: hostName, mtu, master: state.bridgeIndex, up: true },
          { name: dev, mtu, mac: req.mac ? state.guestMac : undefined, nsFd: guest.nsFd },
        ),
      );
      state.vethCreated = true;
      const peer = await guestNs.linkByName(dev);
      if (!peer) throw new PipeworkError('INTERNAL', `${dev} did not appear in ${who}`);
      state.guestIndex = peer.index;
      // The guest end's IFLA_LINK is the host end's ifindex: what we address from now on, never whatever has the name.
      state.hostIndex = peer.link ?? 0;
      state.guestMac = peer.mac ?? state.guestMac;
      result.mac = formatMac(state.guestMac);
      // The kernel ignores IFLA_IFALIAS in a new link: mark the host end now, the guest end when it comes up.
      await host.sock.request(setLink(state.hostIndex ? { index: state.hostIndex, alias } : { name: hostName, alias }));
    },
    // Also runs when this step itself fails halfway. Deleting one end of a
    // veth deletes both, and the guest end takes its addresses and routes along.
    undo: async () => {
      if (!state.vethCreated) return;
      try {
        await host.sock.request(delLink(state.hostIndex ? { index: state.hostIndex } : { name: hostName }));
      } catch (e) {
        // Someone else deleted it meanwhile: nothing left to undo.
        if (!(e instanceof NetlinkError && e.code === 'ENODEV')) throw e;
      }
    },
  });

  const address = req.address;
  // Parsed once, for the address step and the gateway's on-link test.
  const local = address ? ipBytes(address.address).bytes : Buffer.alloc(0);
  if (address) {
    const { family } = address;
    const cidr = `${address.address}/${address.prefixLength}`;
    const brd = family === 4 ? ipv4Broadcast(local, address.prefixLength) : undefined;
    steps.push({
      title: `add address ${cidr} to ${dev}`,
      command: `${g}addr add ${cidr}${brd ? ` broadcast ${brd.join('.')}` : ''}${family === 6 ? ' nodad' : ''} dev ${dev}`,
      run: async () => {
        await guestNs.sock.request(
          newAddr({
            index: state.guestIndex,
            family: family === 4 ? AF_INET : AF_INET6,
            address: local,
            prefixLength: address.prefixLength,
            broadcast: brd,
            // The announcement below claims the address at once, so IPv6 skips DAD (see README).
            flags: family === 6 ? IFA_F_NODAD : 0,
          }),
        );
        result.addresses.push(cidr);
      },
    });
  }

  steps.push({
    title: `bring ${dev} up`,
    command: `${g}link set ${dev} up`,
    run: async () => {
      await guestNs.sock.request(setLink({ index: state.guestIndex, up: true, alias }));
    },
  });

  if (address && req.gateway) {
    steps.push(...gatewaySteps(req.gateway, address.family, address.prefixLength, local, dev, guestNs, state, result));
  }

  steps.push(confirmGuest, {
    title: `confirm ${hostName} is still a port of ${req.hostIf}`,
    command: '',
    check: true,
    run: async () => {
      const now = await host.linkByIndex(state.hostIndex);
      if (!now || now.master !== state.bridgeIndex) {
        throw new PipeworkError('HOSTIF_NOT_FOUND', `bridge ${req.hostIf} went away during the attach`);
      }
    },
  });

  if (address) {
    const family = address.family;
    const arping = family === 4 ? `arping -c 1 -A -I ${dev} ${address.address}` : `ndsend ${address.address} ${dev}`;
    steps.push({
      title: `announce ${address.address} on ${dev}`,
      command: `${guestNs.exec}${arping}`,
      run: async () => {
        sendFrame(guest.nsFd, state.guestIndex, announcementFrame(family, state.guestMac, address.address));
        result.announced = family === 4 ? 'gratuitous-arp' : 'neighbour-advertisement';
      },
    });
  }

  return { steps, result };
}

function gatewaySteps(
  gateway: string,
  family: Family,
  prefixLength: number,
  local: Buffer,
  dev: string,
  guestNs: Namespace,
  state: { guestIndex: number },
  result: AttachResult,
): Step[] {
  const gw = ipBytes(gateway).bytes;
  const af = family === 4 ? AF_INET : AF_INET6;
  const hostLen = family === 4 ? 32 : 128;
  const steps: Step[] = [];
  // pipework adds gw/32 on the link when the gateway is not reachable through
  // the new address's prefix, so the default route has a next hop to use.
  if (!samePrefix(local, gw, prefixLength)) {
    steps.push({
      title: `add on-link route to gateway ${gateway} via ${dev}`,
      command: `${guestNs.ip}route add ${gateway}/${hostLen} dev ${dev}`,
      run: async () => {
        await guestNs.sock.request(newRoute({ family: af, dst: gw, dstLength: hostLen, oif: state.guestIndex, scope: RT_SCOPE_LINK }));
        result.routes.push({ dst: `${gateway}/${hostLen}`, dev });
      },
    });
  }
  steps.push({
    title: `set default route via ${gateway} on ${dev}`,
    command: `${guestNs.ip}route replace default via ${gateway} dev ${dev}`,
    run: async () => {
      await guestNs.sock.request(newRoute({ family: af, dstLength: 0, gateway: gw, oif: state.guestIndex }, true));
      result.routes.push({ dst: 'default', via: gateway, dev });
    },
  });
  return steps;
}
