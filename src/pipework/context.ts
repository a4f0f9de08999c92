// What one attach knows, shared by its steps: the request and the two
// namespaces, the link the host-interface kind made (once it exists) and the
// addresses the address source produced (at plan time for a static address,
// at run time for a lease). Steps read it when they run, and --dry-run renders
// their commands from it, so a source that learns its address late plugs in.
import { GUEST_KINDS, type Guest } from '../netns';
import type { AddressSpec, AttachRequest } from '../request/types';
import type { Mark } from './mark';
import type { Namespace } from './namespace';
import type { AttachResult } from './results';

export interface GuestLink {
  /** ifindex inside the guest; 0 until the kind's steps made the link. */
  index: number;
  mac: Buffer;
  mtu: number;
}

export interface AttachContext {
  readonly req: AttachRequest;
  readonly host: Namespace;
  readonly guestNs: Namespace;
  readonly guest: Guest;
  /** 'container web1', 'netns red': the guest in messages. */
  readonly who: string;
  /** The guest-side interface name (-i). */
  readonly dev: string;
  /** Our mark for the guest link, as its alias will read. */
  readonly alias: string;
  readonly mark: Mark;
  readonly link: GuestLink;
  /** Addresses to configure, from the address source. */
  addresses: AddressSpec[];
  gateway?: string | undefined;
  /**
   * Set by a source that learns addresses and gateway while the attach runs
   * (DHCP): the gateway and route steps then decide when they run, not at plan time.
   */
  late?: boolean | undefined;
  /** Seconds the addresses are valid for (a lease's); permanent when absent. */
  addressLifetime?: number | undefined;
  /** More routes the source learnt (DHCP option 121); gateway '0.0.0.0' means on the link. */
  routes?: { dst: string; prefixLength: number; gateway: string }[] | undefined;
  /** The outcome, filled in as the steps run (on a dry run: what would be). */
  readonly result: AttachResult;
}

/** How the guest is named in an iproute2 `netns` argument, for --dry-run. */
export function netnsArgument(guest: Guest): string {
  return GUEST_KINDS[guest.kind].netnsArgument(guest);
}
