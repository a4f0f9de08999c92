// A DHCPv4 client (RFC 2131) as a lease object: acquire() runs INIT →
// SELECTING → REQUESTING → BOUND once; hold() keeps the lease alive (RENEWING
// at T1 by unicast, REBINDING at T2 by broadcast, back to INIT when it ends)
// and says what happened through events. It applies nothing itself: the
// holder (pipework's address source, or a daemon) puts addresses and routes
// on the link when told, so this layer needs no rtnetlink.
//
// Events (each with the Lease concerned):
//   bound(lease)          a lease was obtained (first, or again after one was lost)
//   renewed(lease)        extended at T1, same address
//   rebound(lease)        extended at T2 by any server, same address
//   changed(lease, old)   an extension gave another address
//   lost(old, reason)     the lease ended (expired, NAK): stop using the address
//   released(lease)       given back (release())
//   closed(reason)        the client stopped: released, closed, or the interface went away
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { PipeworkError } from '../errors';
import { DHCPACK, DHCPNAK, DHCPOFFER, type DhcpReply } from '../packet';
import * as msg from './messages';
import { addressInUse } from './probe';
import { toLease, usable, type Lease } from './lease';
import { renewRetryMs, retransmitDelayMs } from './timing';
import { DhcpWire, type DropCounts } from './wire';

export interface DhcpClientOptions {
  ifindex: number;
  /** The namespace the interface is in (an open fd); this process's when absent. */
  nsFd?: number | undefined;
  mac: Buffer;
  clientId?: Buffer | undefined;
  hostname?: string | undefined;
  vendorClass?: string | undefined;
  /** More option codes for the parameter request list (option 55). */
  requestOptions?: readonly number[] | undefined;
  /** Ask for this address (option 50 in DISCOVER). */
  requestAddress?: string | undefined;
  /** How long the ARP probe of an offered address waits for an owner; 0 skips it (default 200 ms, see probe.ts). */
  probeMs?: number | undefined;
  /** Uniform in [0, 1): xids and retransmission jitter. Math.random unless given (tests). */
  random?: (() => number) | undefined;
  /** 'eth1 in container web1': how messages name the interface. */
  label?: string | undefined;
}

type State = 'init' | 'bound' | 'renewing' | 'rebinding' | 'released' | 'closed';

export type { Lease } from './lease';

export class DhcpLease extends EventEmitter {
  state: State = 'init';
  current: Lease | undefined;
  /** NAKs received, offers declined (address in use): for tests and the result. */
  naks = 0;
  declined = 0;
  /** Declined addresses and the MAC that answered for each. */
  readonly inUse = new Map<string, string>();
  private readonly id: msg.Identity;
  private readonly random: () => number;
  private readonly wire: DhcpWire;
  private readonly stop = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private holding = false;
  /**
   * Our own handle on the interface's namespace: the caller's may be closed
   * once acquire() returns (an attach closes its guest when it ends), and a
   * held lease that is lost probes the link again when it rediscovers.
   * Opening /proc/self/fd/N reopens the same namespace file: a dup.
   */
  private readonly nsFd: number | undefined;

  private constructor(private readonly o: DhcpClientOptions) {
    super();
    this.random = o.random ?? Math.random;
    this.id = msg.identity(o);
    this.nsFd = o.nsFd === undefined ? undefined : fs.openSync(`/proc/self/fd/${o.nsFd}`, 'r');
    // The socket fails when its device goes (ENETDOWN from the packet notifier on unregister or down, or a poll error).
    try {
      this.wire = new DhcpWire(o.ifindex, this.nsFd, (e) => this.end(`${this.label} went away or went down (${(e as NodeJS.ErrnoException).code ?? e.message})`));
    } catch (e) {
      if (this.nsFd !== undefined) fs.closeSync(this.nsFd);
      throw e;
    }
  }

  get drops(): DropCounts {
    return this.wire.drops;
  }

  get label(): string {
    return this.o.label ?? `ifindex ${this.o.ifindex}`;
  }

