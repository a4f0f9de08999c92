// pipework's command line to a validated, normalised request. Pure: no I/O, no
// syscalls; every rejection is a PipeworkError with code USAGE and one line that
// names the offending argument.
//
// Grammar on this path (see COMPAT.md):
//
//   pipework <hostif> [-i cif] [-l lif] [-a 4|6] <guest> <ip>/<len>[@gw] [mac][@vlan]
//   pipework detach [-i cif] <guest>
//   pipework detach --all <guest>
//   pipework gc
//   pipework show <guest>
//   pipework --wait [-i cif] [--timeout S]
//
// Placement. The original looks for -i, then -l, then -a at fixed positions
// right after the host interface. We accept them there, in that order, and also
// in any order among themselves; they must still sit between the host interface
// (or `detach`) and the guest, and each may appear once.
//
// Global options, accepted anywhere before `--`: --host-netns NS (or
// --host-netns=NS), --json, --dry-run, --help / -h. --help wins over everything
// else on the line. --json and --dry-run may be repeated harmlessly; a second
// --host-netns is an error.
//
// `--` ends options: every later argument is positional, so a guest or an
// interface whose name starts with '-' can be written `pipework br1 -- -odd ...`.
// Put -i/-l/-a before it.
//
// `detach`, `show` and `gc` as the first positional argument are commands; `route`,
// `rule`, `tc`, `mac:<hostif-mac>`, `--direct-phys` and the DHCP keywords are
// recognised and refused as not supported yet.
//
// --wait (anywhere before `--`, as the other options) makes the line a wait: it
// takes -i (anywhere, default eth1) and --timeout S (or --timeout=S; seconds,
// decimals allowed, more than 0; without it the wait has no end, as the
// original's), no positional argument, no -l or -a, and not --dry-run.
// --timeout without --wait is an error.

import { SocketAddress, isIPv4, isIPv6 } from 'node:net';
import { PipeworkError, usage } from '../errors';
import { normaliseMac } from '../pipework/mac';
import { ipv4Broadcast, ipv4Bytes, ipv6Bytes } from '../packet';
import type {
  AddressSpec,
  AttachRequest,
  DetachRequest,
  GcRequest,
  Family,
  GlobalOptions,
  Request,
  ShowRequest,
  WaitRequest,
} from '../request/types';

export type ParsedCommandLine =
  | { options: GlobalOptions; request: Request }
  | { options: GlobalOptions; help: true };

/** pipework's guest-side interface name when -i is not given. */
export const DEFAULT_GUEST_IF = 'eth1';

type LocalFlag = '-i' | '-l' | '-a';
const LOCAL_FLAGS: readonly string[] = ['-i', '-l', '-a'];
const LOCAL_VALUE: Record<LocalFlag, string> = {
  '-i': 'a guest interface name',
  '-l': 'a host-side interface name',
  '-a': 'an address family, 4 or 6',
};

