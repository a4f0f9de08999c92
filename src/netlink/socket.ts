// A netlink socket with requests matched to replies by sequence number, so many
// can be in flight at once, dumps that retry when interrupted, and multicast
// subscriptions.
//
// rtnetlink handles a request inside the sender's sendmsg() call: when send()
// returns, the reply is already queued on our socket. So after each send we
// read what is waiting at once instead of going back to the event loop; the
// uv_poll watcher is there for replies that come later (the next chunks of a
// large dump are produced as we read) and for multicast notifications.
import { sys, type Sys, type SysSocket } from '../sys';
import {
  NETLINK_ADD_MEMBERSHIP,
  NETLINK_CAP_ACK,
  NETLINK_EXT_ACK,
  NETLINK_GET_STRICT_CHK,
  NETLINK_ROUTE,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SOL_NETLINK,
  SOL_SOCKET,
} from './constants';
import { ParseError } from '../errors';
import { align4 } from './attributes';
import { NetlinkError, readAck, readDoneExtAck, readHeader } from './message';

// The kernel sizes dump chunks to at most 32 KiB; twice that leaves room.
const RECV_SIZE = 64 * 1024;
const RCVBUF = 4 * 1024 * 1024;
const DUMP_RETRIES = 5;

export interface NetlinkSocketOptions {
  protocol?: number;
  /** Create the socket inside this network namespace (an open fd). */
  nsFd?: number;
  /** Requests written before their replies are read; more wait their turn. */
  maxInFlight?: number;
  /**
   * The system-call backend; default sys(). A seam for tests, which wrap the
   * real socket to hold replies back or to see and alter datagrams.
   */
  sys?: Sys;
}

interface Pending {
  seq: number;
  msg: Buffer;
  dump: boolean;
  replies: Buffer[];
  interrupted: boolean;
  retries: number;
  /** Sent before an ENOBUFS: its reply may be one the kernel dropped (see overrun()). */
  suspect: boolean;
  resolve(replies: Buffer[]): void;
  reject(err: Error): void;
}

export class NetlinkSocket {
  private readonly sock: SysSocket;
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private readonly pending = new Map<number, Pending>();
  private readonly waiting: Pending[] = [];
  private readonly scratch = Buffer.allocUnsafe(RECV_SIZE);
  private readonly maxInFlight: number;
  private onNotification: ((msg: Buffer) => void) | undefined;
  private onSubscriptionError: ((err: Error) => void) | undefined;
  private closed = false;
  private draining = false;
  /** Set when a recv() returned a datagram or ENOBUFS: the socket is alive. */
  private progressed = false;

