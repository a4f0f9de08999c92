// detachRequest: library-shaped options (and the CLI's) to a DetachRequest.
import { usage } from '../errors';
import { checkGuest } from './guest';
import { DEFAULT_GUEST_IF, NAME_LABEL, checkInterfaceName } from './names';
import { checkOvsdb } from './ovs';
import type { DetachRequest } from './types';

export interface DetachOptions {
  guest: string;
  /** The guest-side interface to remove (default eth1); the CLI's -i. */
  guestIf?: string | undefined;
  /** Every interface pipework added to the guest (those carrying its mark); the CLI's --all. */
  all?: boolean | undefined;
  /** Remove guestIf even when it does not carry pipework's mark; the CLI's --force. */
  force?: boolean | undefined;
  /** Open vSwitch's database, unix:PATH, for a port to remove (the CLI's --ovsdb). */
  ovsdb?: string | undefined;
}

export function detachRequest(o: DetachOptions): DetachRequest {
  if (o.all && o.guestIf !== undefined) {
    throw usage(`detach --all removes every interface pipework added: it takes no ${NAME_LABEL.guestIf}`);
  }
  // --all picks interfaces by pipework's mark; --force is about one that lacks it.
  if (o.all && o.force) throw usage('detach --all removes only interfaces that carry pipework\'s mark: it takes no --force');
  const guestIf = checkInterfaceName(o.guestIf ?? DEFAULT_GUEST_IF, NAME_LABEL.guestIf);
  const guest = checkGuest(o.guest);
  const request: DetachRequest = { op: 'detach', guest, guestIf };
  if (o.all) request.all = true;
  if (o.force) request.force = true;
  if (o.ovsdb !== undefined) request.ovsdb = checkOvsdb(o.ovsdb);
  return request;
}
