// The DHCPv4 client: a lease object with events (client.ts), over one
// filtered packet socket in the guest's namespace (wire.ts).
export { DhcpLease, type DhcpClientOptions, type Lease } from './client';
export type { DropCounts } from './wire';
