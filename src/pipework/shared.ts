// Shared host resources: a link several guests use (a bridge, a VLAN device;
// later an OVS bridge). The attach that creates one marks it as ours
// (sharedMark) and remembers its ifindex; removing it is for its last user
// only, and is done by ifindex after checking, at that index, that it still
// carries our mark and has no user left. A concurrent attach that joins it
// meanwhile either made it itself (EEXIST here: we use it, and it is not ours
// to remove) or finds it gone in its own final check and fails cleanly, so
// nothing is ever removed that another attach made or uses.
import { PipeworkError } from '../errors';
import { NetlinkError } from '../netlink';
import { setLink, type Link } from '../rtnl';
import { sharedMark } from './mark';
import type { Namespace } from './namespace';
import { change, type Step } from './plan';

export interface SharedLink {
  /** The host kind that uses it, for its mark: 'bridge'. */
  kind: string;
  /** Its name, and in messages: 'bridge br1'. */
  name: string;
  label: string;
  /** The iproute2 command that makes it, for --dry-run. */
  command: string;
  /** The RTM_NEWLINK that makes it (NLM_F_EXCL). */
  create(): Buffer;
  /** The error to throw when the kernel refuses to make it (a kind it lacks, said clearly); absent: the kernel's own. */
  refused?(e: unknown): unknown;
  /** Why an existing link of that name cannot serve (another attach made something else), or undefined. */
  unusable(link: Link): string | undefined;
  /** Whether anything still uses it, at that ifindex (a bridge: any port). */
  inUse(ns: Namespace, index: number): Promise<boolean>;
}

export interface SharedState {
  index: number;
  created: boolean;
}

/** Creates the resource, or uses the one a concurrent attach made first; undo releases it if we made it. */
export function createShared(ns: Namespace, r: SharedLink, onReady: (s: SharedState) => void): Step {
  const state: SharedState = { index: 0, created: false };
  return change(
    `create ${r.label}`,
    r.command,
    async () => {
      try {
        await ns.sock.request(r.create());
        state.created = true;
      } catch (e) {
        if (!(e instanceof NetlinkError && e.code === 'EEXIST')) throw r.refused ? r.refused(e) : e;
      }
      const made = await ns.linkByName(r.name);
      if (!made) throw new PipeworkError('HOSTIF_NOT_FOUND', `${r.label} vanished as soon as it was made`);
      const why = r.unusable(made);
      if (why) throw new PipeworkError('HOSTIF_UNSUPPORTED', `${r.label} appeared, but ${why}`);
      state.index = made.index;
      if (state.created) await ns.sock.request(setLink({ index: made.index, alias: sharedMark(r.kind) }));
      onReady(state);
    },
    async () => {
      // We made it in this very attach: ours even if the mark had not been set yet.
      if (state.created) await releaseShared(ns, r, state.index || undefined, true);
    },
  );
}

/**
 * Removes a shared resource we made once nothing uses it. 'kept' when it is
 * not ours or still in use; 'removed' or 'gone' otherwise. Without an index
 * (its creation failed before it was read back) it is found by name. Ours
 * means it carries our mark, or this process made it an instant ago.
 */
export async function releaseShared(ns: Namespace, r: SharedLink, index?: number, madeHere = false): Promise<'removed' | 'gone' | 'kept'> {
  const now = index ? await ns.linkByIndex(index) : await ns.linkByName(r.name);
  if (!now) return 'gone';
  if (!(madeHere || now.alias === sharedMark(r.kind)) || (await r.inUse(ns, now.index))) return 'kept';
  return (await ns.deleteLink({ index: now.index })) ? 'removed' : 'gone';
}
