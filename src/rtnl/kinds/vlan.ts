// 802.1Q VLAN devices' IFLA_INFO_DATA (linux/if_link.h: IFLA_VLAN_*), as
// `ip link add link P name P.10 type vlan id 10` sends it. The protocol is
// left out: the kernel's default is 802.1Q (ETH_P_8021Q), as iproute2's.
import { attrMap, readU16, type MessageBuilder } from '../../netlink';

export const IFLA_VLAN_ID = 1;
export const IFLA_VLAN_FLAGS = 2;
export const IFLA_VLAN_PROTOCOL = 5;

/** Writes IFLA_INFO_DATA's contents for `type vlan id VID`. */
export function vlanData(vid: number): (b: MessageBuilder) => void {
  return (b) => b.u16(IFLA_VLAN_ID, vid);
}

/** The VLAN id in a vlan link's IFLA_INFO_DATA, or undefined. */
export function decodeVlanId(infoData: Buffer | undefined): number | undefined {
  const raw = infoData && attrMap(infoData).get(IFLA_VLAN_ID);
  return raw && raw.length >= 2 ? readU16(raw) : undefined;
}