const DHCP_KEYWORD = /^(dhcp|udhcpc|udhcpc-f|dhcpcd|dhclient|dhclient-f)(:.*)?$/s;

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const end = argv.indexOf('--');
  const optionZone = end < 0 ? argv : argv.slice(0, end);

  if (optionZone.some((a) => a === '--help' || a === '-h')) {
    // --help wins even over a malformed rest of the line.
    return {
      options: { json: optionZone.includes('--json'), dryRun: optionZone.includes('--dry-run') },
      help: true,
    };
  }
  refuseUnsupported(argv, end);

  const options: GlobalOptions = { json: false, dryRun: false };
  const positionals: string[] = [];
  const locals = new Map<LocalFlag, string>();
  let hostNetnsSeen = false;
  const waitMode = optionZone.includes('--wait');
  let waitSeen = false;
  let all = false;
  let timeoutMs: number | undefined;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if ((end >= 0 && i > end) || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (i === end) continue;
    if (arg === '--json') {
      options.json = true;
      continue;
    }
    if (arg === '--dry-run') {
      options.dryRun = true;
      continue;
    }
    if (arg === '--host-netns' || arg.startsWith('--host-netns=')) {
      if (hostNetnsSeen) throw usage('--host-netns given twice');
      hostNetnsSeen = true;
      let value: string;
      if (arg === '--host-netns') {
        const next = argv[i + 1];
        if (next === undefined) throw usage('--host-netns needs a namespace name or path');
        if (next.startsWith('-')) throw usage(`--host-netns needs a namespace name or path, got ${show(next)}`);
        value = next;
        i++;
      } else {
        value = arg.slice('--host-netns='.length);
      }
      options.hostNetns = checkHostNetns(value);
      continue;
    }
    if (arg === '--all') {
      if (all) throw usage('--all given twice');
      all = true;
      continue;
    }
    if (arg === '--wait') {
      if (waitSeen) throw usage('--wait given twice');
      waitSeen = true;
      continue;
    }
    if (arg === '--timeout' || arg.startsWith('--timeout=')) {
      if (!waitMode) throw usage(`--timeout applies only to --wait: ${WAIT_USAGE}`);
      if (timeoutMs !== undefined) throw usage('--timeout given twice');
      let value: string;
      if (arg === '--timeout') {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('-')) {
          throw usage(`--timeout needs a number of seconds, e.g. --timeout 5${next === undefined ? '' : `, got ${show(next)}`}`);
        }
        value = next;
        i++;
      } else {
        value = arg.slice('--timeout='.length);
      }
      timeoutMs = parseTimeout(value);
      continue;
    }
    if (waitMode && LOCAL_FLAGS.includes(arg)) {
      if (arg !== '-i') throw usage(`--wait does not take ${arg}: ${WAIT_USAGE}`);
      if (locals.has('-i')) throw usage('-i given twice');
      const next = argv[i + 1];
      if (next === undefined) throw usage(`-i needs ${LOCAL_VALUE['-i']}`);
      if (next.startsWith('-')) throw usage(`-i needs ${LOCAL_VALUE['-i']}, got ${show(next)}`);
      locals.set('-i', next);
      i++;
      continue;
    }
    if (LOCAL_FLAGS.includes(arg)) {
      const flag = arg as LocalFlag;
      if (positionals.length === 0) {
        throw usage(`${flag} must come after the host interface, e.g. pipework br1 ${flag} ...`);
      }
      if (positionals.length > 1) {
        throw usage(`${flag} must come before the guest ${show(positionals[1]!)}, right after ${show(positionals[0]!)}`);
      }
      if (locals.has(flag)) throw usage(`${flag} given twice`);
      const next = argv[i + 1];
      if (next === undefined) throw usage(`${flag} needs ${LOCAL_VALUE[flag]}`);
      if (next.startsWith('-')) throw usage(`${flag} needs ${LOCAL_VALUE[flag]}, got ${show(next)}`);
      locals.set(flag, next);
      i++;
      continue;
    }
    throw usage(`unknown option ${show(arg)}`);
  }

  if (waitMode) return { options, request: waitRequest(positionals, locals, timeoutMs, options) };
  const first = positionals[0];
  if (first === undefined) {
    throw usage('missing host interface: pipework <hostif> [-i cif] <guest> <ip>/<len> (see pipework --help)');
  }
  if (all && first !== 'detach') throw usage(`--all applies only to detach: pipework detach --all <guest>`);
  let request: Request;
  if (first === 'detach') request = detachRequest(positionals, locals, all);
  else if (first === 'show') request = showRequest(positionals, locals);
  else if (first === 'gc') request = gcRequest(positionals, locals);
  else request = attachRequest(positionals, locals);
  return { options, request };
}

// ---------------------------------------------------------------------------
// Commands

function attachRequest(pos: string[], locals: Map<LocalFlag, string>): AttachRequest {
  const [hostIf, guest, addressArg, macArg] = pos as [string, ...(string | undefined)[]];
  if (pos.length > 4) throw usage(`unexpected argument ${show(pos[4]!)} after ${show(macArg!)}`);
  if (guest === undefined) throw usage(`missing guest and address after ${show(hostIf)}`);
  if (addressArg === undefined) {
    throw usage(`missing address after guest ${show(guest)}: e.g. 198.51.100.33/24, or 0/0 for none`);
  }

  checkInterfaceName(hostIf, 'host interface');
  const guestIf = checkInterfaceName(locals.get('-i') ?? DEFAULT_GUEST_IF, '-i');
  const hostLinkName = locals.has('-l') ? checkInterfaceName(locals.get('-l')!, '-l') : undefined;
  if (hostLinkName === hostIf) throw usage(`-l ${show(hostLinkName)} is the host interface itself`);
  const familyArg = locals.get('-a');
  let family: Family | undefined;
  if (familyArg !== undefined) {
    if (familyArg !== '4' && familyArg !== '6') throw usage(`-a takes 4 or 6, not ${show(familyArg)}`);
    family = familyArg === '4' ? 4 : 6;
  }
  checkGuest(guest);
  const { address, gateway } = parseAddressArgument(addressArg, family);
  const { mac, vlan } = parseMacArgument(macArg ?? '');

  const request: AttachRequest = { op: 'attach', hostIf, guest, guestIf };
  if (hostLinkName !== undefined) request.hostLinkName = hostLinkName;
  if (address !== undefined) request.address = address;
  if (gateway !== undefined) request.gateway = gateway;
  if (mac !== undefined) request.mac = mac;
  if (vlan !== undefined) request.vlan = vlan;
  return request;
}

