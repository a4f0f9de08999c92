// A Sys whose netlink socket is no socket at all: what the code under test
// sends is recorded, and the datagrams a test queues are what recv() returns.
// For replies the kernel never sends (truncated, lying about their length,
// an error from recv such as ENOBUFS): the kernel cannot be made to produce
// them, so this stand-in is the only way to feed them. Tests that can use the
// real kernel wrap the real socket instead (helpers/sys-wrap.ts).
import type { Sys, SysSocket } from '../../src/sys';

export class FakeNetlink {
  /** Every message sent, copied. */
  readonly sent: Buffer[] = [];
  /** What recv() returns next: a datagram, or an error to throw. */
  readonly queue: Array<Buffer | Error> = [];
  /** Called after each send, may queue the answer (as the kernel answers inside sendmsg). */
  answer: ((msg: Buffer, fake: FakeNetlink) => void) | undefined;
  onReadable: ((status: number) => void) | undefined;
  refs = 0;
  closed = false;

  readonly sys: Sys = {
    name: 'fake',
    openNetlink: () => this.socket(),
    openPacket: () => {
      throw new Error('FakeNetlink has no packet sockets');
    },
    openFile: () => {
      throw new Error('FakeNetlink has no files');
    },
  };

  /** The sequence number of the n-th message sent (negative n counts from the end). */
  seq(n = -1): number {
    return this.sent.at(n)!.readUInt32LE(8);
  }

  /** Queues a datagram and, as the poll watcher would, tells the socket. */
  deliver(datagram: Buffer | Error): void {
    this.queue.push(datagram);
    this.onReadable?.(0);
  }

  private socket(): SysSocket {
    return {
      fd: -1,
      send: (buf) => {
        const msg = Buffer.from(buf);
        this.sent.push(msg);
        this.answer?.(msg, this);
        return buf.length;
      },
      recv: (buf) => {
        const next = this.queue.shift();
        if (next === undefined) return -1;
        if (next instanceof Error) throw next;
        buf.set(next.subarray(0, buf.length));
        return next.length;
      },
      setsockopt: () => undefined,
      attachFilter: () => undefined,
      poll: (cb) => {
        this.onReadable = cb;
      },
      pause: () => undefined,
      ref: () => void this.refs++,
      unref: () => void this.refs--,
      close: () => {
        this.closed = true;
      },
      closeInBackground: () => {
        this.closed = true;
      },
    };
  }
}

/** A netlink message: header (length as given, else the real one) then payload. */
export function nlmsg(type: number, flags: number, seq: number, payload: Uint8Array = Buffer.alloc(0), length?: number): Buffer {
  const m = Buffer.alloc(16 + payload.length);
  m.writeUInt32LE(length ?? m.length, 0);
  m.writeUInt16LE(type, 4);
  m.writeUInt16LE(flags, 6);
  m.writeUInt32LE(seq, 8);
  m.set(payload, 16);
  return m;
}

/** An NLMSG_ERROR for seq: errno 0 is the ACK; the echoed header is the request's type. */
export function ack(seq: number, errno = 0, requestType = 18): Buffer {
  const p = Buffer.alloc(4 + 16);
  p.writeInt32LE(-errno, 0);
  p.writeUInt32LE(16, 4);
  p.writeUInt16LE(requestType, 8);
  p.writeUInt32LE(seq, 12);
  return nlmsg(2 /* NLMSG_ERROR */, 0x100 /* NLM_F_CAPPED */, seq, p);
}

/** NLMSG_DONE for seq. */
export function done(seq: number): Buffer {
  return nlmsg(3, 2 /* NLM_F_MULTI */, seq, Buffer.alloc(4));
}

export function enobufs(): Error {
  return Object.assign(new Error('ENOBUFS: No buffer space available, recvmsg'), { code: 'ENOBUFS', errno: 105, syscall: 'recvmsg' });
}
