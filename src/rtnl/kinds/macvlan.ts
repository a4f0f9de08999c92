// macvlan's IFLA_INFO_DATA (linux/if_link.h: IFLA_MACVLAN_*, enum macvlan_mode).
import { attrMap, readU32, type MessageBuilder } from '../../netlink';

export const IFLA_MACVLAN_MODE = 1;

/** The modes by the names `ip link ... type macvlan mode M` takes. */
export const MACVLAN_MODE: Readonly<Record<'private' | 'vepa' | 'bridge' | 'passthru', number>> = {
  private: 1,
  vepa: 2,
  bridge: 4,
  passthru: 8,
};

export type MacvlanModeName = keyof typeof MACVLAN_MODE;

/** Writes IFLA_INFO_DATA's contents for `type macvlan mode M`. */
export function macvlanData(mode: MacvlanModeName): (b: MessageBuilder) => void {
  return (b) => b.u32(IFLA_MACVLAN_MODE, MACVLAN_MODE[mode]);
}

/** The mode in a macvlan link's IFLA_INFO_DATA; 'source' and unknown values come back as undefined. */
export function decodeMacvlanMode(infoData: Buffer | undefined): MacvlanModeName | undefined {
  const raw = infoData && attrMap(infoData).get(IFLA_MACVLAN_MODE);
  if (!raw || raw.length < 4) return undefined;
  const value = readU32(raw);
  return (Object.keys(MACVLAN_MODE) as MacvlanModeName[]).find((m) => MACVLAN_MODE[m] === value);
}
