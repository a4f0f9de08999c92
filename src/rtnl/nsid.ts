// RTM_GETNSID: the id a namespace has as seen from the socket's namespace, the
// same number a veth's IFLA_LINK_NETNSID gives for the namespace of its peer.
import { MessageBuilder, attrMap, readS32 } from '../netlink';
import { AF_UNSPEC, NETNSA_FD, NETNSA_NSID, NETNSA_NSID_NOT_ASSIGNED, RTM_GETNSID } from './constants';

// struct rtgenmsg is one byte; attributes start at the next 4-byte boundary.
const RTGENMSG_LEN = 4;

export function getNsid(nsFd: number): Buffer {
  const b = new MessageBuilder(RTM_GETNSID, 0);
  b.struct(Buffer.from([AF_UNSPEC, 0, 0, 0]));
  b.u32(NETNSA_FD, nsFd);
  return b.finish();
}

/** The nsid in an RTM_NEWNSID reply; undefined when none is assigned. */
export function decodeNsid(msg: Buffer): number | undefined {
  const v = attrMap(msg, 16 + RTGENMSG_LEN).get(NETNSA_NSID);
  if (!v) return undefined;
  const id = readS32(v);
  return id === NETNSA_NSID_NOT_ASSIGNED ? undefined : id;
}
