// The client's messages, field by field as RFC 2131 §4.4.1 table 5 lays
// them out for each state, built into frames ready for the packet socket.
import {
  DHCPDECLINE,
  DHCPDISCOVER,
  DHCPRELEASE,
  DHCPREQUEST,
  OPT,
  broadcastMac,
  clientIdFromMac,
  dhcpClientFrame,
  ipv4Bytes,
  type DhcpRequestMessage,
} from '../packet';

export interface Identity {
  mac: Buffer;
  /** Option 61; from the MAC unless given (so a U:<string> MAC gives a stable identity). */
  clientId: Buffer;
  /** Option 12 (the original sends the guest's name, `udhcpc -x hostname:NAME`). */
  hostname?: string | undefined;
  /** Option 60. */
  vendorClass?: string | undefined;
  /** Option 55: what we read from a reply, then what the caller asked for. */
  parameters: number[];
}

/** What this client reads from an ACK (packet/dhcp.ts decodes each strictly). */
export const DEFAULT_PARAMETERS: readonly number[] = [
  OPT.subnetMask,
  OPT.classlessRoutes, // before router: RFC 3442 §4 asks clients that send 121 to list it so
  OPT.router,
  OPT.dns,
  OPT.hostname,
  OPT.domain,
  OPT.mtu,
  OPT.broadcast,
  OPT.leaseTime,
  OPT.renewalTime,
  OPT.rebindingTime,
];

export function identity(o: { mac: Buffer; clientId?: Buffer | undefined; hostname?: string | undefined; vendorClass?: string | undefined; requestOptions?: readonly number[] | undefined }): Identity {
  const parameters = [...DEFAULT_PARAMETERS];
  for (const c of o.requestOptions ?? []) if (!parameters.includes(c)) parameters.push(c);
  return { mac: o.mac, clientId: o.clientId ?? clientIdFromMac(o.mac), hostname: o.hostname, vendorClass: o.vendorClass, parameters };
}

const BROADCAST = '255.255.255.255';
const ZERO = '0.0.0.0';
// Our largest datagram is 2048 bytes (wire.ts's buffer); say 1500, the link's MTU, which every server honours.
const MAX_MESSAGE = Buffer.from([1500 >> 8, 1500 & 0xff]);

function common(id: Identity, withParams: boolean): [number, Uint8Array][] {
  const o: [number, Uint8Array][] = [[OPT.clientId, id.clientId]];
  if (withParams) {
    o.push([OPT.maxMessageSize, MAX_MESSAGE], [OPT.parameterList, Buffer.from(id.parameters)]);
    if (id.hostname) o.push([OPT.hostname, Buffer.from(id.hostname, 'latin1')]);
    if (id.vendorClass) o.push([OPT.vendorClass, Buffer.from(id.vendorClass, 'latin1')]);
  }
  return o;
}

function frame(id: Identity, message: DhcpRequestMessage, to?: { mac: Buffer; ip: string; from: string }): Buffer {
  return dhcpClientFrame({ srcMac: id.mac, dstMac: to?.mac ?? broadcastMac(), srcIp: to?.from ?? ZERO, dstIp: to?.ip ?? BROADCAST, message });
}

/** INIT → SELECTING; `prefer` is option 50 (an address asked for, or the last lease's). */
export function discover(id: Identity, xid: number, secs: number, prefer?: string): Buffer {
  const options = common(id, true);
  if (prefer) options.splice(1, 0, [OPT.requestedAddress, ipv4Bytes(prefer)]);
  return frame(id, { type: DHCPDISCOVER, xid, secs, chaddr: id.mac, options });
}

/** SELECTING → REQUESTING: the offer's address (50) from its server (54), broadcast so other servers see the choice. */
export function requestOffer(id: Identity, xid: number, secs: number, address: string, server: string): Buffer {
  const options = common(id, true);
  options.splice(1, 0, [OPT.requestedAddress, ipv4Bytes(address)], [OPT.serverId, ipv4Bytes(server)]);
  return frame(id, { type: DHCPREQUEST, xid, secs, chaddr: id.mac, options });
}

/** INIT-REBOOT (§4.4.2): option 50, no 54, no ciaddr, broadcast. */
export function requestReboot(id: Identity, xid: number, secs: number, address: string): Buffer {
  const options = common(id, true);
  options.splice(1, 0, [OPT.requestedAddress, ipv4Bytes(address)]);
  return frame(id, { type: DHCPREQUEST, xid, secs, chaddr: id.mac, options });
}

/** RENEWING (unicast to the server) or REBINDING (broadcast): ciaddr set, neither 50 nor 54. */
export function requestExtend(id: Identity, xid: number, secs: number, address: string, server?: { mac: Buffer; ip: string }): Buffer {
  const message = { type: DHCPREQUEST, xid, secs, chaddr: id.mac, ciaddr: address, options: common(id, true) };
  return frame(id, message, server ? { ...server, from: address } : { mac: broadcastMac(), ip: BROADCAST, from: address });
}

/** The address is in use on the link: 50 and 54, no ciaddr, broadcast (§4.4.1). */
export function decline(id: Identity, xid: number, address: string, server: string): Buffer {
  const options: [number, Uint8Array][] = [[OPT.clientId, id.clientId], [OPT.requestedAddress, ipv4Bytes(address)], [OPT.serverId, ipv4Bytes(server)]];
  return frame(id, { type: DHCPDECLINE, xid, chaddr: id.mac, options });
}

/** Giving the lease back: ciaddr and 54, unicast to the server (§4.4.6). */
export function release(id: Identity, xid: number, address: string, server: { mac: Buffer; ip: string }): Buffer {
  const options: [number, Uint8Array][] = [[OPT.clientId, id.clientId], [OPT.serverId, ipv4Bytes(server.ip)]];
  return frame(id, { type: DHCPRELEASE, xid, chaddr: id.mac, ciaddr: address, options }, { ...server, from: address });
}
