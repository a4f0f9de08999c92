// Normalised requests: what the CLI parser and the library API both produce,
// and what planning consumes. Everything here is already validated.

export type Family = 4 | 6;

export interface AddressSpec {
  /** Canonical text form: 198.51.100.33, 2001:db8::5 */
  address: string;
  prefixLength: number;
  family: Family;
}

export interface AttachRequest {
  op: 'attach';
  /** The host interface as the user named it (a bridge on this path). */
  hostIf: string;
  /** The guest as the user named it: docker:web1, netns:red, pid:123, path:/..., or unprefixed. */
  guest: string;
  /** Guest-side interface name; pipework's default is eth1. */
  guestIf: string;
  /** Set when guestIf was given (-i); without, a host kind with a default of its own (IPoIB's ib0, as the original's) uses that instead of eth1. */
  guestIfGiven?: boolean | undefined;
  /** Host-side veth name (-l); default v<guestIf>pl<pid>, shortened to 15 bytes. */
  hostLinkName?: string | undefined;
  /** No address when undefined (pipework's 0/0). */
  address?: AddressSpec | undefined;
  /** Default gateway, same family as the address. */
  gateway?: string | undefined;
  /** Guest-side MAC, lower-case colon form, unicast. */
  mac?: string | undefined;
  /** 802.1Q VLAN id from `@vid`, when the text after '@' is one. */
  vlan?: number | undefined;
  /**
   * The text after '@' as written, when it is no VLAN id but may be an
   * InfiniBand partition key in hex (`@8001`, as the original reads it on an
   * IPoIB host interface); other kinds refuse it (tagText gives the text either way).
   */
  tag?: string | undefined;
  /** ipvlan instead of macvlan on a physical host interface (`--ipvlan M`). */
  ipvlanMode?: IpvlanMode | undefined;
  /** macvlan mode on a physical host interface (`--macvlan-mode`); bridge when absent. */
  macvlanMode?: MacvlanMode | undefined;
}

/** IFLA_MACVLAN_MODE's names, as `ip link add ... type macvlan mode M` takes them. */
export type MacvlanMode = 'bridge' | 'private' | 'vepa' | 'passthru';
export const MACVLAN_MODES: readonly MacvlanMode[] = ['bridge', 'private', 'vepa', 'passthru'];

/** IFLA_IPVLAN_MODE's names, as `ip link add ... type ipvlan mode M` takes them. */
export type IpvlanMode = 'l2' | 'l3' | 'l3s';
export const IPVLAN_MODES: readonly IpvlanMode[] = ['l2', 'l3', 'l3s'];

export interface DetachRequest {
  op: 'detach';
  guest: string;
  guestIf: string;
  /** Every interface pipework-netlink added to the guest (guestIf is ignored). */
  all?: boolean | undefined;
  /** Remove guestIf even when it does not carry our mark (`--force`). */
  force?: boolean | undefined;
}

export interface GcRequest {
  op: 'gc';
}

export interface ShowRequest {
  op: 'show';
  guest: string;
}

/** `pipework --wait [-i cif] [--timeout S]`: wait, in this namespace, until guestIf is up. */
export interface WaitRequest {
  op: 'wait';
  guestIf: string;
  /** Undefined waits forever, as the original does. */
  timeoutMs?: number | undefined;
}

export type Request = AttachRequest | DetachRequest | ShowRequest | WaitRequest | GcRequest;

/** Options accepted anywhere on the command line. */
export interface GlobalOptions {
  /** Act as if this named namespace (or path) were the host. */
  hostNetns?: string | undefined;
  json: boolean;
  dryRun: boolean;
}
