// RTM_NEWLINK / DELLINK / GETLINK: encoders (pure) and the decoder.
import { MessageBuilder, attrMap, needBody, readS32, readString, readU32, readU8, NLM_F_CREATE, NLM_F_EXCL } from '../netlink';
import {
  AF_UNSPEC,
  IFF_UP,
  IFLA_ADDRESS,
  IFLA_EXT_MASK,
  IFLA_IFALIAS,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_INFO_SLAVE_KIND,
  IFLA_LINK,
  IFLA_LINKINFO,
  IFLA_LINK_NETNSID,
  IFLA_MASTER,
  IFLA_MTU,
  IFLA_NET_NS_FD,
  IFLA_OPERSTATE,
  IFLA_CARRIER,
  IF_OPER_DORMANT,
  IF_OPER_DOWN,
  IF_OPER_LOWERLAYERDOWN,
  IF_OPER_NOTPRESENT,
  IF_OPER_TESTING,
  IF_OPER_UNKNOWN,
  IF_OPER_UP,
  RTEXT_FILTER_SKIP_STATS,
  RTEXT_FILTER_VF,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
  VETH_INFO_PEER,
} from './constants';

const IFINFOMSG_LEN = 16;

/** struct ifinfomsg */
export function ifinfomsg(index = 0, flags = 0, change = 0, type = 0, family = AF_UNSPEC): Buffer {
  const b = Buffer.alloc(IFINFOMSG_LEN);
  b.writeUInt8(family, 0);
  b.writeUInt16LE(type, 2);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags >>> 0, 8);
  b.writeUInt32LE(change >>> 0, 12);
  return b;
}

/** What a link should be; each field is written only when given. */
export interface LinkSpec {
  index?: number;
  name?: string;
  mtu?: number;
  /** Hardware address, 6 bytes for Ethernet. */
  mac?: Uint8Array;
  /** ifindex of the bridge to enslave to; 0 releases. */
  master?: number;
  /** IFLA_LINK: the lower device's ifindex (a macvlan's parent), in the socket's namespace. */
  link?: number;
  /** Create (or move) the link into the namespace of this open fd. */
  nsFd?: number;
  /** true sets IFF_UP, false clears it, undefined leaves it. */
  up?: boolean;
  alias?: string;
  /** IFLA_INFO_KIND: 'veth', 'bridge', ... */
  kind?: string;
  /** Writes IFLA_INFO_DATA's contents for kinds that take options. */
  infoData?: (b: MessageBuilder) => void;
}

function header(spec: LinkSpec): Buffer {
  const up = spec.up === undefined ? 0 : IFF_UP;
  return ifinfomsg(spec.index ?? 0, spec.up ? IFF_UP : 0, up);
}

// The attribute order is iproute2's for `ip link add NAME mtu M address A
// master B netns N alias S ...`: it appends attributes in command-line order
// as it parses them and IFLA_IFNAME after the whole list (for a veth peer too),
// so our bytes can be compared with its bytes (test/rtnl-golden.test.ts).
function linkAttrs(b: MessageBuilder, spec: LinkSpec): void {
  if (spec.mtu !== undefined) b.u32(IFLA_MTU, spec.mtu);
  if (spec.mac !== undefined) b.bytes(IFLA_ADDRESS, spec.mac);
  if (spec.master !== undefined) b.u32(IFLA_MASTER, spec.master);
  if (spec.nsFd !== undefined) b.u32(IFLA_NET_NS_FD, spec.nsFd);
  if (spec.alias !== undefined) b.text(IFLA_IFALIAS, spec.alias);
  // iproute2 resolves `link DEV` after the whole list, just before the name.
  if (spec.link !== undefined) b.u32(IFLA_LINK, spec.link);
  if (spec.name !== undefined) b.string(IFLA_IFNAME, spec.name);
}

function linkInfo(b: MessageBuilder, spec: LinkSpec): void {
  if (spec.kind === undefined) return;
  b.nest(
    IFLA_LINKINFO,
    (li) => {
      li.text(IFLA_INFO_KIND, spec.kind!);
      if (spec.infoData) li.nest(IFLA_INFO_DATA, spec.infoData, false);
    },
    false,
  );
}