  constructor(options: NetlinkSocketOptions = {}) {
    this.sock = (options.sys ?? sys()).openNetlink(options.protocol ?? NETLINK_ROUTE, options.nsFd);
    this.maxInFlight = options.maxInFlight ?? 128;
    try {
      this.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1);
      this.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1);
      this.sock.setsockopt(SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1);
      try {
        this.sock.setsockopt(SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF);
      } catch {
        this.sock.setsockopt(SOL_SOCKET, SO_RCVBUF, RCVBUF);
      }
      this.sock.poll((status) => this.onReadable(status));
      this.sock.unref();
    } catch (e) {
      this.sock.close();
      throw e;
    }
  }

  /** Sends a request with NLM_F_ACK; resolves with the replies that came before the ACK. */
  request(msg: Buffer): Promise<Buffer[]> {
    return this.submit(msg, false);
  }

  /** Sends a dump request; resolves with every message of the dump. Restarts if the kernel flags it interrupted. */
  dump(msg: Buffer): Promise<Buffer[]> {
    return this.submit(msg, true);
  }

  /**
   * Joins multicast groups; every notification is handed to onMessage. Subscribe
   * before a dump that checks the current state, and nothing that happens in
   * between is missed. Do not send changes on a subscribed socket: the
   * notifications they cause carry their sequence number.
   */
  subscribe(groups: number[], onMessage: (msg: Buffer) => void, onError?: (err: Error) => void): void {
    for (const g of groups) this.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, g);
    this.onNotification = onMessage;
    this.onSubscriptionError = onError;
    this.sock.ref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
    this.failAll(new Error('netlink socket closed'));
  }

  private submit(msg: Buffer, dump: boolean): Promise<Buffer[]> {
    if (this.closed) return Promise.reject(new Error('netlink socket closed'));
    return new Promise((resolve, reject) => {
      const p: Pending = { seq: 0, msg, dump, replies: [], interrupted: false, retries: 0, suspect: false, resolve, reject };
      if (this.pending.size >= this.maxInFlight) this.waiting.push(p);
      else this.send(p);
    });
  }

  private send(p: Pending): void {
    this.seq = (this.seq + 1) >>> 0 || 1;
    p.seq = this.seq;
    p.suspect = false;
    const flags = p.msg.readUInt16LE(6) | NLM_F_REQUEST | (p.dump ? NLM_F_DUMP : NLM_F_ACK);
    p.msg.writeUInt16LE(flags, 6);
    p.msg.writeUInt32LE(p.seq, 8);
    this.pending.set(p.seq, p);
    if (this.pending.size === 1 && !this.onNotification) this.sock.ref();
    try {
      if (this.sock.send(p.msg) < 0) throw Object.assign(new Error('netlink send would block'), { code: 'EAGAIN' });
    } catch (e) {
      this.settle(p);
      p.reject(e as Error);
      return;
    }
    this.drain();
  }

  private settle(p: Pending): void {
    this.pending.delete(p.seq);
    while (this.waiting.length > 0 && this.pending.size < this.maxInFlight) this.send(this.waiting.shift()!);
    if (this.pending.size === 0 && !this.onNotification && !this.closed) this.sock.unref();
  }

  private onReadable(status: number): void {
    if (status >= 0) {
      this.drain();
      return;
    }
    // uv_poll reports POLLERR as UV_EBADF and stops watching (uv__poll_io in
    // libuv's src/unix/poll.c), and a pending socket error raises POLLERR:
    // ENOBUFS after an overflow does. recv() says what it was; a socket that
    // still reads is watched again, one that does not fails what it carries.
    this.progressed = false;
    this.drain();
    if (this.closed) return;
    if (this.progressed) this.sock.poll((s) => this.onReadable(s));
    else this.failAll(new Error(`netlink poll failed (${status})`));
  }

  private drain(): void {
    // A reply can let a waiting request go out; its reply is read by this loop.
    if (this.draining) return;
    this.draining = true;
    try {
      this.drainLoop();
    } finally {
      this.draining = false;
    }
  }

  private drainLoop(): void {
    for (;;) {
      let n: number;
      try {
        n = this.sock.recv(this.scratch);
      } catch (e) {
        if ((e as { code?: unknown }).code === 'ENOBUFS') {
          this.progressed = true;
          this.overrun(e as Error);
          continue;
        }
        this.failAll(e as Error);
        return;
      }
      if (n < 0) {
        // What settleLost re-sends or lets go from the waiting line is answered by now: read on.
        if (this.settleLost()) continue;
        return;
      }
      if (n > this.scratch.length) {
        this.failAll(new Error(`netlink message of ${n} bytes truncated`));
        return;
      }
      this.progressed = true;
      this.datagram(Buffer.from(this.scratch.subarray(0, n)));
    }
  }

  /**
   * Hands each message of a datagram to dispatch. A message that lies about
   * its length fails the request its sequence number names; a tail too short
   * to name one fails every request in flight (its reply is lost, whose it
   * was is unknowable). Nothing a reply holds can throw out of here: a throw
   * would leave the request pending for good, or, from the poll callback,
   * end the process.
   */
  private datagram(dg: Buffer): void {
    let at = 0;
    while (at < dg.length) {
      const left = dg.length - at;
      if (left < NLMSG_HDRLEN) {
        // The kernel pads the last message to 4 bytes; zeros there are no message.
        if (dg.subarray(at).some((b) => b !== 0)) this.failInFlight(new ParseError(`netlink datagram ends with ${left} bytes, shorter than a message header`));
        return;
      }
      const len = dg.readUInt32LE(at);
      if (len < NLMSG_HDRLEN || len > left) {
        const seq = dg.readUInt32LE(at + 8);
        const err = new ParseError(`netlink message claims ${len} bytes where ${left} are left in the datagram (${left < len ? 'cut short' : 'shorter than its header'})`);
        const p = this.pending.get(seq);
        if (p) this.fail(p, err);
        else this.onSubscriptionError?.(err);
        return;
      }
      const msg = dg.subarray(at, at + len);
      try {
        this.dispatch(msg);
      } catch (e) {
        const p = this.pending.get(msg.readUInt32LE(8));
        const err = e instanceof Error ? e : new Error(String(e));
        if (p) this.fail(p, err);
        else this.onSubscriptionError?.(err);
      }
      at += align4(len);
    }
  }

  private fail(p: Pending, err: Error): void {
    this.settle(p);
    p.reject(err);
  }

  private dispatch(msg: Buffer): void {
    const h = readHeader(msg);
    const p = this.pending.get(h.seq);
    if (!p) {
      if (this.onNotification && h.type !== NLMSG_ERROR && h.type !== NLMSG_DONE) this.onNotification(msg);
      return;
    }
    if (h.type === NLMSG_NOOP || h.type === NLMSG_OVERRUN) return;
    if (h.type === NLMSG_ERROR) {
      const ack = readAck(msg);
      this.settle(p);
      if (ack.errno === 0) p.resolve(p.replies);
      else p.reject(new NetlinkError(ack.errno, ack.requestType || p.msg.readUInt16LE(4), ack.extAck, ack.offset));
      return;
    }
    if (h.flags & NLM_F_DUMP_INTR) p.interrupted = true;
    if (h.type === NLMSG_DONE) {
      // Linux sends a 4-byte error after the header; older kernels sent none.
      const error = msg.length >= 20 ? msg.readInt32LE(16) : 0;
      const extAck = error < 0 ? readDoneExtAck(msg) : undefined;
      this.settle(p);
      if (error < 0) p.reject(new NetlinkError(-error, p.msg.readUInt16LE(4), extAck));
      else if (!p.interrupted) p.resolve(p.replies);
      else if (p.retries >= DUMP_RETRIES) p.reject(new NetlinkError(4 /* EINTR */, p.msg.readUInt16LE(4), 'dump kept changing'));
      else this.retry(p);
      return;
    }
    p.replies.push(msg);
  }

  /**
   * ENOBUFS: the receive queue was full and the kernel dropped messages
   * (netlink_overrun() in net/netlink/af_netlink.c). It reports the error
   * before what is still queued, so the replies that were not dropped are
   * read next. Every request in flight now is suspect; rtnetlink answers
   * inside sendmsg(), so when the queue runs dry (settleLost) a suspect that
   * has no answer yet lost it. Dump chunks are never dropped (the kernel
   * makes the next one only when there is room), but a dump is re-sent
   * anyway if it is still unanswered then: a dump is safe to repeat.
   */
  private overrun(err: Error): void {
    for (const p of this.pending.values()) p.suspect = true;
    this.onSubscriptionError?.(err);
  }

  /** Settles the suspects that got no answer; whether it did anything. */
  private settleLost(): boolean {
    let acted = false;
    for (const p of [...this.pending.values()]) {
      if (!p.suspect) continue;
      acted = true;
      if (p.dump && p.retries < DUMP_RETRIES) {
        this.pending.delete(p.seq);
        this.retry(p);
        continue;
      }
      this.fail(
        p,
        new NetlinkError(
          105 /* ENOBUFS */,
          p.msg.readUInt16LE(4),
          p.dump ? 'the dump was lost again and again' : 'the reply was lost: the receive queue overflowed; the request may or may not have been carried out',
        ),
      );
    }
    return acted;
  }

  /** Fails the requests sent and unanswered; those waiting their turn go out after. */
  private failInFlight(err: Error): void {
    for (const p of [...this.pending.values()]) this.fail(p, err);
  }

  private retry(p: Pending): void {
    p.retries++;
    p.replies = [];
    p.interrupted = false;
    this.send(p);
  }

  private failAll(err: Error): void {
    const all = [...this.pending.values(), ...this.waiting];
    this.pending.clear();
    this.waiting.length = 0;
    for (const p of all) p.reject(err);
    this.onSubscriptionError?.(err);
    // A subscriber keeps the process alive until it closes the socket: after
    // ENOBUFS the subscription still works, and its owner re-checks the state.
    if (!this.closed && !this.onNotification) this.sock.unref();
  }
}