  /**
   * Runs the exchange until a lease is bound; rejects with TIMEOUT after
   * timeoutMs (the socket closed, nothing left behind) or with the signal's
   * reason. The lease is not held until hold() is called.
   */
  static async acquire(o: DhcpClientOptions, opts: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<DhcpLease> {
    const lease = new DhcpLease(o);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new PipeworkError('TIMEOUT', `no DHCP lease for ${lease.label} within ${opts.timeoutMs / 1000} s`)), opts.timeoutMs);
    const signals = [timeout.signal, lease.stop.signal, ...(opts.signal ? [opts.signal] : [])];
    try {
      lease.current = await lease.init(AbortSignal.any(signals), o.requestAddress, o.requestAddress !== undefined);
      lease.state = 'bound';
      return lease;
    } catch (e) {
      lease.close();
      if (timeout.signal.aborted && !opts.signal?.aborted) {
        const drops = Object.entries(lease.drops).map(([why, n]) => `${why} (${n})`);
        const reason = timeout.signal.reason as PipeworkError;
        // Why no lease came, when we know: the server kept offering what someone else on the link uses.
        const inUse = [...lease.inUse].map(([a, owner]) => `${a} (used by ${owner})`);
        const why = [...(inUse.length ? [`declined ${lease.declined} offer${lease.declined > 1 ? 's' : ''} of an address in use on the link: ${inUse.join(', ')}`] : []), ...(drops.length ? [`replies dropped: ${drops.join(', ')}`] : [])];
        throw why.length ? new PipeworkError('TIMEOUT', `${reason.message}; ${why.join('; ')}`) : reason;
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Keeps the lease: renews, rebinds, rediscovers, until release() or close(). The socket keeps the process alive meanwhile. */
  hold(): void {
    if (this.holding || this.state === 'closed' || this.state === 'released') return;
    this.holding = true;
    this.schedule();
  }

  /** Sends DHCPRELEASE for the current lease (if any), stops and closes; `closed` carries the reason ('released' unless said). */
  async release(reason = 'released'): Promise<void> {
    const l = this.current;
    if (l && (this.state === 'bound' || this.state === 'renewing' || this.state === 'rebinding')) {
      try {
        this.wire.send(msg.release(this.id, this.xid(), l.address, { ip: l.server, mac: mac(l.serverMac) }));
      } catch {
        // The interface is gone: the server will see the lease expire.
      }
      this.state = 'released';
      this.emit('released', l);
    }
    this.end(reason);
  }

  /** Stops without releasing: the server keeps the lease until it expires. */
  close(): void {
    this.end('closed');
  }

  private end(reason: string): void {
    if (this.state === 'closed') return;
    clearTimeout(this.timer);
    this.stop.abort(new PipeworkError('ABORTED', `DHCP client on ${this.label} stopped: ${reason}`));
    this.wire.onReply(undefined);
    this.wire.close();
    if (this.nsFd !== undefined) fs.closeSync(this.nsFd);
    this.state = 'closed';
    this.emit('closed', reason);
  }

  private xid(): number {
    return Math.floor(this.random() * 0x100000000) >>> 0;
  }

  /**
   * Sends frame(secs), waits wait(n) after the n-th send, and sends again
   * unless giveUp(n) says the exchange is over; resolves with the first reply
   * `match` accepts, or undefined. Replies it does not want are drops.
   */
  private transact<T>(o: {
    frame: (secs: number) => Buffer;
    match: (r: DhcpReply) => T | undefined;
    wait: (attempt: number) => number;
    giveUp?: (attempt: number) => boolean;
    signal: AbortSignal;
  }): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      const start = Date.now();
      let attempt = 0;
      let timer: NodeJS.Timeout | undefined;
      const finish = (f: () => void): void => {
        clearTimeout(timer);
        o.signal.removeEventListener('abort', onAbort);
        this.wire.onReply(undefined);
        f();
      };
      const onAbort = (): void => finish(() => reject(o.signal.reason));
      if (o.signal.aborted) return reject(o.signal.reason);
      o.signal.addEventListener('abort', onAbort, { once: true });
      const send = (): void => {
        try {
          this.wire.send(o.frame((Date.now() - start) / 1000));
        } catch (e) {
          return finish(() => reject(e));
        }
        const n = attempt++;
        timer = setTimeout(() => (o.giveUp?.(n) ? finish(() => resolve(undefined)) : send()), Math.max(0, o.wait(n)));
      };
      this.wire.onReply((r) => {
        const got = o.match(r);
        if (got !== undefined) finish(() => resolve(got));
      });
      send();
    });
  }

  /** Whether a reply is for this client and this exchange; counts a drop when not. */
  private ours(r: DhcpReply, xid: number): boolean {
    if (r.xid !== xid) return this.dropped('wrong xid');
    if (!r.chaddr.equals(this.id.mac)) return this.dropped('another client hardware address');
    return true;
  }

  private dropped(reason: string): false {
    this.wire.drop(reason);
    return false;
  }

  /** INIT until BOUND: the whole §4.4.1 dance, restarted after a NAK, a silent server or a declined address. */
  private async init(signal: AbortSignal, prefer?: string, reboot = false): Promise<Lease> {
    if (reboot && prefer !== undefined) {
      const asked: string = prefer;
      // INIT-REBOOT (§4.4.2): ask for the address outright; a NAK (or silence) sends us to INIT.
      const xid = this.xid();
      const sent = Date.now();
      const r = await this.transact({
        frame: (secs) => msg.requestReboot(this.id, xid, secs, asked),
        match: (r) => {
          if (!this.ours(r, xid)) return undefined;
          if (r.type === DHCPNAK) return r;
          if (r.type !== DHCPACK) return void this.dropped('not an ACK or NAK while rebooting');
          if (r.yiaddr !== asked || r.serverId === undefined) return void this.dropped('ACK for another address than requested');
          return this.acceptable(r) ? r : undefined;
        },
        wait: (n) => retransmitDelayMs(n, this.random),
        giveUp: (n) => n >= 1,
        signal,
      });
      if (r?.type === DHCPACK) return toLease(r, sent);
      if (r?.type === DHCPNAK) {
        this.naks++;
        this.emit('nak', r.message);
      }
      prefer = undefined;
    }
    for (;;) {
      const xid = this.xid();
      const offer = await this.transact({
        frame: (secs) => msg.discover(this.id, xid, secs, prefer),
        match: (r) => {
          if (!this.ours(r, xid)) return undefined;
          if (r.type !== DHCPOFFER) return void this.dropped('not an OFFER while selecting');
          if (r.serverId === undefined) return void this.dropped('OFFER without a server identifier');
          if (!usable(r.yiaddr)) return void this.dropped('OFFER of an unusable address');
          return r;
        },
        wait: (n) => retransmitDelayMs(n, this.random),
        signal,
      });
      if (!offer) continue;
      const sent = Date.now();
      const ack = await this.transact({
        frame: (secs) => msg.requestOffer(this.id, xid, secs, offer.yiaddr, offer.serverId!),
        match: (r) => {
          if (!this.ours(r, xid)) return undefined;
          if (r.serverId !== offer.serverId) return void this.dropped('reply from another server while requesting');
          if (r.type === DHCPNAK) return r;
          if (r.type !== DHCPACK) return void this.dropped('not an ACK or NAK while requesting');
          if (r.yiaddr !== offer.yiaddr) return void this.dropped('ACK for another address than requested');
          return this.acceptable(r) ? r : undefined;
        },
        // §4.4.1: a few retransmissions, then back to INIT.
        wait: (n) => retransmitDelayMs(n, this.random),
        giveUp: (n) => n >= 3,
        signal,
      });
      if (!ack) continue;
      if (ack.type === DHCPNAK) {
        this.naks++;
        this.emit('nak', ack.message);
        prefer = undefined; // the address asked for is what the server refused
        continue;
      }
      const lease = toLease(ack, sent);
      if ((this.o.probeMs ?? 200) > 0) {
        const owner = await addressInUse({ ifindex: this.o.ifindex, nsFd: this.nsFd, mac: this.id.mac, address: lease.address, waitMs: this.o.probeMs ?? 200, signal });
        if (owner !== undefined) {
          this.declined++;
          this.inUse.set(lease.address, owner);
          this.wire.send(msg.decline(this.id, this.xid(), lease.address, lease.server));
          this.emit('declined', lease.address, owner);
          // §3.1 step 5 asks for 10 s before starting again; the server has marked the address, 1 s is enough for it.
          await delay(1000, signal);
          prefer = undefined;
          continue;
        }
      }
      return lease;
    }
  }

  /** An ACK the client can live on: it must say how long (§4.3.1: an ACK to a REQUEST carries option 51). */
  private acceptable(r: DhcpReply): boolean {
    if (r.leaseTime === undefined) return this.dropped('ACK without a lease time');
    if (!usable(r.yiaddr)) return this.dropped('ACK of an unusable address');
    return true;
  }

  private schedule(): void {
    const l = this.current;
    if (!this.holding || !l || l.leaseSeconds === undefined) return; // an infinite lease needs nothing more
    const at = (s: number): number => Math.max(0, l.obtainedAt + s * 1000 - Date.now());
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.extend(l).catch((e) => this.fault(e)), at(l.renewSeconds!));
  }

  private fault(e: unknown): void {
    if (this.state === 'closed' || this.state === 'released') return;
    this.emit('error', e);
    this.end(`error: ${(e as Error).message}`);
  }

  /** T1: RENEWING, then at T2 REBINDING, then INIT at the lease's end (§4.4.5). */
  private async extend(old: Lease): Promise<void> {
    const signal = this.stop.signal;
    const t2 = old.obtainedAt + old.rebindSeconds! * 1000;
    const end = old.expiresAt!;
    for (const phase of ['renewing', 'rebinding'] as const) {
      this.state = phase;
      const until = phase === 'renewing' ? t2 : end;
      const xid = this.xid();
      const sent = Date.now();
      const server = phase === 'renewing' ? { ip: old.server, mac: mac(old.serverMac) } : undefined;
      const reply = await this.transact({
        frame: (secs) => msg.requestExtend(this.id, xid, secs, old.address, server),
        match: (r) => {
          if (!this.ours(r, xid)) return undefined;
          if (r.type === DHCPNAK) return r;
          if (r.type !== DHCPACK) return void this.dropped(`not an ACK or NAK while ${phase}`);
          if (r.serverId === undefined) return void this.dropped('ACK without a server identifier');
          return this.acceptable(r) ? r : undefined;
        },
        wait: () => renewRetryMs(until - Date.now()),
        giveUp: () => Date.now() >= until - 5,
        signal,
      });
      if (!reply) continue;
      if (reply.type === DHCPNAK) {
        this.naks++;
        return this.lose(old, `the server refused to extend it (NAK${reply.message ? `: ${reply.message}` : ''})`);
      }
      const fresh = toLease(reply, sent);
      this.current = fresh;
      this.state = 'bound';
      if (fresh.address !== old.address) this.emit('changed', fresh, old);
      else this.emit(phase === 'renewing' ? 'renewed' : 'rebound', fresh);
      return this.schedule();
    }
    await delay(end - Date.now(), signal);
    return this.lose(old, 'it expired');
  }

  private async lose(old: Lease, reason: string): Promise<void> {
    this.current = undefined;
    this.state = 'init';
    this.emit('lost', old, reason);
    this.current = await this.init(this.stop.signal, old.address);
    this.state = 'bound';
    this.emit('bound', this.current);
    this.schedule();
  }
}

function mac(text: string): Buffer {
  return Buffer.from(text.split(':').map((h) => parseInt(h, 16)));
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
