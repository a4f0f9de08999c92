// The guest-side `[mac][@vlan]` argument of pipework's grammar: a colon MAC,
// or `U:<string>`, a stable MAC derived from a name so that a container keeps
// its address (and DHCP lease) across restarts; then an optional 802.1Q VLAN id.
//
// The original computes `echo $macunique | md5sum` and keeps 5 bytes after a
// 02 (locally administered, unicast) octet, so the hash covers the string
// plus echo's newline. `$macunique` is unquoted there, which has the shell
// split it into words and echo join them with single spaces: 'U:a  b' hashes
// "a b\n". normaliseMac reproduces that; it does not reproduce the shell's
// glob expansion of '*' or '?' against the current directory, nor dash's
// echo turning backslash sequences into characters, both of which make the
// original's result depend on where and under which shell it ran.

import { createHash } from 'node:crypto';
import { PipeworkError, unsupported, usage } from '../errors';
import { isPkeyText } from './pkey';
import { formatMac, isMulticastMac, isZeroMac, parseMac } from '../packet/ethernet';
import { firstLine, show } from './quote';

/** '02:' + the first 5 bytes of md5(s + '\n'): pipework's U:<s> for a string the shell leaves alone. */
export function macFromString(s: string): string {
  const digest = createHash('md5').update(`${s}\n`, 'utf8').digest();
  return formatMac(Buffer.from([0x02, ...digest.subarray(0, 5)]));
}

/** What the unquoted `echo $x` writes before its newline (default IFS). */
function shellWords(s: string): string {
  return s
    .split(/[ \t\n]+/)
    .filter((w) => w !== '')
    .join(' ');
}

/**
 * 'U:<string>' or a colon MAC in any case, to the lower-case colon form.
 * Refuses group (multicast, broadcast) and all-zero addresses, which no
 * interface can take, with a one-line USAGE error naming the value.
 */
export function normaliseMac(text: string): string {
  // pipework matches `U:*` case-sensitively and keeps everything after the
  // first colon, further colons included.
  if (text.startsWith('U:')) return macFromString(shellWords(text.slice(2)));
  const bytes = parseMac(text);
  if (isMulticastMac(bytes)) {
    throw usage(`MAC address ${JSON.stringify(text)} is a multicast address (low bit of the first byte set); an interface needs a unicast one`);
  }
  if (isZeroMac(bytes)) throw usage(`MAC address ${JSON.stringify(text)} is all zeros`);
  return formatMac(bytes);
}

export interface MacArgument {
  mac?: string | undefined;
  vlan?: number | undefined;
  /** The text after '@' when it is no VLAN id (see AttachRequest.tag). */
  tag?: string | undefined;
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
  if (vlanText !== undefined) {
    // `@8001` is no VLAN id but may be an IPoIB partition key: only the host
    // interface can tell, so such a text waits for it (checkTag); anything
    // that is neither is refused now, as a VLAN id.
    if (isVlan(vlanText) || !isPkeyText(vlanText)) result.vlan = parseVlan(vlanText, token);
    else result.tag = vlanText;
  }
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

const isVlan = (text: string): boolean => /^[1-9][0-9]{0,3}$/.test(text) && Number(text) <= 4094;

/** The text after '@' as the user wrote it, whether a VLAN id or not (a VLAN id's text is its decimal form). */
export function tagText(req: { tag?: string | undefined; vlan?: number | undefined }): string | undefined {
  return req.tag ?? (req.vlan === undefined ? undefined : String(req.vlan));
}

/**
 * The '@' text where the host interface is known: a kind that reads partition
 * keys takes it as one; any other needs a VLAN id (the request's own refusal,
 * deferred), and a kind without VLANs refuses even that (UNSUPPORTED).
 */
export function checkTag(req: { tag?: string | undefined; vlan?: number | undefined }, kind: { pkeys?: boolean; vlans?: boolean }, hostIf: string): void {
  if (kind.pkeys || (req.tag === undefined && req.vlan === undefined)) return;
  const vlan = req.vlan ?? parseVlan(req.tag!);
  if (!kind.vlans) throw unsupported(`VLAN tagging (@${vlan}) on ${hostIf}`);
}

/** An 802.1Q VLAN id, 1..4094 (0 and 4095 are reserved), decimal without leading zeros. */
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
