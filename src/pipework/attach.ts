// Attach: a veth pair from a Linux bridge on the host into the guest, with an
// address, a gateway and an announcement. Planned from read-only queries,
// then executed step by step with rollback.
import { PipeworkError } from '../errors';
import { formatMac, ipBytes, ipv4Broadcast, parseMac, samePrefix } from '../packet';
import { AF_INET, AF_INET6, IFA_F_NODAD, RT_SCOPE_LINK, delLink, getLink, decodeLink, newAddr, newLink, newRoute, newVeth, setLink } from '../rtnl';
import type { Guest } from '../netns';
import { announcementFrame, sendFrame } from './announce';
import { defaultHostLinkName } from './names';
import { describeGuest, type Namespace } from './namespace';
import type { Step } from './plan';
import type { AttachRequest, Family } from './types';

const DEFAULT_MTU = 1500;

export interface GuestSummary {
  kind: Guest['kind'];
  name: string;
  id?: string | undefined;
  pid?: number | undefined;
}

export interface RouteSummary {
  /** 'default' or 'prefix/len' */
  dst: string;
  via?: string | undefined;
  dev: string;
}

export interface AttachResult {
  guest: GuestSummary;
  /** The bridge on the host. */
  hostIf: string;
  bridgeCreated: boolean;
  /** Host-side veth name. */
  hostSide: string;
  /** Guest-side interface name. */
  guestSide: string;
  mac: string;
  mtu: number;
  /** 'address/len' */
  addresses: string[];
  routes: RouteSummary[];
  /** What was sent to announce the address, if anything. */
  announced?: 'gratuitous-arp' | 'neighbour-advertisement' | undefined;
}

export interface AttachPlan {
  steps: Step[];
  /** The outcome; complete once the steps have run. */
  result: AttachResult;
}

export function summariseGuest(g: Guest): GuestSummary {
  return { kind: g.kind, name: g.name, id: g.id, pid: g.pid };
}

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
  if (inGuest) {
    throw new PipeworkError('LINK_EXISTS', `${describeGuest(guest)} already has an interface ${req.guestIf}`);
  }
  if (taken) throw new PipeworkError('LINK_EXISTS', `host interface ${hostName} already exists`);
  // The bridge would take frames for that MAC as its own: the guest would be unreachable.
  if (req.mac && bridge?.mac && formatMac(bridge.mac) === req.mac) {
    throw new PipeworkError('MAC_CONFLICT', `MAC ${req.mac} is bridge ${req.hostIf}'s own address`);
  }

  const mtu = bridge?.mtu ?? DEFAULT_MTU;
  const state = { bridgeIndex: bridge?.index ?? 0, guestIndex: 0, guestMac: req.mac ? parseMac(req.mac) : Buffer.alloc(0) };
  const result: AttachResult = {
    guest: summariseGuest(guest),
    hostIf: req.hostIf,
    bridgeCreated: !bridge,
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

  if (!bridge) {
    steps.push({
      title: `create bridge ${req.hostIf}`,
      command: `${host.ip}link add ${req.hostIf} up type bridge`,
      run: async () => {
        await host.sock.request(newLink({ name: req.hostIf, kind: 'bridge', up: true }));
        const [reply] = await host.sock.request(getLink({ name: req.hostIf }));
        state.bridgeIndex = decodeLink(reply!).index;
      },
      undo: async () => {
        await host.sock.request(delLink({ index: state.bridgeIndex }));
      },
    });
  }

  steps.push({
    title: `create veth ${hostName} on bridge ${req.hostIf} with peer ${dev} in ${describeGuest(guest)}`,
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
      const peer = await guestNs.linkByName(dev);
      if (!peer) throw new PipeworkError('INTERNAL', `${dev} did not appear in ${describeGuest(guest)}`);
      state.guestIndex = peer.index;
      state.guestMac = peer.mac ?? state.guestMac;
      result.mac = formatMac(state.guestMac);
    },
    // Deleting one end of a veth deletes both, and the guest end takes its addresses and routes along.
    undo: async () => {
      await host.sock.request(delLink({ name: hostName }));
    },
  });

  const address = req.address;
  if (address) {
    const { family } = address;
    const local = ipBytes(address.address).bytes;
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
      await guestNs.sock.request(setLink({ index: state.guestIndex, up: true }));
    },
  });

  if (address && req.gateway) {
    steps.push(...gatewaySteps(req.gateway, address.family, address.prefixLength, ipBytes(address.address).bytes, dev, guestNs, state, result));
  }

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
