// RTM_NEWADDR / DELADDR / GETADDR.
import { MessageBuilder, attrMap, needBody, readString, readU32, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../netlink';
import {
  AF_INET,
  IFA_ADDRESS,
  IFA_BROADCAST,
  IFA_CACHEINFO,
  IFA_FLAGS,
  IFA_LABEL,
  IFA_LOCAL,
  RTM_DELADDR,
  RTM_GETADDR,
  RTM_NEWADDR,
  RT_SCOPE_UNIVERSE,
} from './constants';
import { ipAttr } from './ip-attr';

const IFADDRMSG_LEN = 8;

/** struct ifaddrmsg */
export function ifaddrmsg(family: number, prefixLength: number, index: number, flags = 0, scope = RT_SCOPE_UNIVERSE): Buffer {
  const b = Buffer.alloc(IFADDRMSG_LEN);
  b.writeUInt8(family, 0);
  b.writeUInt8(prefixLength, 1);
  b.writeUInt8(flags & 0xff, 2);
  b.writeUInt8(scope, 3);
  b.writeUInt32LE(index, 4);
  return b;
}

export interface AddrSpec {
  index: number;
  /** AF_INET or AF_INET6 */
  family: number;
  /** 4 or 16 bytes */
  address: Uint8Array;
  prefixLength: number;
  broadcast?: Uint8Array | undefined;
  /** IFA_F_* (IFA_F_NODAD to skip IPv6 duplicate address detection) */
  flags?: number | undefined;
  /**
   * Seconds until the kernel removes the address (`valid_lft`), and until it
   * stops preferring it (`preferred_lft`, the same when absent); IFA_CACHEINFO.
   * Absent: forever, a permanent address. A DHCP lease's address carries its lease's.
   */
  validLifetime?: number | undefined;
  preferredLifetime?: number | undefined;
}

// Laid out as `ip addr add A/N broadcast B` lays it out: IFA_LOCAL, IFA_BROADCAST,
// then IFA_ADDRESS (iproute2 adds it, equal to the local address, after parsing),
// then IFA_FLAGS only when a flag does not fit the header's byte.
function addrAttrs(b: MessageBuilder, spec: AddrSpec): void {
  b.bytes(IFA_LOCAL, spec.address);
  if (spec.broadcast) b.bytes(IFA_BROADCAST, spec.broadcast);
  b.bytes(IFA_ADDRESS, spec.address);
  if ((spec.flags ?? 0) > 0xff) b.u32(IFA_FLAGS, spec.flags!);
  if (spec.validLifetime !== undefined) {
    // struct ifa_cacheinfo { ifa_prefered, ifa_valid, cstamp, tstamp } (linux/if_addr.h), as `ip addr ... valid_lft N`.
    const ci = Buffer.alloc(16);
    ci.writeUInt32LE(Math.min(spec.preferredLifetime ?? spec.validLifetime, spec.validLifetime) >>> 0, 0);
    ci.writeUInt32LE(spec.validLifetime >>> 0, 4);
    b.bytes(IFA_CACHEINFO, ci);
  }
}

/** Adds an address; `replace` changes one already there (its lifetimes: a renewed lease), as `ip addr replace`. */
export function newAddr(spec: AddrSpec, replace = false): Buffer {
  const b = new MessageBuilder(RTM_NEWADDR, NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL));
  b.struct(ifaddrmsg(spec.family, spec.prefixLength, spec.index, spec.flags ?? 0));
  addrAttrs(b, spec);
  return b.finish();
}

export function delAddr(spec: AddrSpec): Buffer {
  const b = new MessageBuilder(RTM_DELADDR, 0);
  b.struct(ifaddrmsg(spec.family, spec.prefixLength, spec.index));
  b.bytes(IFA_LOCAL, spec.address);
  return b.finish();
}

/** Addresses of one family (0: all), of one link when index is given (filtered in the kernel). */
export function dumpAddrs(family = 0, index = 0): Buffer {
  const b = new MessageBuilder(RTM_GETADDR, 0);
  b.struct(ifaddrmsg(family, 0, index));
  return b.finish();
}

export interface Addr {
  family: number;
  index: number;
  prefixLength: number;
  flags: number;
  scope: number;
  /** IFA_LOCAL where present (the interface's own address), else IFA_ADDRESS. */
  address: Buffer;
  broadcast?: Buffer | undefined;
  label?: string | undefined;
}

export function decodeAddr(msg: Buffer): Addr {
  needBody(msg, IFADDRMSG_LEN, 'address message');
  const family = msg.readUInt8(16);
  const a = attrMap(msg, 16 + IFADDRMSG_LEN);
  const addr: Addr = {
    family,
    prefixLength: msg.readUInt8(17),
    flags: a.has(IFA_FLAGS) ? readU32(a.get(IFA_FLAGS)!) : msg.readUInt8(18),
    scope: msg.readUInt8(19),
    index: msg.readUInt32LE(20),
    address: ipAttr(family, a.get(IFA_LOCAL) ?? a.get(IFA_ADDRESS) ?? Buffer.alloc(family === AF_INET ? 4 : 16), 'IFA_LOCAL/IFA_ADDRESS'),
  };
  if (a.has(IFA_BROADCAST)) addr.broadcast = ipAttr(family, a.get(IFA_BROADCAST)!, 'IFA_BROADCAST');
  if (a.has(IFA_LABEL)) addr.label = readString(a.get(IFA_LABEL)!);
  return addr;
}
