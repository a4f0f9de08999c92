// An address attribute (IFA_LOCAL, RTA_GATEWAY ...) is as long as its family's
// addresses: 4 bytes for AF_INET, 16 for AF_INET6 (the kernel's own policies,
// ifa_ipv4_policy / rtm_ipv4_policy). Anything else would reach formatIp() and
// fail there, far from the reply that carried it, so the decoders refuse it.
import { ParseError } from '../errors';
import { AF_INET, AF_INET6 } from './constants';

/** A copy of the attribute's bytes, checked against the family's address length. */
export function ipAttr(family: number, v: Buffer, what: string): Buffer {
  const want = family === AF_INET ? 4 : family === AF_INET6 ? 16 : undefined;
  if (want !== undefined && v.length !== want) {
    throw new ParseError(`${what} of ${v.length} bytes in an ${family === AF_INET ? 'IPv4' : 'IPv6'} message (${want} expected)`);
  }
  return Buffer.from(v);
}
