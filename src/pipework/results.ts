// What the operations return: plain data, the same for the library and for
// the CLI's --json.
import type { Guest } from '../netns';
import type { Step } from './plan';

export interface GuestSummary {
  kind: Guest['kind'];
  name: string;
  id?: string | undefined;
  pid?: number | undefined;
}

export interface RouteSummary {
  /** 'default' or 'prefix/len' */
  dst: string;
  via?: string | undefined;
  dev: string;
}

export interface AttachResult {
  guest: GuestSummary;
  /** The host interface as the user named it (a bridge, a NIC, ...). */
  hostIf: string;
  /** The host-interface kind that made the guest's link: 'bridge', 'macvlan', ... */
  kind: string;
  /** Shared host resources this attach created, in the user's terms: 'bridge br1'. */
  created: string[];
  /** The host-side end, for kinds that have one (a veth's); absent for macvlan. */
  hostSide?: string | undefined;
  /** Guest-side interface name. */
  guestSide: string;
  mac: string;
  mtu: number;
  /** 'address/len' (on a dry run: what would be added). */
  addresses: string[];
  routes: RouteSummary[];
  /** What was sent to announce the address, if anything. */
  announced?: 'gratuitous-arp' | 'neighbour-advertisement' | undefined;
  /** True when an earlier attach had already made exactly this: nothing was changed. */
  alreadyInPlace?: boolean | undefined;
  /** How the link reaches the host, one phrase: 'host side veth1pl42 on bridge br1 (created)', 'macvlan on eth2, mode bridge'. */
  link: string;
  /** What the attach did beyond the obvious, one line each: 'enabled IPv6 on eth1 (disable_ipv6 was 1)'. */
  notes: string[];
  /** With a DHCP keyword: the lease (DNS servers and domain are reported, written nowhere). */
  dhcp?: DhcpSummary | undefined;
  /**
   * With a `-f` keyword: the lease held in the foreground (pipework/held-lease.ts).
   * Not enumerable, so JSON output leaves it out.
   */
  readonly lease?: import('./held-lease').HeldLease | undefined;
}

export interface DhcpSummary {
  /** The keyword's client ('dhcp', 'udhcpc', ...): all are the built-in one. */
  client: string;
  server: string;
  /** null: infinite. */
  leaseSeconds: number | null;
  renewSeconds: number | null;
  rebindSeconds: number | null;
  /** ISO time the lease ends, null for infinite. */
  expires: string | null;
  /** True when held and renewed (`-f`). */
  renewed: boolean;
  dns: string[];
  domain?: string | undefined;
  mtu?: number | undefined;
  /** Option 12 as sent. */
  hostname: string;
  naks?: number | undefined;
  declined?: number | undefined;
  /** Frames dropped as malformed or not ours. */
  dropped?: number | undefined;
}

/** What planning an operation gives: its steps, and its result, complete once they have run. */
export interface Planned<R> {
  steps: Step[];
  result: R;
  /** Fills the result with what would be done, for a dry run. */
  preview?: (() => void) | undefined;
}

export type AttachPlan = Planned<AttachResult>;

export function summariseGuest(g: Guest): GuestSummary {
  return { kind: g.kind, name: g.name, id: g.id, pid: g.pid };
}
