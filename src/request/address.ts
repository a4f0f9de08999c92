// The attach address argument, `<ip>/<len>[@gw]`, as the original passes it to
// `ip addr add` and `ip route replace default via`.
import { SocketAddress, isIPv4, isIPv6 } from 'node:net';
import { usage } from '../errors';
import { ipv4Broadcast, ipv4Bytes, ipv6Bytes } from '../packet';
import { show } from './quote';
import type { AddressSpec, Family } from './types';

/** pipework's -a: 4 or 6 (the CLI's text or the library's number). */
export function checkFamily(value: unknown): Family {
  if (value === 4 || value === '4') return 4;
  if (value === 6 || value === '6') return 6;
  throw usage(`address family (-a) takes 4 or 6, not ${show(String(value))}`);
}

export interface AddressArgument {
  /** Undefined for pipework's 0/0: the interface gets no address. */
  address?: AddressSpec | undefined;
  gateway?: string | undefined;
}

/**
 * Parses `<ip>/<len>[@gw]`. `0/0` (also `0.0.0.0/0` and `::/0`) means no
 * address. IPv4 accepts a dotted netmask in place of the length, as `ip addr
 * add` does. `family` is the -a option, which must match the address.
 */
export function parseAddressArgument(token: string, family?: Family): AddressArgument {
  const at = token.split('@');
  if (at.length > 2) throw usage(`address ${show(token)} has more than one '@'`);
  const [addrText, gwText] = at as [string, string | undefined];
  if (addrText === '') {
    throw usage(token === '' ? 'address is empty: e.g. 198.51.100.33/24, or 0/0 for none' : `missing address before '@' in ${show(token)}`);
  }
  if (gwText === '') throw usage(`missing gateway after '@' in ${show(token)}`);

  const slash = addrText.indexOf('/');
  if (slash < 0) {
    const fam = ipFamily(addrText);
    if (fam === undefined) {
      throw usage(`${show(token)} is not an address: expected <ip>/<len>, e.g. 198.51.100.33/24`);
    }
    const suggestion = `${addrText}/${fam === 4 ? 24 : 64}${gwText === undefined ? '' : `@${gwText}`}`;
    throw usage(`address ${show(addrText)} needs a prefix length: maybe you meant ${show(suggestion)}?`);
  }
  const ipText = addrText.slice(0, slash);
  const lenText = addrText.slice(slash + 1);

  if ((ipText === '0' || ipText === '0.0.0.0' || ipText === '::') && lenText === '0') {
    if (gwText !== undefined) {
      throw usage(`${show(addrText)} sets no address, so it cannot have a gateway (@${show(gwText)})`);
    }
    return {};
  }

  const fam = ipFamily(ipText);
  if (fam === undefined) throw usage(`invalid IP address ${show(ipText)} in ${show(token)}`);
  if (family !== undefined && family !== fam) {
    throw usage(`address family (-a) ${family} does not match the IPv${fam} address ${show(addrText)}`);
  }
  const prefixLength = parsePrefixLength(lenText, fam, addrText);
  const address = canonical(ipText, fam);
  checkHostAddress(address, fam, prefixLength, addrText);
  const spec: AddressSpec = { address, prefixLength, family: fam };

  if (gwText === undefined) return { address: spec };
  return { address: spec, gateway: parseGateway(gwText, spec) };
}

function parseGateway(text: string, addr: AddressSpec): string {
  if (text.includes('/')) throw usage(`gateway ${show(text)} must be an address without a prefix length`);
  const fam = ipFamily(text);
  if (fam === undefined) throw usage(`invalid gateway ${show(text)}: not an IP address`);
  if (fam !== addr.family) {
    throw usage(`gateway ${show(text)} is IPv${fam} but the address ${addr.address}/${addr.prefixLength} is IPv${addr.family}`);
  }
  const gw = canonical(text, fam);
  if (gw === addr.address) throw usage(`gateway ${show(text)} is the interface's own address`);
  const problem = badUnicast(gw, fam);
  if (problem !== undefined) throw usage(`gateway ${show(text)} is ${problem}`);
  if (fam === 4 && isSubnetBroadcast(addr.address, addr.prefixLength, gw)) {
    throw usage(`gateway ${show(text)} is the broadcast address of ${addr.address}/${addr.prefixLength}`);
  }
  return gw;
}

function parsePrefixLength(text: string, fam: Family, addrText: string): number {
  const max = fam === 4 ? 32 : 128;
  if (fam === 4 && text.includes('.')) {
    if (!isIPv4(text)) throw usage(`invalid netmask ${show(text)} in ${show(addrText)}`);
    const hostBits = ~ipv4Value(text) >>> 0;
    // Contiguous when the host part is 0...01...1: adding one clears every bit.
    if ((hostBits & (hostBits + 1)) !== 0) {
      throw usage(`netmask ${show(text)} in ${show(addrText)} is not contiguous`);
    }
    return 32 - Math.log2(hostBits + 1);
  }
  if (!/^(0|[1-9][0-9]*)$/.test(text)) {
    throw usage(
      text === ''
        ? `missing prefix length after '/' in ${show(addrText)}`
        : `prefix length ${show(text)} in ${show(addrText)} is not a number 0..${max}`,
    );
  }
  const n = Number(text);
  if (n > max) throw usage(`prefix length ${n} in ${show(addrText)} is out of range: IPv${fam} allows 0..${max}`);
  return n;
}

/** Refuses what can never be an interface's own address. */
function checkHostAddress(address: string, fam: Family, prefixLength: number, addrText: string): void {
  const problem = badUnicast(address, fam);
  if (problem !== undefined && !(fam === 4 && problem === 'a loopback address')) {
    // 127.0.0.0/8 on an interface is odd but the kernel and the original allow it.
    throw usage(`${show(addrText)} is ${problem}, not an interface address`);
  }
  if (fam === 4 && isSubnetBroadcast(address, prefixLength, address)) {
    throw usage(`${show(addrText)} is the broadcast address of its subnet, not an interface address`);
  }
}

/** Why an address is not usable as a unicast host or gateway address, or undefined. */
function badUnicast(address: string, fam: Family): string | undefined {
  if (fam === 4) {
    const v = ipv4Value(address);
    if (v === 0) return 'the unspecified address';
    if (v === 0xffffffff) return 'the broadcast address';
    if (v >>> 28 === 0xe) return 'a multicast address';
    if (v >>> 24 === 127) return 'a loopback address';
    return undefined;
  }
  const b = ipv6Bytes(address);
  if (b.every((x) => x === 0)) return 'the unspecified address';
  if (b.subarray(0, 15).every((x) => x === 0) && b[15] === 1) return 'the loopback address';
  if (b[0] === 0xff) return 'a multicast address';
  return undefined;
}

function ipFamily(text: string): Family | undefined {
  if (isIPv4(text)) return 4; // dotted quad, decimal, no leading zeros
  if (!text.includes('%') && isIPv6(text)) return 6; // a zone index is never right here
  return undefined;
}

/** IPv4 as is (isIPv4 admits only the canonical form); IPv6 compressed, lower case (RFC 5952). */
function canonical(text: string, fam: Family): string {
  if (fam === 4) return text;
  return new SocketAddress({ address: text, family: 'ipv6' }).address;
}

function ipv4Value(text: string): number {
  return ipv4Bytes(text).readUInt32BE(0);
}

function isSubnetBroadcast(address: string, prefixLength: number, candidate: string): boolean {
  const brd = ipv4Broadcast(ipv4Bytes(address), prefixLength);
  return brd !== undefined && brd.equals(ipv4Bytes(candidate));
}
