// The DHCPv4 client: a lease object with events (client.ts), over one
// filtered packet socket in the guest's namespace (wire.ts).
export { DhcpLease, type DhcpClientOptions, type Lease } from './client';
export type { DropCounts } from './wire';
export { DEFAULT_PARAMETERS } from './messages';

import { identity, release } from './messages';
import type { Lease } from './client';

/** The DHCPRELEASE for a recorded lease of the interface with this MAC (client identifier from the MAC, as the client sends). */
export function releaseFrame(mac: Buffer, lease: Lease, xid = Math.floor(Math.random() * 0x100000000)): Buffer {
  return release(identity({ mac }), xid >>> 0, lease.address, { ip: lease.server, mac: Buffer.from(lease.serverMac.split(':').map((h) => parseInt(h, 16))) });
}
