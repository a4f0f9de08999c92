// Host-side interface names.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { Guest } from '../netns';
import { IFNAMSIZ } from '../request/names';

/**
 * pipework's host-side veth name, v<cif>pl<pid>, kept within the kernel's 15
 * bytes. Guests without a process (a named netns, a path) use the namespace's
 * inode in base 36 instead of a PID: unique while the namespace lives. When
 * the guest-side name makes it too long, that part becomes 5 hex digits of its
 * SHA-1, so two long names in one guest still get two host names.
 */
export function defaultHostLinkName(guestIf: string, guest: Guest): string {
  const id = guest.pid !== undefined ? String(guest.pid) : fs.fstatSync(guest.nsFd).ino.toString(36);
  const name = `v${guestIf}pl${id}`;
  if (Buffer.byteLength(name) < IFNAMSIZ) return name;
  const short = createHash('sha1').update(guestIf).digest('hex').slice(0, 5);
  return `v${short}pl${id}`.slice(0, IFNAMSIZ - 1);
}
