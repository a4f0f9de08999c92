// A host-interface kind: how the guest's link reaches the host (a veth on a
// Linux bridge, a macvlan on a NIC, ...). Each kind lives in a file of its own
// and is listed once in registry.ts; nothing else knows what a kind is.
import type { LinkRemover } from '../bulk-detach';
import type { Link } from '../../rtnl';
import type { AttachContext } from '../context';
import type { Mark } from '../mark';
import type { Namespace } from '../namespace';
import type { Step } from '../plan';
import type { Guest } from '../../netns';
import type { GcRequest } from '../../request/types';

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
  /** Open vSwitch's database as the detach names it (DetachRequest.ovsdb), for kinds that keep state there. */
  ovsdb?: string | undefined;
  /** Teardown steps call it once the attachment is really gone (not when someone else removed it first). */
  removed(): void;
  /** In a batch: removes the link together with the batch's others (bulk-detach.ts) instead of on its own. */
  bulk?: LinkRemover | undefined;
}

export interface Teardown {
  steps: Step[];
  /** The host-side end that goes too, when there is one in this host namespace. */
  hostSide?: string | undefined;
  /** For a link that is not removed but goes back to the host (a moved NIC): its name there. */
  givenBack?: string | undefined;
}

/** gc's verdict on a host link of a kind whose links come back to the host (a moved NIC). */
export interface Reclaim {
  /** Why, in the user's terms: 'it is back on the host'. */
  reason: string;
  /** What gives it back what it had; absent: it is kept (reason says why). */
  step?: Step | undefined;
  /** Without a step: true when it is rightly where it is (its guest is there), false when that cannot be told. */
  kept?: boolean | undefined;
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
  /** Whether the host interface, as found, is this kind's (the registry asks in its order; a kind may have to ask a daemon). */
  claims(found: HostIfFound, req: AttachContext['req']): boolean | Promise<boolean>;
  /** For a kind that moves the host interface itself: the name it has on the host, written in the mark (`<kind>=<name>`). */
  markHostName?(found: HostIfFound): string | undefined;
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
  /**
   * gc, for a kind whose guest links return to the host: a physical NIC goes
   * back to the initial namespace when its guest's namespace dies, under its
   * guest-side name (or devN when that is taken: net/core/dev.c,
   * default_device_exit_net()). Given such a host link carrying our mark,
   * says whether and how gc gives it back what it had.
   */
  reclaim?(host: Namespace, link: Link, mark: Mark, guestGone: () => Promise<boolean | undefined>): Promise<Reclaim>;
  /**
   * gc: what this kind left outside the kernel (an OVS port whose veth is
   * gone). `going` names the host links gc is removing in this run. Only
   * what goes (a step each) and what cannot be decided are returned.
   */
  leftovers?(host: Namespace, going: ReadonlySet<string>, req: GcRequest): Promise<Leftover[]>;
}

/** Something gc found, as its result reports it; `step` removes it (absent: undecided, kept). */
export interface Leftover {
  hostSide: string;
  guest: string;
  guestSide: string;
  reason: string;
  step?: Step | undefined;
}
