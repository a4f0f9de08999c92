// attachRequest: options as a library caller writes them (and as the CLI
// collects them from its line) to a validated AttachRequest. Both go through
// here, so both refuse the same inputs with the same message.
import { usage } from '../errors';
import { checkFamily, parseAddressArgument } from './address';
import { checkGuest } from './guest';
import { parseMacArgument, parseVlan } from './mac';
import { parseIpvlanMode } from './ipvlan';
import { parseMacvlanMode } from './macvlan';
import { parseHostIf } from './hostif';
import { DEFAULT_GUEST_IF, NAME_LABEL, checkInterfaceName } from './names';
import { show } from './quote';
import { isDhcpKeyword, parseDhcp } from './dhcp';
import { checkOvsdb, parseOvsDatapath } from './ovs';
import type { AddressSpec, AttachRequest, DhcpRequest, Family, IpvlanMode, MacvlanMode, OvsDatapath } from './types';

export interface AttachOptions {
  /** The host interface: a bridge (a missing br* name is created), or another kind the planner knows; `mac:<address>` names it by its MAC. */
  hostIf: string;
  /** Move the host interface itself (a NIC) into the guest, as the original's --direct-phys. */
  directPhys?: boolean | undefined;
  /** docker:NAME, lxc:NAME, netns:NAME, pid:N, path:P, or unprefixed (Docker, then LXC, then netns, then PID). */
  guest: string;
  /** Guest-side interface name (default eth1); the CLI's -i. */
  guestIf?: string | undefined;
  /** Host-side veth name (default v<guestIf>pl<pid>); the CLI's -l. */
  hostLinkName?: string | undefined;
  /** '198.51.100.33/24', '2001:db8::5/64', optionally with '@gw'; absent or '0/0' for none. */
  address?: string | undefined;
  /** Default gateway, same family as the address (or '@gw' in address, not both). */
  gateway?: string | undefined;
  /** Must match the address's family when given (the CLI's -a). */
  family?: Family | undefined;
  /** Guest-side MAC, or U:<string> for pipework's derived one, optionally with '@vid' (the CLI's [mac][@vlan]). */
  mac?: string | undefined;
  /** 802.1Q VLAN id 1..4094 (or '@vid' in mac, not both). */
  vlan?: number | undefined;
  /** macvlan mode on a physical host interface (the CLI's --macvlan-mode); bridge when absent. */
  macvlanMode?: MacvlanMode | undefined;
  /** With a DHCP keyword as the address ('dhcp', 'udhcpc-f', 'dhcp:-f'...): how long to wait for a lease, ms (default 30 000). */
  dhcpTimeoutMs?: number | undefined;
  /** Open vSwitch's database, unix:PATH (the CLI's --ovsdb); default PIPEWORK_OVSDB, then unix:/var/run/openvswitch/db.sock. */
  ovsdb?: string | undefined;
  /** Datapath of an OVS bridge the attach creates, system (default) or netdev (the CLI's --ovs-datapath). */
  ovsDatapath?: OvsDatapath | undefined;
  /** An ipvlan of this mode instead of a macvlan on a physical host interface (the CLI's --ipvlan). */
  ipvlanMode?: IpvlanMode | undefined;
}

