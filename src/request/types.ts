// Normalised requests: what the CLI parser and the library API both produce,
// and what planning consumes. Everything here is already validated.
import type { TcRequest } from './tc';
import type { RouteRequest } from './route';
import type { RuleRequest } from './rule';
import type { BatchRequest } from './batch';

export type Family = 4 | 6;

export interface AddressSpec {
  /** Canonical text form: 198.51.100.33, 2001:db8::5 */
  address: string;
  prefixLength: number;
  family: Family;
}

export interface AttachRequest {
  op: 'attach';
  /** The host interface as the user named it; for `mac:<address>`, that argument until the plan finds the name. */
  hostIf: string;
  /** `mac:<address>`: the host interface is the one with this MAC (lower-case colon form). */
  hostIfMac?: string | undefined;
  /** `--direct-phys`: the host interface (a NIC) itself moves into the guest. */
  directPhys?: boolean | undefined;
  /** The guest as the user named it: docker:web1, lxc:web1, netns:red, pid:123, path:/..., or unprefixed. */
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
  /** Open vSwitch's database (`--ovsdb unix:PATH`); absent: PIPEWORK_OVSDB, then the default socket. */
  ovsdb?: string | undefined;
  /** Datapath of an OVS bridge the attach creates (`--ovs-datapath`); system when absent. */
  ovsDatapath?: OvsDatapath | undefined;
  /** The address from the built-in DHCP client instead of `address` (request/dhcp.ts). */
  dhcp?: DhcpRequest | undefined;
}

/** A DHCP keyword in the address position, normalised. */
export interface DhcpRequest {
  /** The keyword's client, as the user wrote it (all run the built-in client). */
  client: 'dhcp' | 'udhcpc' | 'dhclient' | 'dhcpcd';
  /** `-f`: hold the lease (renew it) in the foreground. */
  foreground: boolean;
  /** Option 12; the guest's name unless an option set it. */
  hostname?: string | undefined;
  /** Option 60. */
  vendorClass?: string | undefined;
  /** More option codes for option 55. */
  requested?: number[] | undefined;
  /** Option 50 in DISCOVER. */
  requestAddress?: string | undefined;
  /** Give up (and roll back) without a lease after this long; 30 s by default. */
  timeoutMs: number;
}

/** Bridge.datapath_type values an OVS bridge pipework creates can have: the kernel's, or the userspace one. */
export type OvsDatapath = 'system' | 'netdev';
export const OVS_DATAPATHS: readonly OvsDatapath[] = ['system', 'netdev'];

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
  /** Open vSwitch's database, for a port to remove (as AttachRequest's). */
  ovsdb?: string | undefined;
}

export interface GcRequest {
  op: 'gc';
  /** Open vSwitch's database, for ports to collect (as AttachRequest's). */
  ovsdb?: string | undefined;
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

export type Request = AttachRequest | DetachRequest | ShowRequest | WaitRequest | GcRequest | RouteRequest | RuleRequest | TcRequest | BatchRequest;

/** Options accepted anywhere on the command line. */
export interface GlobalOptions {
  /** Act as if this named namespace (or path) were the host. */
  hostNetns?: string | undefined;
  json: boolean;
  dryRun: boolean;
}