function detachRequest(pos: string[], locals: Map<LocalFlag, string>, all: boolean): DetachRequest {
  for (const flag of ['-l', '-a'] as const) {
    if (locals.has(flag)) throw usage(`detach does not take ${flag}: pipework detach [-i cif] <guest>`);
  }
  if (all && locals.has('-i')) throw usage('detach --all removes every interface pipework added: it takes no -i');
  const guest = pos[1];
  if (guest === undefined) throw usage('missing guest after detach: pipework detach [-i cif] <guest>');
  if (pos.length > 2) throw usage(`unexpected argument ${show(pos[2]!)} after detach ${show(guest)}`);
  const guestIf = checkInterfaceName(locals.get('-i') ?? DEFAULT_GUEST_IF, '-i');
  checkGuest(guest);
  return all ? { op: 'detach', guest, guestIf, all } : { op: 'detach', guest, guestIf };
}

function gcRequest(pos: string[], locals: Map<LocalFlag, string>): GcRequest {
  const flag = locals.keys().next();
  if (!flag.done) throw usage(`gc does not take ${flag.value}: pipework gc [--host-netns NS] [--dry-run]`);
  if (pos.length > 1) throw usage(`unexpected argument ${show(pos[1]!)} after gc: pipework gc [--host-netns NS] [--dry-run]`);
  return { op: 'gc' };
}

function showRequest(pos: string[], locals: Map<LocalFlag, string>): ShowRequest {
  const flag = locals.keys().next();
  if (!flag.done) throw usage(`show does not take ${flag.value}: pipework show <guest>`);
  const guest = pos[1];
  if (guest === undefined) throw usage('missing guest after show: pipework show <guest>');
  if (pos.length > 2) throw usage(`unexpected argument ${show(pos[2]!)} after show ${show(guest)}`);
  checkGuest(guest);
  return { op: 'show', guest };
}

const WAIT_USAGE = 'pipework --wait [-i cif] [--timeout S]';

function waitRequest(pos: string[], locals: Map<LocalFlag, string>, timeoutMs: number | undefined, options: GlobalOptions): WaitRequest {
  if (pos.length > 0) {
    throw usage(`unexpected argument ${show(pos[0]!)}: --wait takes no host interface, guest or address (${WAIT_USAGE})`);
  }
  if (options.dryRun) throw usage('--dry-run does not apply to --wait, which changes nothing');
  const request: WaitRequest = { op: 'wait', guestIf: checkInterfaceName(locals.get('-i') ?? DEFAULT_GUEST_IF, '-i') };
  if (timeoutMs !== undefined) request.timeoutMs = timeoutMs;
  return request;
}

/**
 * --timeout's value: seconds, a plain decimal (5, 0.5, .5, 2.), more than 0.
 * Returns milliseconds, rounded, at least 1.
 */
export function parseTimeout(text: string): number {
  if (!/^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/.test(text)) {
    throw usage(`--timeout takes a number of seconds such as 5 or 0.5, not ${show(text)}`);
  }
  const s = Number(text);
  if (!(s > 0)) throw usage(`--timeout ${show(text)} must be more than 0 seconds`);
  if (!Number.isFinite(s * 1000)) throw usage(`--timeout ${show(text)} is too large`);
  return Math.max(1, Math.round(s * 1000));
}

/** Forms of the original this implementation recognises but does not do yet. */
function refuseUnsupported(argv: readonly string[], end: number): void {
  const zone = end < 0 ? argv : argv.slice(0, end);
  for (const flag of ['--direct-phys']) {
    if (zone.includes(flag)) throw usage(`${flag} is not supported yet`);
  }
  // The first argument that is not a global option is the command word.
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (i === end) {
      i++;
      break;
    }
    if (a === '--json' || a === '--dry-run' || a.startsWith('--host-netns=')) i++;
    else if (a === '--host-netns') i += 2;
    else break;
  }
  const word = argv[i];
  if (word === 'route' || word === 'rule' || word === 'tc') {
    throw usage(`'pipework ${word}' is not supported yet`);
  }
  if (word !== undefined && word.startsWith('mac:')) {
    throw usage(`selecting the host interface by MAC address (${show(word)}) is not supported yet`);
  }
}

// ---------------------------------------------------------------------------
// Names

const IFNAMSIZ = 16;

/**
 * Validates an interface name as the kernel's dev_valid_name() does: 1..15
 * bytes, not '.' or '..', no '/', ':' or whitespace (the kernel's isspace(),
 * which includes byte 0xa0). Also refuses '%': the kernel treats a name with
 * '%' as a template ('veth%d') and would pick another name. `what` names the
 * argument in the error ('-i', 'host interface'). Returns the name.
 */
