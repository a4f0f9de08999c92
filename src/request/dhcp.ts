// The original's DHCP keywords in the address position, all mapped to the
// one built-in client:
//
//   dhcp[:OPTS]                       busybox udhcpc in a throwaway container there
//   udhcpc[:OPTS], udhcpc-f[:OPTS]    the host's udhcpc (-f: stays in the foreground)
//   dhclient[:OPTS], dhclient-f[:OPTS]
//   dhcpcd[:OPTS]
//   dhcp-f, dhcpcd-f                  not in the original; accepted for symmetry
//
// OPTS is what the original passed on to that client, split on blanks. The
// options that mean something to this client are honoured, whichever client's
// spelling is used; any other is refused, with the list of what is supported.
import { isIPv4 } from 'node:net';
import { usage } from '../errors';
import { show } from './quote';
import type { DhcpRequest } from './types';

const KEYWORD = /^(dhcp|udhcpc|dhclient|dhcpcd)(-f)?(?::(.*))?$/s;

/** Option names for -O (udhcpc's names for the ones a guest may want). */
const OPTION_NAMES: Record<string, number> = {
  subnet: 1, router: 3, dns: 6, hostname: 12, domain: 15, mtu: 26, broadcast: 28, ntpsrv: 42, wins: 44, lease: 51,
  staticroutes: 121, search: 119, tftp: 66, bootfile: 67,
};

export const DHCP_OPTIONS_HELP =
  '-f/-d/-B (foreground: hold and renew the lease), -q/-n/-1 (accepted: the default), -x hostname:NAME, -H/-h/-F NAME (hostname), -V/-i CLASS (vendor class), -O CODE|NAME (request an option), -r ADDR (request an address)';

/** Whether the address argument is a DHCP keyword (then parseDhcp reads it). */
export function isDhcpKeyword(token: string): boolean {
  return KEYWORD.test(token);
}

/**
 * A keyword and its options to the request; USAGE for an option this client
 * has no meaning for. The hostname, when no option sets it, is the guest's
 * name, filled in once the guest is resolved (the original sends $GUESTNAME).
 */
export function parseDhcp(token: string, timeoutMs = DEFAULT_DHCP_TIMEOUT_MS): DhcpRequest {
  const m = KEYWORD.exec(token);
  if (!m) throw usage(`${show(token)} is not a DHCP keyword`);
  const client = m[1] as DhcpRequest['client'];
  const req: DhcpRequest = { client, foreground: m[2] !== undefined, timeoutMs };
  const words = (m[3] ?? '').split(/[ \t\n]+/).filter((w) => w !== '');
  const value = (i: number, opt: string): string => {
    const v = words[i + 1];
    if (v === undefined) throw usage(`DHCP option ${opt} in ${show(token)} needs a value`);
    return v;
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    // --long=value forms of udhcpc and dhcpcd.
    const [flag, inline] = w.startsWith('--') && w.includes('=') ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : [w, undefined];
    const take = (): string => (inline !== undefined ? inline : value(i++, flag));
    switch (flag) {
      case '-f':
      case '-d':
      case '-B':
      case '--foreground':
        req.foreground = true;
        break;
      case '-q':
      case '-n':
      case '-1':
      case '--quit':
      case '--now':
        break;
      case '-x': {
        const v = take();
        if (!v.startsWith('hostname:')) throw usage(`DHCP option -x ${show(v)} in ${show(token)}: only -x hostname:NAME is supported`);
        req.hostname = checkText(v.slice('hostname:'.length), 'hostname', token);
        break;
      }
      case '-H':
      case '-h':
      case '-F':
      case '--hostname':
        req.hostname = checkText(take(), 'hostname', token);
        break;
      case '-V':
      case '-i':
      case '--vendorclass':
        req.vendorClass = checkText(take(), 'vendor class', token);
        break;
      case '-O':
      case '--request-option':
        (req.requested ??= []).push(optionCode(take(), token));
        break;
      case '-r':
      case '--request': {
        const v = take();
        if (!isIPv4(v)) throw usage(`DHCP option -r ${show(v)} in ${show(token)} is not an IPv4 address`);
        req.requestAddress = v;
        break;
      }
      default:
        throw usage(`DHCP option ${show(w)} in ${show(token)} is not supported by the built-in client; supported: ${DHCP_OPTIONS_HELP}`);
    }
  }
  return req;
}

function checkText(v: string, what: string, token: string): string {
  // Options 12 and 60 are at most 255 bytes; printable ASCII keeps servers' lease files sane.
  if (v === '' || v.length > 255 || !/^[\x21-\x7e]+$/.test(v)) throw usage(`DHCP ${what} ${show(v)} in ${show(token)} must be 1..255 printable characters`);
  return v;
}

function optionCode(v: string, token: string): number {
  if (/^[0-9]+$/.test(v)) {
    const n = Number(v);
    if (n >= 1 && n <= 254) return n;
  } else if (OPTION_NAMES[v] !== undefined) {
    return OPTION_NAMES[v]!;
  }
  throw usage(`DHCP option -O ${show(v)} in ${show(token)}: give an option code 1..254 or one of ${Object.keys(OPTION_NAMES).join(', ')}`);
}

/** --dhcp-timeout's value: seconds, more than 0; milliseconds out. Default 30 s. */
export const DEFAULT_DHCP_TIMEOUT_MS = 30_000;
export function parseDhcpTimeout(text: string): number {
  if (!/^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/.test(text) || !(Number(text) > 0) || !Number.isFinite(Number(text) * 1000)) {
    throw usage(`--dhcp-timeout takes a number of seconds more than 0, such as 30 or 2.5, not ${show(text)}`);
  }
  return Math.max(1, Math.round(Number(text) * 1000));
}
