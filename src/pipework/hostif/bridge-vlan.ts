// `@VID` on a Linux bridge, which the original refuses ("VLAN configuration
// currently unsupported for Linux bridge"): the guest's veth becomes an
// untagged access port of VLAN VID on the bridge. Its host end gets VID as
// PVID, untagged (`bridge vlan add dev V vid VID pvid untagged`), and leaves
// the bridge's default VLAN (`bridge vlan del dev V vid 1`), so that its
// frames enter VID only and it hears VID's only, without tags.
//
// That needs the bridge to filter VLANs (IFLA_BR_VLAN_FILTERING): when it
// does not, the attach turns it on and says so. Its other ports then carry
// the default VLAN (PVID 1, untagged) they were given when they joined, so
// their traffic goes on as before. It is never turned off again by detach:
// other guests may rely on it by then; a rollback of the very attach that
// turned it on does turn it off, and a concurrent attach that relied on it
// finds that out in its final check (confirm).
//
// The steps come after the veth's (whose deletion takes the port's VLANs
// along, so they need no undo of their own); bridge.ts adds them only with @VID.
import { PipeworkError } from '../../errors';
import { NetlinkError } from '../../netlink';
import { addPortVlan, decodeBridgeVlanState, decodePortVlans, delPortVlan, dumpPortVlans, setBridgeVlanFiltering, type Link } from '../../rtnl';
import type { AttachContext } from '../context';
import type { Namespace } from '../namespace';
import { change, check, type Step } from '../plan';
import { kernelLacks } from './lacking';

const NEEDS = 'bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)';

export interface PortRef {
  /** The bridge's ifindex, known once it exists (a created bridge's at run time). */
  bridge(): number;
  /** The host end's ifindex, known once the veth exists. */
  port(): number;
  hostName: string;
}

/** The steps that make the port an untagged member of VLAN vid only, and the check that the bridge still filters. */
export function portVlanSteps(ctx: AttachContext, br: Link | undefined, ref: PortRef, vid: number): { steps: Step[]; confirm: Step[] } {
  const { host, req } = ctx;
  const bridgeName = req.hostIf;
  const bridgeCmd = host.exec;
  // Planned from the bridge as it is (a new one does not filter), decided again when the step runs.
  let needed = !br || !decodeBridgeVlanState(br.infoData).filtering;
  let defaultPvid = br ? decodeBridgeVlanState(br.infoData).defaultPvid : 1;
  let turnedOn = false;

  const filtering: Step = {
    title: `turn on VLAN filtering on bridge ${bridgeName}`,
    role: 'change',
    command: () => (needed ? `${host.ip}link set dev ${bridgeName} type bridge vlan_filtering 1` : ''),
    run: async () => {
      const now = await host.linkByIndex(ref.bridge());
      if (!now) throw new PipeworkError('HOSTIF_NOT_FOUND', `bridge ${bridgeName} went away during the attach`);
      const state = decodeBridgeVlanState(now.infoData);
      defaultPvid = state.defaultPvid;
      needed = !state.filtering;
      if (!needed) return;
      try {
        await host.sock.request(setBridgeVlanFiltering(now.index, true));
      } catch (e) {
        throw kernelLacks(e, 'filter VLANs on a bridge', NEEDS);
      }
      turnedOn = true;
      ctx.result.notes.push(
        `turned on VLAN filtering on bridge ${bridgeName}` +
          (defaultPvid ? `: its other ports stay untagged in VLAN ${defaultPvid}` : '') +
          '; detach leaves it on',
      );
    },
    undo: async () => {
      if (turnedOn) await host.sock.request(setBridgeVlanFiltering(ref.bridge(), false));
    },
  };

  const join = change(
    `make ${ref.hostName} an untagged port of VLAN ${vid} on bridge ${bridgeName}`,
    `${bridgeCmd}bridge vlan add dev ${ref.hostName} vid ${vid} pvid untagged`,
    async () => {
      try {
        await host.sock.request(addPortVlan(ref.port(), vid, { pvid: true, untagged: true }));
      } catch (e) {
        throw kernelLacks(e, 'filter VLANs on a bridge', NEEDS);
      }
    },
  );

  const leave: Step = {
    title: `take ${ref.hostName} out of the default VLAN of bridge ${bridgeName}`,
    role: 'change',
    // PVID 0: the bridge gives new ports no default VLAN; the same id: it was just made the port's own.
    command: () => (defaultPvid && defaultPvid !== vid ? `${bridgeCmd}bridge vlan del dev ${ref.hostName} vid ${defaultPvid}` : ''),
    run: async () => {
      if (!defaultPvid || defaultPvid === vid) return;
      try {
        await host.sock.request(delPortVlan(ref.port(), defaultPvid));
      } catch (e) {
        // Not a member (someone changed the default since): the goal is reached.
        if (!(e instanceof NetlinkError && e.code === 'ENOENT')) throw e;
      }
    },
  };

  const confirm = check(`confirm bridge ${bridgeName} still filters VLANs`, async () => {
    const now = await host.linkByIndex(ref.bridge());
    if (now && !decodeBridgeVlanState(now.infoData).filtering) {
      throw new PipeworkError('CONFLICT', `bridge ${bridgeName} stopped filtering VLANs during the attach: ${ref.hostName} would not be isolated in VLAN ${vid}`);
    }
  });
  return { steps: [filtering, join, leave], confirm: [confirm] };
}

/** For a re-run: how the port's VLANs differ from `vid` (undefined: none asked), in the user's terms. */
export async function portVlanDifferences(host: Namespace, br: Link | undefined, port: Link, vid: number | undefined): Promise<string[]> {
  const state = decodeBridgeVlanState(br?.infoData);
  if (vid === undefined) {
    if (!state.filtering) return [];
    const pvid = (await vlansOf(host, port.index)).find((v) => v.pvid);
    return pvid && pvid.vid !== state.defaultPvid ? [`its host side is in VLAN ${pvid.vid}, and no VLAN was asked`] : [];
  }
  if (!state.filtering) return [`bridge ${br?.name ?? '?'} does not filter VLANs, so ${port.name} is in no VLAN ${vid}`];
  const vlans = await vlansOf(host, port.index);
  const own = vlans.find((v) => v.vid === vid);
  const others = vlans.filter((v) => v.vid !== vid).map((v) => v.vid);
  const out: string[] = [];
  if (!own || !own.pvid || !own.untagged) out.push(`its host side is not an untagged port of VLAN ${vid}`);
  if (others.length) out.push(`its host side is in VLAN ${others.join(', ')} too`);
  return out;
}

async function vlansOf(host: Namespace, index: number) {
  const ports = (await host.sock.dump(dumpPortVlans())).map(decodePortVlans);
  return ports.find((p) => p.index === index)?.vlans ?? [];
}
