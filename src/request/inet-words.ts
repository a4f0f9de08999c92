// The values `ip route` and `ip rule` words take, read as iproute2 reads
// them (lib/utils.c get_prefix/get_addr/get_u32, lib/rt_names.c): prefixes,
// addresses, 32-bit numbers, and the names of tables, protocols and scopes.
// Every refusal names the word and the keyword it followed.
import { isIPv4, isIPv6 } from 'node:net';
import { formatIp, ipv4Bytes, ipv6Bytes } from '../packet';
import { usage } from '../errors';
import type { Family } from './types';
import type { Words } from './words';

export interface Prefix {
  family: Family;
  /** Canonical text of the address (IPv6 compressed as inet_ntop writes it). */
  address: string;
  length: number;
}

/** IPv4 or IPv6 by its text; undefined when it is neither (a zone index is never right here). */
export function addressFamily(text: string): Family | undefined {
  if (isIPv4(text)) return 4;
  if (!text.includes('%') && isIPv6(text)) return 6;
  return undefined;
}

export function addressBytes(p: { family: Family; address: string }): Buffer {
  return p.family === 4 ? ipv4Bytes(p.address) : ipv6Bytes(p.address);
}

/** Same family as the others already read: -4/-6, or the first address's. */
export class FamilyOf {
  constructor(
    private readonly w: Words,
    public family: Family | undefined,
  ) {}

  check(word: string, f: Family, keyword: string): void {
    if (this.family !== undefined && this.family !== f) throw this.w.bad(word, `an IPv${this.family} address (${keyword})`);
    this.family = f;
  }
}

/** An address, no prefix length: `via`, `src`, `get`'s destination. */
export function readAddress(w: Words, fam: FamilyOf, keyword: string): { family: Family; address: string } {
  const word = w.next(`an address after ${keyword}`);
  const f = addressFamily(word);
  if (f === undefined) throw w.bad(word, `an IP address (${keyword})`);
  fam.check(word, f, keyword);
  return { family: f, address: addressText(word, f) };
}

/**
 * ADDR/LEN, or ADDR alone (a host: /32, /128). `all` (rule from/to) and
 * `default` (route) are the caller's to recognise first. The host bits are
 * left as written: the kernel decides about them, as it does for iproute2.
 */
export function readPrefix(w: Words, fam: FamilyOf, keyword: string, word = w.next(`a prefix after ${keyword}`)): Prefix {
  const slash = word.indexOf('/');
  const addr = slash < 0 ? word : word.slice(0, slash);
  const f = addressFamily(addr);
  if (f === undefined) throw w.bad(word, `a prefix (${keyword}): ADDRESS[/LENGTH]`);
  fam.check(word, f, keyword);
  const max = f === 4 ? 32 : 128;
  let length = max;
  if (slash >= 0) {
    const lenText = word.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText) || Number(lenText) > max) throw w.bad(word, `a prefix (${keyword}): the length after / must be 0..${max}`);
    length = Number(lenText);
  }
  return { family: f, address: addressText(addr, f), length };
}

function addressText(text: string, f: Family): string {
  // inet_ntop's form, as `ip` prints it back.
  return f === 4 ? text : formatIp(ipv6Bytes(text));
}

/** A 32-bit unsigned number, decimal or 0x hex (no leading zeros: iproute2 would read them as octal). */
export function readU32(w: Words, keyword: string, what = 'a number', min = 0): number {
  const word = w.next(`${what} after ${keyword}`);
  return parseU32(w, word, keyword, what, min);
}

export function parseU32(w: Words, word: string, keyword: string, what = 'a number', min = 0): number {
  const ok = /^(0|[1-9][0-9]*|0[xX][0-9a-fA-F]+)$/.test(word);
  const n = ok ? Number(word) : NaN;
  if (!Number.isInteger(n) || n > 0xffffffff || n < min) throw w.bad(word, `${what} (${keyword}): ${min}..4294967295`);
  return n;
}

/** lib/rt_names.c's built-in names (and /etc/iproute2's defaults). */
export const TABLE_NAMES: Readonly<Record<string, number>> = { default: 253, main: 254, local: 255 };
export const PROTO_NAMES: Readonly<Record<string, number>> = {
  unspec: 0, redirect: 1, kernel: 2, boot: 3, static: 4, gated: 8, ra: 9, mrt: 10, zebra: 11, bird: 12, dnrouted: 13,
  xorp: 14, ntk: 15, dhcp: 16, keepalived: 18, babel: 42, openr: 99, bgp: 186, isis: 187, ospf: 188, rip: 189, eigrp: 192,
};
export const SCOPE_NAMES: Readonly<Record<string, number>> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };

/** A number by its name in `names`, or itself, up to `max`. */
export function readNamed(w: Words, keyword: string, names: Readonly<Record<string, number>>, max: number, what: string, min = 0): number {
  const word = w.next(`${what} after ${keyword}`);
  if (Object.hasOwn(names, word)) return names[word]!;
  const ok = /^(0|[1-9][0-9]*|0[xX][0-9a-fA-F]+)$/.test(word) && Number(word) <= max && Number(word) >= min;
  if (!ok) throw w.bad(word, `${what} (${keyword}): ${Object.keys(names).join(', ')} or ${min}..${max}`);
  return Number(word);
}

/** The name iproute2 prints for a number, or the number. */
export function nameOf(names: Readonly<Record<string, number>>, n: number): string {
  for (const [k, v] of Object.entries(names)) if (v === n && k !== 'universe') return k;
  return String(n);
}

/** A table to add to or delete from: a name or 1..2^32-1. */
export function readTable(w: Words, keyword: string): number {
  return readNamed(w, keyword, TABLE_NAMES, 0xffffffff, 'a table', 1);
}

/**
 * The words of route's and rule's object form, in the order the grammar reads
 * them, so that every check stays the words': `-4`/`-6`, the command, then
 * `field value` for each field given, and `flag` alone when it is true.
 */
export function objectWords(what: string, o: { family?: unknown; command?: unknown }, flag: string, fields: readonly string[]): string[] {
  if (typeof o !== 'object' || o === null) throw usage(`${what}: expected words or an object, not ${typeof o}`);
  const words: string[] = [];
  if (o.family !== undefined) words.push(o.family === 4 ? '-4' : o.family === 6 ? '-6' : String(o.family));
  words.push(String(o.command));
  for (const [k, v] of Object.entries(o)) {
    if (k === 'command' || k === 'family' || v === undefined) continue;
    if (k === flag) {
      if (v === true) words.push(flag);
      else if (v !== false) throw usage(`${what}: ${flag} must be true or false`);
      continue;
    }
    if (!fields.includes(k)) throw usage(`${what}: unknown field ${k}`);
    words.push(k, String(v));
  }
  return words;
}
