// Forms of the original pipework that this version recognises but does not do
// yet. Each is refused with code UNSUPPORTED (the CLI's exit 3) and one line
// naming the feature, never as a malformed name or address.
import { unsupported } from '../errors';
import { show } from './quote';

/** The original's DHCP keywords, each with an optional `:OPTS` passed to that client. */
const DHCP_KEYWORD = /^(dhcp|udhcpc|udhcpc-f|dhcpcd|dhclient|dhclient-f)(:.*)?$/s;

/** Refuses a DHCP keyword where the address goes. */
export function refuseDhcp(token: string): void {
  if (DHCP_KEYWORD.test(token)) throw unsupported(`DHCP (${show(token)})`);
}
