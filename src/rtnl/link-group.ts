// Interface groups (IFLA_GROUP, `ip link set DEV group N`, `ip link delete
// group N`): what bulk detach uses to remove many links with one request.
// In rtnl_dellink (net/core/rtnetlink.c) an RTM_DELLINK with no index and no
// name but IFLA_GROUP deletes every device of that group in the socket's
// namespace through one unregister_netdevice_many(): one round of RCU grace
// periods for all of them instead of one per link. Group 0 (the default) is
// refused with EPERM there; a group holding a device without rtnl dellink
// (a physical NIC) is refused whole with EOPNOTSUPP.
import { MessageBuilder, attrMap, readU32 } from '../netlink';
import { IFLA_GROUP, RTM_DELLINK, RTM_NEWLINK } from './constants';
import { ifinfomsg } from './link';

/** `ip link set dev <index> group <group>` */
export function setLinkGroup(index: number, group: number): Buffer {
  const b = new MessageBuilder(RTM_NEWLINK, 0);
  b.struct(ifinfomsg(index));
  b.u32(IFLA_GROUP, group);
  return b.finish();
}

/** `ip link delete group <group>`: every link of the group, at once. */
export function delLinkGroup(group: number): Buffer {
  const b = new MessageBuilder(RTM_DELLINK, 0);
  b.struct(ifinfomsg());
  b.u32(IFLA_GROUP, group);
  return b.finish();
}

/** A link message's group (0 when the kernel sent none). */
export function decodeLinkGroup(msg: Buffer): number {
  const g = attrMap(msg, 16 + 16).get(IFLA_GROUP);
  return g ? readU32(g) : 0;
}
