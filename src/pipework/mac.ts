// The guest-side MAC argument of pipework's grammar: a colon MAC, or
// `U:<string>`, a stable MAC derived from a name so that a container keeps
// its address (and DHCP lease) across restarts.
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
import { usage } from '../errors';
import { formatMac, isMulticastMac, isZeroMac, parseMac } from '../packet/ethernet';

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
