// The address from a DHCP server, learnt by the built-in client (src/dhcp)
// once the link is up: every DHCP keyword of the original lands here. The
// exchange runs inside the guest on a filtered packet socket; the lease's
// address, gateway (option 3), classless routes (121) and lifetime go into
// the attach's context for the shared steps; its MTU (26) is set here. At
// the end the lease is either held (`-f`: renewed in the foreground) or left
// to run out, the address carrying the lease's lifetime so that the kernel
// removes it when the lease ends (RFC 2131 §4.4.5: no use past expiry).
import { PipeworkError } from '../../errors';
import { DhcpLease } from '../../dhcp';
import { NetlinkSocket } from '../../netlink';
import { IFF_LOWER_UP, setLink } from '../../rtnl';
import type { AttachContext } from '../context';
import { traceBase, writeLeaseRecord, writePid, type LeaseRecord } from '../dhcp-files';
import { guestWatch } from '../guest-watch';
import { HeldLease } from '../held-lease';
import { change, check, type Step } from '../plan';
import type { DhcpSummary } from '../results';
import type { AddressSource } from './source';

/** How long the link may take to get its carrier before the first DISCOVER (a veth's peer is up already: microseconds). */
const CARRIER_WAIT_MS = 3000;

const leases = new WeakMap<AttachContext, DhcpLease>();

export const dhcpAddress: AddressSource = {
  name: 'dhcp',
  claims: (req) => req.dhcp !== undefined,
  families: () => [4],
  async plan(ctx) {
    const d = ctx.req.dhcp!;
    ctx.late = true;
    const hostname = d.hostname ?? ctx.guest.name;
    const flags = [`-x hostname:${hostname}`, ...(d.vendorClass ? [`-V ${d.vendorClass}`] : []), ...(d.requestAddress ? [`-r ${d.requestAddress}`] : []), ...(d.requested ?? []).map((o) => `-O ${o}`)];
    const acquire: Step = change(
      `obtain a DHCP lease on ${ctx.dev}`,
      `${ctx.guestNs.exec}udhcpc -q${d.foreground ? ' -f' : ''} -i ${ctx.dev} ${flags.join(' ')} -T ${Math.ceil(d.timeoutMs / 1000)}`,
      async (signal) => {
        await waitForCarrier(ctx, signal);
        const lease = await DhcpLease.acquire(
          {
            ifindex: ctx.link.index,
            nsFd: ctx.guest.nsFd,
            mac: ctx.link.mac,
            hostname,
            vendorClass: d.vendorClass,
            requestOptions: d.requested,
            requestAddress: d.requestAddress,
            label: `${ctx.dev} in ${ctx.who}`,
          },
          { timeoutMs: d.timeoutMs, signal },
        );
        leases.set(ctx, lease);
        const l = lease.current!;
        if (l.mtu !== undefined && l.mtu !== ctx.link.mtu) {
          await ctx.guestNs.sock.request(setLink({ index: ctx.link.index, mtu: l.mtu }));
          ctx.link.mtu = l.mtu;
          ctx.result.mtu = l.mtu;
        }
        ctx.addresses = [{ address: l.address, prefixLength: l.prefixLength, family: 4 }];
        ctx.gateway = l.routers[0];
        ctx.routes = l.routes;
        ctx.addressLifetime = l.leaseSeconds;
        ctx.result.dhcp = summary(ctx, lease, d.foreground);
      },
      // Rolled back: give the address back at once, rather than let the server keep it for a lease's length.
      async () => {
        await leases.get(ctx)?.release();
        leases.delete(ctx);
      },
    );
    return [acquire];
  },
  finish(ctx) {
    const d = ctx.req.dhcp!;
    return [
      check(d.foreground ? `hold the DHCP lease of ${ctx.dev}` : `record the DHCP lease of ${ctx.dev}`, async () => {
        const lease = leases.get(ctx);
        if (!lease) return;
        leases.delete(ctx);
        const base = traceBase(d.client, ctx.guest.name, ctx.dev);
        const record: LeaseRecord = { client: d.client, guest: ctx.guest.name, ifname: ctx.dev, mac: [...ctx.link.mac].map((b) => b.toString(16).padStart(2, '0')).join(':'), lease: lease.current! };
        if (!d.foreground) {
          lease.close();
          writeLeaseRecord(base, record);
          const l = lease.current!;
          ctx.result.notes.push(
            l.leaseSeconds === undefined
              ? `the lease from ${l.server} is infinite: it needs no renewal`
              : `the lease from ${l.server} lasts ${l.leaseSeconds} s and will not be renewed: the address goes when it ends (use ${d.client}-f or ${d.client}:-f to hold it)`,
          );
          return;
        }
        record.pid = process.pid;
        const held = new HeldLease(lease, new NetlinkSocket({ nsFd: ctx.guest.nsFd }), ctx.link.index, base, record, guestWatch(ctx.guest));
        writePid(base);
        held.start();
        Object.defineProperty(ctx.result, 'lease', { value: held, enumerable: false });
        ctx.result.notes.push(`holding the lease from ${lease.current!.server} in the foreground (pid ${process.pid}, ${base}.pid): renewed until pipework detach, SIGTERM, SIGINT, or until ${ctx.dev} or ${ctx.who} goes`);
      }),
    ];
  },
};

async function waitForCarrier(ctx: AttachContext, signal?: AbortSignal): Promise<void> {
  const until = Date.now() + CARRIER_WAIT_MS;
  for (;;) {
    const link = await ctx.guestNs.linkByIndex(ctx.link.index);
    if (!link) throw new PipeworkError('KERNEL', `${ctx.dev} in ${ctx.who} went away`);
    if (link.flags & IFF_LOWER_UP || Date.now() > until || signal?.aborted) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

function summary(ctx: AttachContext, lease: DhcpLease, foreground: boolean): DhcpSummary {
  const l = lease.current!;
  const s: DhcpSummary = {
    client: ctx.req.dhcp!.client,
    server: l.server,
    leaseSeconds: l.leaseSeconds ?? null,
    renewSeconds: l.renewSeconds ?? null,
    rebindSeconds: l.rebindSeconds ?? null,
    expires: l.expiresAt === undefined ? null : new Date(l.expiresAt).toISOString(),
    renewed: foreground,
    dns: l.dns,
    hostname: ctx.req.dhcp!.hostname ?? ctx.guest.name,
  };
  if (l.domain !== undefined) s.domain = l.domain;
  if (l.mtu !== undefined) s.mtu = l.mtu;
  if (lease.naks) s.naks = lease.naks;
  if (lease.declined) s.declined = lease.declined;
  const drops = Object.values(lease.drops).reduce((a, b) => a + b, 0);
  if (drops) s.dropped = drops;
  return s;
}
