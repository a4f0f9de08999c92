// ipvlan's IFLA_INFO_DATA (linux/if_link.h: IFLA_IPVLAN_MODE, IFLA_IPVLAN_FLAGS,
// enum ipvlan_mode). iproute2 sends the flags too whenever it sends a mode
// (0: bridge, neither IPVLAN_F_PRIVATE nor IPVLAN_F_VEPA), and so do we.
import { attrMap, readU16, type MessageBuilder } from '../../netlink';

export const IFLA_IPVLAN_MODE = 1;
export const IFLA_IPVLAN_FLAGS = 2;

/** The modes by the names `ip link ... type ipvlan mode M` takes. */
export const IPVLAN_MODE: Readonly<Record<'l2' | 'l3' | 'l3s', number>> = { l2: 0, l3: 1, l3s: 2 };

export type IpvlanModeName = keyof typeof IPVLAN_MODE;

/** Writes IFLA_INFO_DATA's contents for `type ipvlan mode M`. */
export function ipvlanData(mode: IpvlanModeName): (b: MessageBuilder) => void {
  return (b) => b.u16(IFLA_IPVLAN_MODE, IPVLAN_MODE[mode]).u16(IFLA_IPVLAN_FLAGS, 0);
}

/** The mode in an ipvlan link's IFLA_INFO_DATA; unknown values come back as undefined. */
export function decodeIpvlanMode(infoData: Buffer | undefined): IpvlanModeName | undefined {
  const raw = infoData && attrMap(infoData).get(IFLA_IPVLAN_MODE);
  if (!raw || raw.length < 2) return undefined;
  const value = readU16(raw);
  return (Object.keys(IPVLAN_MODE) as IpvlanModeName[]).find((m) => IPVLAN_MODE[m] === value);
}
