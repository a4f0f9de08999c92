// IPoIB child interfaces' IFLA_INFO_DATA (linux/if_link.h: IFLA_IPOIB_*), as
// `ip link add link ib0 name ib0.8001 type ipoib pkey 0x8001` sends it.
// Without a pkey iproute2 sends no IFLA_INFO_DATA at all, and the kernel
// gives the child its parent's pkey (drivers/infiniband/ulp/ipoib/ipoib_netlink.c).
import { attrMap, readU16, type MessageBuilder } from '../../netlink';

export const IFLA_IPOIB_PKEY = 1;
export const IFLA_IPOIB_MODE = 2;
export const IFLA_IPOIB_UMCAST = 3;

/** IFLA_INFO_DATA's contents for `type ipoib [pkey P]`; undefined (no IFLA_INFO_DATA) without a pkey. */
export function ipoibData(pkey: number | undefined): ((b: MessageBuilder) => void) | undefined {
  return pkey === undefined ? undefined : (b) => b.u16(IFLA_IPOIB_PKEY, pkey);
}

/** The partition key an IPoIB link reports, or undefined. */
export function decodeIpoibPkey(infoData: Buffer | undefined): number | undefined {
  const raw = infoData && attrMap(infoData).get(IFLA_IPOIB_PKEY);
  return raw && raw.length >= 2 ? readU16(raw) : undefined;
}