export function attachRequest(o: AttachOptions): AttachRequest {
  const { hostIf, hostIfMac } = parseHostIf(o.hostIf);
  if (o.directPhys !== undefined && typeof o.directPhys !== 'boolean') throw usage(`directPhys must be true or false, not ${show(String(o.directPhys))}`);
  const guestIf = checkInterfaceName(o.guestIf ?? DEFAULT_GUEST_IF, NAME_LABEL.guestIf);
  const hostLinkName = o.hostLinkName === undefined ? undefined : checkInterfaceName(o.hostLinkName, NAME_LABEL.hostLinkName);
  if (hostLinkName === hostIf) throw usage(`${NAME_LABEL.hostLinkName} ${show(hostLinkName)} is the host interface itself`);
  if (o.directPhys && hostLinkName !== undefined) {
    throw usage(`${NAME_LABEL.hostLinkName} ${show(hostLinkName)}: --direct-phys moves the host interface itself into the guest, there is no host-side end to name`);
  }
  const family = o.family === undefined ? undefined : checkFamily(o.family);
  const guest = checkGuest(o.guest);

  const addressText = o.address ?? '0/0';
  let dhcp: DhcpRequest | undefined;
  let address: AddressSpec | undefined;
  let gateway: string | undefined;
  if (typeof addressText === 'string' && isDhcpKeyword(addressText)) {
    if (o.gateway !== undefined) throw usage(`a gateway (${show(o.gateway)}) cannot be given with DHCP (${show(addressText)}): the server sends it`);
    if (family === 6) throw usage(`DHCP (${show(addressText)}) gives an IPv4 address: -a 6 does not apply`);
    dhcp = parseDhcp(addressText, o.dhcpTimeoutMs === undefined ? undefined : checkDhcpTimeout(o.dhcpTimeoutMs));
  } else {
    if (o.dhcpTimeoutMs !== undefined) throw usage('a DHCP timeout applies only with a DHCP keyword (dhcp, udhcpc, dhclient, dhcpcd) as the address');
    if (o.gateway !== undefined && addressText.includes('@')) {
      throw usage(`gateway given twice: in the address ${show(addressText)} and as ${show(o.gateway)}`);
    }
    ({ address, gateway } = parseAddressArgument(o.gateway === undefined ? addressText : `${addressText}@${o.gateway}`, family));
  }

  const macText = o.mac ?? '';
  const { mac, vlan: vlanInMac, tag: tagInMac } = parseMacArgument(macText);
  if (o.vlan !== undefined && vlanInMac !== undefined) {
    throw usage(`VLAN given twice: in the MAC argument ${show(macText)} and as ${show(String(o.vlan))}`);
  }
  const vlan = o.vlan === undefined ? vlanInMac : parseVlan(String(o.vlan));
  const tag = o.vlan === undefined ? tagInMac : undefined;
  const macvlanMode = o.macvlanMode === undefined ? undefined : parseMacvlanMode(o.macvlanMode);
  const ipvlanMode = o.ipvlanMode === undefined ? undefined : parseIpvlanMode(o.ipvlanMode);
  if (macvlanMode !== undefined && ipvlanMode !== undefined) {
    throw usage(`--macvlan-mode ${macvlanMode} and --ipvlan ${ipvlanMode}: a guest gets a macvlan or an ipvlan, not both`);
  }

  const request: AttachRequest = { op: 'attach', hostIf, guest, guestIf };
  if (hostIfMac !== undefined) request.hostIfMac = hostIfMac;
  if (o.directPhys) request.directPhys = true;
  if (o.guestIf !== undefined) request.guestIfGiven = true;
  if (hostLinkName !== undefined) request.hostLinkName = hostLinkName;
  if (address !== undefined) request.address = address;
  if (gateway !== undefined) request.gateway = gateway;
  if (mac !== undefined) request.mac = mac;
  if (vlan !== undefined) request.vlan = vlan;
  if (tag !== undefined) request.tag = tag;
  if (macvlanMode !== undefined) request.macvlanMode = macvlanMode;
  if (dhcp !== undefined) request.dhcp = dhcp;
  if (o.ovsdb !== undefined) request.ovsdb = checkOvsdb(o.ovsdb);
  if (o.ovsDatapath !== undefined) request.ovsDatapath = parseOvsDatapath(o.ovsDatapath);
  if (ipvlanMode !== undefined) request.ipvlanMode = ipvlanMode;
  return request;
}

function checkDhcpTimeout(ms: unknown): number {
  if (typeof ms !== 'number' || !(ms > 0) || !Number.isFinite(ms)) throw usage(`the DHCP timeout must be a positive number of milliseconds, not ${show(String(ms))}`);
  return ms;
}
