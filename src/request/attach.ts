// attachRequest: options as a library caller writes them (and as the CLI
// collects them from its line) to a validated AttachRequest. Both go through
// here, so both refuse the same inputs with the same message.
import { usage } from '../errors';
import { checkFamily, parseAddressArgument } from './address';
import { checkGuest } from './guest';
import { parseMacArgument, parseVlan } from './mac';
import { parseIpvlanMode } from './ipvlan';
import { parseMacvlanMode } from './macvlan';
import { DEFAULT_GUEST_IF, NAME_LABEL, checkInterfaceName } from './names';
import { show } from './quote';
import type { AttachRequest, Family, IpvlanMode, MacvlanMode } from './types';
import { refuseHostIfByMac } from './unsupported';

export interface AttachOptions {
  /** The host interface: a bridge (a missing br* name is created), or another kind the planner knows. */
  hostIf: string;
  /** docker:NAME, netns:NAME, pid:N, path:P, or unprefixed (Docker, then netns, then PID). */
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
  /** An ipvlan of this mode instead of a macvlan on a physical host interface (the CLI's --ipvlan). */
  ipvlanMode?: IpvlanMode | undefined;
}

export function attachRequest(o: AttachOptions): AttachRequest {
  if (typeof o.hostIf === 'string') refuseHostIfByMac(o.hostIf);
  const hostIf = checkInterfaceName(o.hostIf, NAME_LABEL.hostIf);
  const guestIf = checkInterfaceName(o.guestIf ?? DEFAULT_GUEST_IF, NAME_LABEL.guestIf);
  const hostLinkName = o.hostLinkName === undefined ? undefined : checkInterfaceName(o.hostLinkName, NAME_LABEL.hostLinkName);
  if (hostLinkName === hostIf) throw usage(`${NAME_LABEL.hostLinkName} ${show(hostLinkName)} is the host interface itself`);
  const family = o.family === undefined ? undefined : checkFamily(o.family);
  const guest = checkGuest(o.guest);

  const addressText = o.address ?? '0/0';
  if (o.gateway !== undefined && addressText.includes('@')) {
    throw usage(`gateway given twice: in the address ${show(addressText)} and as ${show(o.gateway)}`);
  }
  const { address, gateway } = parseAddressArgument(o.gateway === undefined ? addressText : `${addressText}@${o.gateway}`, family);

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
  if (o.guestIf !== undefined) request.guestIfGiven = true;
  if (hostLinkName !== undefined) request.hostLinkName = hostLinkName;
  if (address !== undefined) request.address = address;
  if (gateway !== undefined) request.gateway = gateway;
  if (mac !== undefined) request.mac = mac;
  if (vlan !== undefined) request.vlan = vlan;
  if (tag !== undefined) request.tag = tag;
  if (macvlanMode !== undefined) request.macvlanMode = macvlanMode;
  if (ipvlanMode !== undefined) request.ipvlanMode = ipvlanMode;
  return request;
}
