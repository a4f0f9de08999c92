// Interface names, as the kernel accepts them.
import { usage } from '../errors';
import { show } from './quote';

/** linux/if.h: a name and its NUL terminator fit in 16 bytes. */
export const IFNAMSIZ = 16;

/** pipework's guest-side interface name when -i is not given. */
export const DEFAULT_GUEST_IF = 'eth1';

/**
 * Validates an interface name as the kernel's dev_valid_name() does: 1..15
 * bytes, not '.' or '..', no '/', ':' or whitespace (the kernel's isspace(),
 * which includes byte 0xa0). Also refuses '%': the kernel treats a name with
 * '%' as a template ('veth%d') and would pick another name. `what` names the
 * argument in the error ('host interface', 'guest interface (-i)'). Returns the name.
 */
export function checkInterfaceName(name: unknown, what: string): string {
  if (typeof name !== 'string') throw usage(`${what} must be an interface name (a string), not ${typeof name}`);
  if (name === '') throw usage(`${what} needs an interface name, got an empty one`);
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length >= IFNAMSIZ) {
    throw usage(`${what} ${show(name)} is too long: ${bytes.length} bytes, at most ${IFNAMSIZ - 1}`);
  }
  if (name === '.' || name === '..') throw usage(`${what} ${show(name)} is not a valid interface name`);
  for (const b of bytes) {
    const bad =
      b === 0x2f ? "'/'"
      : b === 0x3a ? "':'"
      : b === 0x25 ? "'%'"
      : b === 0 ? 'a NUL byte'
      : b === 0x20 || (b >= 0x09 && b <= 0x0d) || b === 0xa0 ? 'white space'
      : undefined;
    if (bad !== undefined) throw usage(`${what} ${show(name)} contains ${bad}, which interface names cannot`);
  }
  return name;
}

/** What each name is called in messages: the user's term and the command line's option, so one message serves the CLI and the library. */
export const NAME_LABEL = {
  hostIf: 'host interface',
  guestIf: 'guest interface (-i)',
  hostLinkName: 'host-side interface (-l)',
} as const;
