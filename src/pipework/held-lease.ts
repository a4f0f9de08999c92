// A lease held in the foreground (`dhcp:-f`, `udhcpc-f`...): the client's
// events applied to the guest's link. Renewed or rebound: the address's
// lifetime is extended; changed: the old address goes (its routes with it)
// and the new one comes with its routes; lost: the address goes; bound
// again: it comes back. The lease file follows every change. `done`
// resolves when the client stops: released, the interface went away, or
// the guest did (guest-watch.ts: then the lease is released, its address
// being used by no one any more).
//
// It opens its own netlink socket in the guest (the attach's closes when the
// attach returns); a socket keeps the namespace it was made in.
import { EventEmitter } from 'node:events';
import type { DhcpLease, Lease } from '../dhcp';
import { NetlinkError, NetlinkSocket } from '../netlink';
import { ipBytes, ipv4Broadcast } from '../packet';
import { AF_INET, delAddr, delRoute, newAddr, newRoute } from '../rtnl';
import { removeTraces, writeLeaseRecord, type LeaseRecord } from './dhcp-files';
import { GUEST_POLL_MS } from './guest-watch';

export class HeldLease extends EventEmitter {
  readonly done: Promise<string>;
  private queue: Promise<void> = Promise.resolve();
  private finished!: (reason: string) => void;
  private watch: NodeJS.Timeout | undefined;

  constructor(
    readonly lease: DhcpLease,
    private readonly sock: NetlinkSocket,
    private readonly index: number,
    private readonly base: string,
    private readonly record: LeaseRecord,
    /** Why the guest is gone, or undefined while it is there (guest-watch.ts). */
    private readonly guestGone?: () => string | undefined,
  ) {
    super();
    this.done = new Promise((resolve) => (this.finished = resolve));
    const serial = (what: string, f: () => Promise<void>): void => {
      this.queue = this.queue.then(f).catch((e) => void this.emit('warning', `${what}: ${(e as Error).message}`));
    };
    lease.on('renewed', (l: Lease) => serial('extending the address', () => this.extend(l, 'renewed')));
    lease.on('rebound', (l: Lease) => serial('extending the address', () => this.extend(l, 'rebound')));
    lease.on('changed', (l: Lease, old: Lease) =>
      serial('changing the address', async () => {
        await this.remove(old);
        await this.apply(l);
        this.emit('changed', l, old);
      }),
    );
    lease.on('lost', (old: Lease, reason: string) =>
      serial('removing the address', async () => {
        await this.remove(old);
        this.save(undefined);
        this.emit('lost', old, reason);
      }),
    );
    lease.on('bound', (l: Lease) =>
      serial('adding the address', async () => {
        await this.apply(l);
        this.emit('bound', l);
      }),
    );
    lease.on('released', (l: Lease) => this.emit('released', l));
    lease.on('error', (e: Error) => this.emit('warning', e.message));
    lease.on('closed', (reason: string) => {
      clearInterval(this.watch);
      this.queue.finally(() => {
        removeTraces(this.base, true);
        this.sock.close();
        this.emit('closed', reason);
        this.finished(reason);
      });
    });
  }

  get current(): Lease | undefined {
    return this.lease.current;
  }

  start(): void {
    this.save(this.lease.current);
    this.lease.hold();
    if (!this.guestGone) return;
    this.watch = setInterval(() => {
      const why = this.guestGone!();
      if (why === undefined) return;
      clearInterval(this.watch);
      // The interface is still there (our sockets keep the namespace), so the RELEASE can still leave.
      void this.lease.release(why);
    }, GUEST_POLL_MS);
    // The lease's socket keeps the process alive while it is held; this timer alone must not.
    this.watch.unref();
  }

  /** DHCPRELEASE, then stop. The address stays until the link goes (detach removes it next). */
  async release(): Promise<string> {
    await this.lease.release();
    return this.done;
  }

  private save(l: Lease | undefined): void {
    if (l) this.record.lease = l;
    writeLeaseRecord(this.base, this.record);
  }

  private addr(l: Lease, replace: boolean): Buffer {
    const local = ipBytes(l.address).bytes;
    const brd = l.broadcast ? ipBytes(l.broadcast).bytes : ipv4Broadcast(local, l.prefixLength);
    // Rounded down: the kernel removes the address no later than the lease ends (RFC 2131 §4.4.5).
    const left = l.expiresAt === undefined ? undefined : Math.max(1, Math.floor((l.expiresAt - Date.now()) / 1000));
    return newAddr({ index: this.index, family: AF_INET, address: local, prefixLength: l.prefixLength, broadcast: brd, validLifetime: left }, replace);
  }

  private async extend(l: Lease, how: 'renewed' | 'rebound'): Promise<void> {
    await this.sock.request(this.addr(l, true));
    this.save(l);
    this.emit(how, l);
  }

  private async apply(l: Lease): Promise<void> {
    await this.sock.request(this.addr(l, true));
    const router = l.routers[0];
    if (router) await this.sock.request(newRoute({ family: AF_INET, dstLength: 0, gateway: ipBytes(router).bytes, oif: this.index }, true));
    for (const r of l.routes) {
      const onLink = r.gateway === '0.0.0.0';
      await this.sock.request(
        newRoute({ family: AF_INET, dst: ipBytes(r.dst).bytes, dstLength: r.prefixLength, gateway: onLink ? undefined : ipBytes(r.gateway).bytes, oif: this.index }, true),
      );
    }
    this.save(l);
  }

  /** The address goes; the kernel takes the routes through it along (the link's last IPv4 address: fib_disable_ip). */
  private async remove(l: Lease): Promise<void> {
    const router = l.routers[0];
    if (router) await tolerate(this.sock.request(delRoute({ family: AF_INET, dstLength: 0, gateway: ipBytes(router).bytes, oif: this.index })));
    await tolerate(this.sock.request(delAddr({ index: this.index, family: AF_INET, address: ipBytes(l.address).bytes, prefixLength: l.prefixLength })));
  }
}

/** Already gone (the kernel expired the address, or the link went): fine. */
async function tolerate(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof NetlinkError && ['EADDRNOTAVAIL', 'ESRCH', 'ENODEV', 'ENOENT'].includes(e.code))) throw e;
  }
}