export function checkInterfaceName(name: string, what: string): string {
  const label = what.startsWith('-') ? `${what} ` : `${what} name `;
  if (name === '') throw usage(`${what} needs an interface name, got an empty one`);
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length >= IFNAMSIZ) {
    throw usage(`${label}${show(name)} is too long: ${bytes.length} bytes, at most ${IFNAMSIZ - 1}`);
  }
  if (name === '.' || name === '..') throw usage(`${label}${show(name)} is not a valid interface name`);
  for (const b of bytes) {
    const bad =
      b === 0x2f ? "'/'"
      : b === 0x3a ? "':'"
      : b === 0x25 ? "'%'"
      : b === 0 ? 'a NUL byte'
      : b === 0x20 || (b >= 0x09 && b <= 0x0d) || b === 0xa0 ? 'white space'
      : undefined;
    if (bad !== undefined) throw usage(`${label}${show(name)} contains ${bad}, which interface names cannot`);
  }
  return name;
}

function checkGuest(guest: string): void {
  if (guest === '') throw usage('guest is empty: name a container, netns:NAME, pid:PID or a path');
}

function checkHostNetns(value: string): string {
  if (value === '') throw usage('--host-netns needs a namespace name or path, got an empty one');
  if (value.includes('\0')) throw usage(`--host-netns ${show(value)} contains a NUL byte`);
  if (!value.includes('/') && (value === '.' || value === '..')) {
    throw usage(`--host-netns ${show(value)} is not a namespace name`);
  }
  return value;
}

// ---------------------------------------------------------------------------
// Addresses

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
  if (DHCP_KEYWORD.test(token)) {
    throw usage(`DHCP (${show(token)}) is not supported yet: give a static address such as 198.51.100.33/24`);
  }
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
    throw usage(`-a ${family} does not match the IPv${fam} address ${show(addrText)}`);
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

// ---------------------------------------------------------------------------
// MAC and VLAN

export interface MacArgument {
  mac?: string | undefined;
  vlan?: number | undefined;
}

/**
 * Parses `[mac][@vlan]`: a colon MAC or `U:<string>`, optionally followed by
 * `@vid`, or `@vid` alone. An empty argument means neither (the original
 * treats an empty fourth argument so, which scripts passing "$MAC" rely on).
 */
export function parseMacArgument(token: string): MacArgument {
  if (token === '') return {};
  const at = token.split('@');
  if (at.length > 2) throw usage(`${show(token)} has more than one '@': expected [mac][@vlan]`);
  const [macText, vlanText] = at as [string, string | undefined];
  const result: MacArgument = {};
  if (macText !== '') result.mac = checkMac(macText);
  if (vlanText !== undefined) result.vlan = parseVlan(vlanText, token);
  return result;
}

function checkMac(text: string): string {
  try {
    return normaliseMac(text);
  } catch (e) {
    if (!(e instanceof PipeworkError)) throw e;
    // Keep normaliseMac's reason, on one line, and make sure it names the argument.
    const reason = firstLine(e.message);
    if (reason.includes(text) || reason.includes(show(text))) throw reason === e.message ? e : usage(reason);
    throw usage(`invalid MAC address ${show(text)}: ${reason}`);
  }
}

/** An 802.1Q VLAN id, 1..4094, decimal without leading zeros. */
export function parseVlan(text: string, token: string = `@${text}`): number {
  if (text === '') throw usage(`missing VLAN id after '@' in ${show(token)}`);
  if (!/^[0-9]+$/.test(text)) throw usage(`VLAN id ${show(text)} in ${show(token)} is not a number 1..4094`);
  if (text.length > 1 && text.startsWith('0')) {
    throw usage(`VLAN id ${show(text)} in ${show(token)} has a leading zero (write it in decimal without one)`);
  }
  const n = Number(text);
  if (n < 1 || n > 4094) throw usage(`VLAN id ${show(text)} in ${show(token)} is out of range: 1..4094`);
  return n;
}

// ---------------------------------------------------------------------------
// Message helpers

/**
 * An argument as it appears in a one-line message: bare when it is plain, else
 * in double quotes with control, separator and other invisible characters
 * escaped, so that no argument can break the line or hide in it.
 */
export function show(arg: string): string {
  if (arg !== '' && !/[\s\p{C}\p{Z}"\\]/u.test(arg)) return arg;
  const escaped = arg.replace(/[\p{C}\p{Z}"\\]/gu, (c) => {
    if (c === ' ') return ' ';
    if (c === '"' || c === '\\') return `\\${c}`;
    const cp = c.codePointAt(0)!;
    return cp <= 0xffff ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\u{${cp.toString(16)}}`;
  });
  return `"${escaped}"`;
}

function firstLine(message: string): string {
  return message.split(/[\r\n\u2028\u2029]/, 1)[0]!;
}
