// A host-interface kind: how the guest's link reaches the host (a veth on a
// Linux bridge, a macvlan on a NIC, ...). Each kind lives in a file of its own
// and is listed once in registry.ts; nothing else knows what a kind is.
import type { Link } from '../../rtnl';
import type { AttachContext } from '../context';
import type { Mark } from '../mark';
import type { Namespace } from '../namespace';
import type { Step } from '../plan';
import type { Guest } from '../../netns';

/** What the registry found under the host interface's name (undefined: nothing). */
export interface HostIfFound {
  name: string;
  link: Link | undefined;
}

export interface KindPlan {
  /**
   * Steps after which the guest link exists, marked with ctx.alias, down,
   * and ctx.link is filled in. Each change has its undo.
   */
  steps: Step[];
  /** Checks that run after the configuration, before the announcement: is what the link hangs on still there? */
  confirm?: Step[] | undefined;
  /** MTU the guest link gets. */
  mtu: number;
  /** false: no announcement (a link that does no ARP, an ipvlan in mode l3); it says why in ctx.result.notes. */
  announce?: boolean | undefined;
}

/** What a kind says about an existing marked link of this guest and name, for a re-run. */
export interface Existing {
  /** Every way it differs from what is asked, in the user's terms; empty: the same attach. */
  differences: string[];
  /** The result's hostSide and link phrase, as they are. */
  hostSide?: string | undefined;
  link: string;
  /** MTU it should have. */
  mtu: number;
}

/** An attachment this kind made, as detach finds it in the guest. */
export interface Attachment {
  host: Namespace;
  guestNs: Namespace;
  guest: Guest;
  who: string;
  link: Link;
  mark: Mark;
  /** Teardown steps call it once the attachment is really gone (not when someone else removed it first). */
  removed(): void;
}

export interface Teardown {
  steps: Step[];
  /** The host-side end that goes too, when there is one in this host namespace. */
  hostSide?: string | undefined;
}

export interface HostIfKind {
  /** Written in the mark: 'bridge', 'macvlan'. */
  readonly name: string;
  /** Whether it honours `@VID` (an OVS port tag, a VLAN device, a bridge port VLAN); a kind without is refused one. */
  readonly vlans?: boolean;
  /** The guest-side name when no -i was given, if not pipework's eth1 (IPoIB: ib0). */
  readonly defaultGuestIf?: string;
  /** Whether it reads the `@` text as an InfiniBand partition key in hex (IPoIB) instead of a VLAN id. */
  readonly pkeys?: boolean;
  /** Whether the host interface, as found, is this kind's (the registry asks in its order). */
  claims(found: HostIfFound, req: AttachContext['req']): boolean;
  /** Read-only inspection, then the steps that make the guest link. Throws when the host interface is unusable. */
  plan(ctx: AttachContext, found: HostIfFound): Promise<KindPlan>;
  /** Compares an existing marked link (a re-run) with the request. */
  existing(ctx: AttachContext, found: HostIfFound, link: Link): Promise<Existing>;
  /** Steps that remove an attachment of this kind (detach). */
  teardown(a: Attachment): Promise<Teardown>;
  /**
   * gc: whether a host link carrying our mark is a host-side leftover of this
   * kind (a veth's host end). Kinds whose links live only in the guest (a
   * macvlan dies with its guest) leave nothing for gc and omit this.
   */
  hostSide?(link: Link): boolean;
}