/** Creates a link; fails with EEXIST if the name is taken. */
export function newLink(spec: LinkSpec): Buffer {
  const b = new MessageBuilder(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  b.struct(header(spec));
  linkAttrs(b, spec);
  linkInfo(b, spec);
  return b.finish();
}

/**
 * A veth pair in one request: `host` stays in the socket's namespace, `peer`
 * is born where peer.nsFd points, with its final name. No rename, no move.
 */
export function newVeth(host: Omit<LinkSpec, 'kind' | 'infoData'>, peer: Omit<LinkSpec, 'kind' | 'infoData' | 'index'>): Buffer {
  return newLink({
    ...host,
    kind: 'veth',
    infoData: (b) => {
      b.nest(
        VETH_INFO_PEER,
        (p) => {
          p.struct(header(peer));
          linkAttrs(p, peer);
        },
        false,
      );
    },
  });
}

/** Changes an existing link, found by index (or by name when index is absent). */
export function setLink(spec: LinkSpec): Buffer {
  const b = new MessageBuilder(RTM_NEWLINK, 0);
  b.struct(header(spec));
  linkAttrs(b, spec);
  return b.finish();
}

export function delLink(target: { index: number } | { name: string }): Buffer {
  const b = new MessageBuilder(RTM_DELLINK, 0);
  b.struct(ifinfomsg('index' in target ? target.index : 0));
  if ('name' in target) b.string(IFLA_IFNAME, target.name);
  return b.finish();
}

/** Asks for one link by index or name; the kernel answers ENODEV when there is none. */
export function getLink(target: { index: number } | { name: string }): Buffer {
  const b = new MessageBuilder(RTM_GETLINK, 0);
  b.struct(ifinfomsg('index' in target ? target.index : 0));
  // iproute2's order (its name-to-index lookup sends exactly this message).
  b.u32(IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
  if ('name' in target) b.string(IFLA_IFNAME, target.name);
  return b.finish();
}

/** Every link; with strict checking on, `master` filters in the kernel. */
export function dumpLinks(filter: { master?: number } = {}): Buffer {
  const b = new MessageBuilder(RTM_GETLINK, 0);
  b.struct(ifinfomsg());
  b.u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  if (filter.master !== undefined) b.u32(IFLA_MASTER, filter.master);
  return b.finish();
}

export interface Link {
  index: number;
  name: string;
  /** ARPHRD_* */
  type: number;
  flags: number;
  up: boolean;
  mtu: number;
  mac?: Buffer | undefined;
  master?: number | undefined;
  /** IFLA_INFO_KIND ('veth', 'bridge'), when the driver reports one. */
  kind?: string | undefined;
  /** IFLA_INFO_SLAVE_KIND ('bridge' for a bridge port). */
  slaveKind?: string | undefined;
  /** IFLA_INFO_DATA as the kernel sent it: the kind's own attributes, decoded by its file under kinds/. */
  infoData?: Buffer | undefined;
  /** IFLA_LINK: for a veth, the peer's ifindex (in the peer's namespace). */
  link?: number | undefined;
  /** IFLA_LINK_NETNSID: set when the peer lives in another namespace. */
  linkNetnsid?: number | undefined;
  /** IFLA_OPERSTATE, an IF_OPER_* value (operstateName reads it). */
  operstate?: number | undefined;
  carrier?: boolean | undefined;
  alias?: string | undefined;
}

// The RFC 2863 operational states, in the words `ip link` uses (lower-case):
// the enum after IF_OPER_UNKNOWN in linux/if.h.
const OPERSTATES: Record<number, string> = {
  [IF_OPER_UNKNOWN]: 'unknown',
  [IF_OPER_NOTPRESENT]: 'notpresent',
  [IF_OPER_DOWN]: 'down',
  [IF_OPER_LOWERLAYERDOWN]: 'lowerlayerdown',
  [IF_OPER_TESTING]: 'testing',
  [IF_OPER_DORMANT]: 'dormant',
  [IF_OPER_UP]: 'up',
};

/** A link's operstate by name: 'up', 'down', ...; 'unknown' when the kernel sent none, the number when it is new to us. */
export function operstateName(operstate: number | undefined): string {
  return operstate === undefined ? 'unknown' : (OPERSTATES[operstate] ?? String(operstate));
}

export function decodeLink(msg: Buffer): Link {
  needBody(msg, IFINFOMSG_LEN, 'link message');
  const index = msg.readInt32LE(16 + 4);
  const type = msg.readUInt16LE(16 + 2);
  const flags = msg.readUInt32LE(16 + 8);
  const a = attrMap(msg, 16 + IFINFOMSG_LEN);
  const link: Link = {
    index,
    name: readString(a.get(IFLA_IFNAME) ?? Buffer.alloc(0)),
    type,
    flags,
    up: (flags & IFF_UP) !== 0,
    mtu: a.has(IFLA_MTU) ? readU32(a.get(IFLA_MTU)!) : 0,
  };
  const mac = a.get(IFLA_ADDRESS);
  if (mac) link.mac = Buffer.from(mac);
  if (a.has(IFLA_MASTER)) link.master = readU32(a.get(IFLA_MASTER)!);
  if (a.has(IFLA_LINK)) link.link = readU32(a.get(IFLA_LINK)!);
  if (a.has(IFLA_LINK_NETNSID)) link.linkNetnsid = readS32(a.get(IFLA_LINK_NETNSID)!);
  if (a.has(IFLA_OPERSTATE)) link.operstate = readU8(a.get(IFLA_OPERSTATE)!);
  if (a.has(IFLA_CARRIER)) link.carrier = readU8(a.get(IFLA_CARRIER)!) !== 0;
  if (a.has(IFLA_IFALIAS)) link.alias = readString(a.get(IFLA_IFALIAS)!);
  const info = a.get(IFLA_LINKINFO);
  if (info) {
    const li = attrMap(info);
    if (li.has(IFLA_INFO_KIND)) link.kind = readString(li.get(IFLA_INFO_KIND)!);
    if (li.has(IFLA_INFO_SLAVE_KIND)) link.slaveKind = readString(li.get(IFLA_INFO_SLAVE_KIND)!);
    if (li.has(IFLA_INFO_DATA)) link.infoData = Buffer.from(li.get(IFLA_INFO_DATA)!);
  }
  return link;
}
