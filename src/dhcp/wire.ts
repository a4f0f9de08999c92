// The client's one AF_PACKET socket, opened inside the guest's namespace and
// bound to the guest's interface (a packet socket keeps the namespace it was
// made in; the native contract does the switch). The kernel filter lets only
// IPv4 UDP to port 68 wake us; every frame is decoded strictly, and what is
// not a well-formed reply for us is counted as a drop, by reason.
import { ETH_P_IP, decodeDhcpFrame, type DhcpReply } from '../packet';
import { sys, type SysSocket } from '../sys';
import { DHCP_CLIENT_FILTER } from './filter';

/** Counted drops: a reason ('bad UDP checksum', 'wrong xid', ...) to how many. */
export type DropCounts = Record<string, number>;

export class DhcpWire {
  private readonly sock: SysSocket;
  private readonly buf = Buffer.alloc(2048);
  readonly drops: DropCounts = {};
  received = 0;
  private handler: ((reply: DhcpReply) => void) | undefined;

  constructor(
    ifindex: number,
    nsFd: number | undefined,
    /** Called once when the socket fails: the interface went away or down (ENETDOWN, ENXIO...). */
    private readonly onError: (e: Error) => void,
  ) {
    this.sock = sys().openPacket(ifindex, ETH_P_IP, nsFd);
    try {
      this.sock.attachFilter(DHCP_CLIENT_FILTER);
    } catch (e) {
      this.sock.close();
      throw e;
    }
    // Frames queued between bind and the filter's attach are read and judged like any other.
    this.sock.poll((status) => this.readable(status));
  }

  /** Where decoded replies go (one listener: the client's current state). */
  onReply(handler: ((reply: DhcpReply) => void) | undefined): void {
    this.handler = handler;
  }

  drop(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }

  send(frame: Buffer): void {
    if (this.sock.send(frame) < 0) throw Object.assign(new Error('AF_PACKET send would block'), { code: 'EAGAIN' });
  }

  private readable(status: number): void {
    if (status < 0) return this.fail(Object.assign(new Error(`poll failed (${status})`), { code: 'EPOLL' }));
    for (;;) {
      let n: number;
      try {
        n = this.sock.recv(this.buf);
      } catch (e) {
        return this.fail(e as Error);
      }
      if (n < 0) return;
      if (n > this.buf.length) {
        this.drop('frame larger than 2048 bytes');
        continue;
      }
      this.received++;
      const d = decodeDhcpFrame(Buffer.from(this.buf.subarray(0, n)));
      if (!d.ok) this.drop(d.reason);
      else if (this.handler) this.handler(d.reply);
      else this.drop('not waiting for a reply');
    }
  }

  private failed = false;
  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.onError(e);
  }

  ref(): void {
    this.sock.ref();
  }

  unref(): void {
    this.sock.unref();
  }

  /** Closes off the critical path (an AF_PACKET close waits for an RCU grace period). */
  close(): void {
    this.failed = true;
    this.sock.closeInBackground();
  }
}
