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
  /** The bridge on the host. */
  hostIf: string;
  bridgeCreated: boolean;
  /** Host-side veth name. */
  hostSide: string;
  /** Guest-side interface name. */
  guestSide: string;
  mac: string;
  mtu: number;
  /** 'address/len' */
  addresses: string[];
  routes: RouteSummary[];
  /** What was sent to announce the address, if anything. */
  announced?: 'gratuitous-arp' | 'neighbour-advertisement' | undefined;
  /** True when an earlier attach had already made exactly this: nothing was changed. */
  alreadyInPlace?: boolean | undefined;
}

export interface AttachPlan {
  steps: Step[];
  /** The outcome; complete once the steps have run. */
  result: AttachResult;
}

export function summariseGuest(g: Guest): GuestSummary {
  return { kind: g.kind, name: g.name, id: g.id, pid: g.pid };
}
