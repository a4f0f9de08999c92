// Bridge VLAN filtering: the bridge's own switch (IFLA_BR_VLAN_FILTERING in
// its IFLA_INFO_DATA, linux/if_link.h) and the VLANs of each port, which are
// AF_BRIDGE messages (linux/if_bridge.h): RTM_SETLINK / RTM_DELLINK with
// IFLA_AF_SPEC holding IFLA_BRIDGE_VLAN_INFO (struct bridge_vlan_info), as
// `bridge vlan add|del dev V vid N [pvid] [untagged]` sends them; a dump with
// RTEXT_FILTER_BRVLAN lists them, as `bridge vlan show` asks.
import { MessageBuilder, attrMap, attrs, readU16, readU8 } from '../netlink';
import { AF_BRIDGE, IFLA_AF_SPEC, IFLA_EXT_MASK, IFLA_INFO_DATA, IFLA_INFO_KIND, IFLA_LINKINFO, IFLA_MASTER, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK } from './constants';
import { ifinfomsg } from './link';

export const RTM_SETLINK = 19;
export const IFLA_BR_VLAN_FILTERING = 7;
export const IFLA_BR_VLAN_DEFAULT_PVID = 39;
export const IFLA_BRIDGE_FLAGS = 0;
export const IFLA_BRIDGE_VLAN_INFO = 2;
export const BRIDGE_VLAN_INFO_MASTER = 1;
export const BRIDGE_VLAN_INFO_PVID = 2;
export const BRIDGE_VLAN_INFO_UNTAGGED = 4;
export const RTEXT_FILTER_BRVLAN = 2;

/** `ip link set dev BR type bridge vlan_filtering 0|1`: the bridge's IFLA_INFO_DATA, nothing else. */
export function setBridgeVlanFiltering(index: number, on: boolean): Buffer {
  const b = new MessageBuilder(RTM_NEWLINK, 0);
  b.struct(ifinfomsg(index));
  // iproute2 flags neither nest as nested; the kernel accepts both.
  b.nest(
    IFLA_LINKINFO,
    (li) => {
      li.text(IFLA_INFO_KIND, 'bridge');
      li.nest(IFLA_INFO_DATA, (d) => d.u8(IFLA_BR_VLAN_FILTERING, on ? 1 : 0), false);
    },
    false,
  );
  return b.finish();
}

/** What a bridge's IFLA_INFO_DATA says of VLANs: filtering on, and the PVID new ports get. */
export function decodeBridgeVlanState(infoData: Buffer | undefined): { filtering: boolean; defaultPvid: number } {
  const a = infoData ? attrMap(infoData) : new Map<number, Buffer>();
  const f = a.get(IFLA_BR_VLAN_FILTERING);
  const pvid = a.get(IFLA_BR_VLAN_DEFAULT_PVID);
  return { filtering: !!f && f.length >= 1 && readU8(f) !== 0, defaultPvid: pvid && pvid.length >= 2 ? readU16(pvid) : 1 };
}

export interface PortVlan {
  vid: number;
  pvid: boolean;
  untagged: boolean;
}

function vlanInfo(flags: number, vid: number): Buffer {
  const v = Buffer.alloc(4);
  v.writeUInt16LE(flags, 0);
  v.writeUInt16LE(vid, 2);
  return v;
}

function portVlanMessage(type: number, index: number, flags: number, vid: number): Buffer {
  const b = new MessageBuilder(type, 0);
  b.struct(ifinfomsg(index, 0, 0, 0, AF_BRIDGE));
  b.nest(IFLA_AF_SPEC, (s) => s.bytes(IFLA_BRIDGE_VLAN_INFO, vlanInfo(flags, vid)), false);
  return b.finish();
}

/** `bridge vlan add dev PORT vid VID [pvid] [untagged]`. */
export function addPortVlan(index: number, vid: number, o: { pvid?: boolean; untagged?: boolean } = {}): Buffer {
  const flags = (o.pvid ? BRIDGE_VLAN_INFO_PVID : 0) | (o.untagged ? BRIDGE_VLAN_INFO_UNTAGGED : 0);
  return portVlanMessage(RTM_SETLINK, index, flags, vid);
}

/** `bridge vlan del dev PORT vid VID`. */
export function delPortVlan(index: number, vid: number): Buffer {
  return portVlanMessage(RTM_DELLINK, index, 0, vid);
}

/** `bridge vlan show`'s dump: every bridge port with its VLANs. */
export function dumpPortVlans(): Buffer {
  const b = new MessageBuilder(RTM_GETLINK, 0);
  b.struct(ifinfomsg(0, 0, 0, 0, AF_BRIDGE));
  b.u32(IFLA_EXT_MASK, RTEXT_FILTER_BRVLAN);
  return b.finish();
}

export interface PortVlans {
  index: number;
  master?: number | undefined;
  vlans: PortVlan[];
}

/**
 * One AF_BRIDGE link message of that dump. Ranges (BRIDGE_VLAN_INFO_RANGE_BEGIN/END,
 * flags 8 and 16) come only with RTEXT_FILTER_BRVLAN_COMPRESSED, which we do not ask for.
 */
export function decodePortVlans(msg: Buffer): PortVlans {
  const index = msg.readInt32LE(16 + 4);
  const a = attrMap(msg, 32);
  const out: PortVlans = { index, vlans: [] };
  const master = a.get(IFLA_MASTER);
  if (master && master.length >= 4) out.master = master.readUInt32LE(0);
  const spec = a.get(IFLA_AF_SPEC);
  if (spec) {
    for (const x of attrs(spec)) {
      if (x.type !== IFLA_BRIDGE_VLAN_INFO || x.value.length < 4) continue;
      const flags = x.value.readUInt16LE(0);
      out.vlans.push({ vid: x.value.readUInt16LE(2), pvid: (flags & BRIDGE_VLAN_INFO_PVID) !== 0, untagged: (flags & BRIDGE_VLAN_INFO_UNTAGGED) !== 0 });
    }
  }
  return out;
}
