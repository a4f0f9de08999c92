// Whether the guest of a held lease is still there. Its going does not take
// the interface with it while we hold the lease: our packet and netlink
// sockets keep the guest's network namespace alive (a namespace lives while
// anything refers to it), so after `ip netns del`, or the container's or the
// process's exit, the veth would stay, on the host's bridge too, as long as
// the holder runs. So the holder looks at the file that leads to the guest's
// namespace (GUEST_KINDS' nsPath: /var/run/netns/NAME, /proc/PID/ns/net) and
// compares it with the namespace it opened, as Guest.isCurrent() does; a
// /proc file cannot be watched with inotify, so it is polled.
import * as fs from 'node:fs';
import { GUEST_KINDS, type Guest } from '../netns';
import { describeGuest } from './namespace';

/** How often a holder looks (a stat: microseconds); the bound on how long it outlives its guest. */
export const GUEST_POLL_MS = 500;

/**
 * Returns a function that says why the guest is gone ('netns red is gone'),
 * or undefined while it is there. Reads the guest's identity now, while its
 * namespace handle is still open (the attach closes it when it returns).
 */
export function guestWatch(guest: Guest): () => string | undefined {
  const held = fs.fstatSync(guest.nsFd);
  const file = GUEST_KINDS[guest.kind].nsPath(guest);
  const who = describeGuest(guest);
  return () => {
    let now: fs.Stats;
    try {
      now = fs.statSync(file);
    } catch {
      return guest.kind === 'netns' || guest.kind === 'path' ? `${who} is gone (${file} was removed)` : `${who} is gone (its process exited)`;
    }
    return now.ino === held.ino && now.dev === held.dev ? undefined : `${who} is gone (${file} now leads to another namespace)`;
  };
}
