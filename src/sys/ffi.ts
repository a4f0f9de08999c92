// The ffi-rs backend's Sys: sockets, readiness, namespace switching (its libc binding: ffi-libc.ts).
//
// The ffi-rs backend: the same Sys interface as the addon, through libc calls
// made with ffi-rs (a prebuilt N-API module from npm), for hosts where the
// addon neither has a prebuild nor can be compiled.
//
// What it calls, and on which thread:
//   - socket, bind, send, recv, setsockopt, malloc, free, close, setns, eventfd, read,
//     write, strerror, pthread_*: synchronous ffi-rs calls, which run on the
//     calling (JS) thread. setns therefore switches the JS thread, as the addon
//     does, and only for the length of one socket() + bind().
//   - the namespace handle to come back to, /proc/thread-self/ns/net, is opened
//     and closed with Node's fs.openSync/closeSync, which also run on the
//     calling thread (and spare us a variadic open(2) through libffi). So is
//     openFile's open(2): synchronous fs calls are made by libuv on the
//     calling thread, here between the two setns calls, and libuv adds
//     O_CLOEXEC itself (uv_fs_open). Its failures are re-thrown in the
//     addon's shape (Node's own fs errors carry the path in the message).
//   - errno: read from the calling thread's errno (the int that
//     __errno_location() points to, wrapped once in a Buffer) right after the
//     failed call, and turned into the addon's error shape: `code` (libuv's
//     name, as uv_err_name), negative `errno`, `syscall`, and the message
//     "<code>: <strerror>, <syscall>".
//   - poll(2), for readiness (below): asynchronously, on a libuv pool thread
//     (ffi-rs's runInNewThread is N-API async work, i.e. uv_queue_work).
//   - closeInBackground: pthread_create with libc's own close() as the start
//     routine, detached, 64 KiB stack: the addon's strategy, with no code of
//     ours on that thread (it relies on the C ABI passing the first integer
//     or pointer argument in the same register, true on x86-64 and arm64).
//     When a thread cannot be made, the socket is closed on the spot.
//
// Readiness without uv_poll. rtnetlink answers a request inside our send(),
// and the next chunk of a dump is produced inside our recv() of the previous
// one, so NetlinkSocket's read-after-send needs no readiness at all. What does
// is a multicast subscription (wait.ts), and any reply a protocol produces
// later. For those, while a socket is polled AND referenced, one poll(2) on
// { the socket, an eventfd of its own } runs on the libuv pool with a bounded
// timeout (POLL_TIMEOUT_MS); when it returns, readable data is handed to the
// callback and the next poll is queued. It sleeps in the kernel: a subscription
// that hears nothing costs one pool round trip per POLL_TIMEOUT_MS.
// The trade-offs, compared with uv_poll:
//   - each such socket occupies one libuv pool thread (4 by default) while it
//     waits; the bounded timeout re-queues the poll behind whatever else waits
//     for the pool, so fs/dns/zlib work is delayed by at most that long even
//     when every pool thread holds a poll;
//   - pending async work keeps the event loop alive and cannot be unref'd, so
//     unref() (and pause(), close()) stop re-queuing and write the eventfd,
//     which ends the poll in flight at once: an unref'd socket lets the
//     process exit immediately, but it is then not watched at all. Its data
//     is read at the next send's drain, or when it is ref'd again. (With the
//     addon an unref'd watcher still fires while something else keeps the
//     loop alive.) NetlinkSocket unrefs only when it expects nothing.
//   - ref() arms the poll from a microtask, not at once: a request's reply is
//     normally read inside send(), and by then the socket is unref'd again, so
//     ordinary requests never touch the pool.
import * as fs from 'node:fs';
import { bindLibc, errnoError, type Libc } from './ffi-libc';
import type { Sys, SysSocket } from './index';

/** How long one poll(2) may hold a libuv pool thread before it is re-queued. */
export const POLL_TIMEOUT_MS = 500;

// Linux values (the generic ones, as on x86-64 and arm64).
const AF_NETLINK = 16;
const AF_PACKET = 17;
const SOCK_RAW = 3;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;
const MSG_NOSIGNAL = 0x4000;
const CLONE_NEWNET = 0x40000000;
const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
const POLLIN = 0x1;
const POLLNVAL = 0x20;
const EAGAIN = 11;
const EINTR = 4;
const EBADF = 9;
const EINVAL = 22;
const O_CLOEXEC = 0o2000000;
const BPF_MAXINSNS = 4096;

/** A Buffer over the same bytes (ffi-rs wants Buffers, not plain Uint8Arrays). */
function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

class FfiSocket implements SysSocket {
  private fd_: number;
  private callback: ((status: number) => void) | undefined;
  private polling = false;
  private referenced = true;
  private inFlight = false;
  private armQueued = false;
  private wakeFd = -1;
  private readonly pollFds = Buffer.alloc(16); // two struct pollfd { int fd; short events; short revents; }
  private readonly eight = Buffer.alloc(8);

  constructor(
    private readonly libc: Libc,
    fd: number,
  ) {
    this.fd_ = fd;
  }

  get fd(): number {
    return this.fd_;
  }

  private checkOpen(): void {
    if (this.fd_ < 0) throw errnoError(this.libc, EBADF, 'socket');
  }

  send(buf: Uint8Array): number {
    this.checkOpen();
    const n = this.libc.send(this.fd_, asBuffer(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      const err = this.libc.errno();
      if (err === EAGAIN) return -1;
      throw errnoError(this.libc, err, 'send');
    }
    return n;
  }

  recv(buf: Uint8Array): number {
    this.checkOpen();
    const n = this.libc.recv(this.fd_, asBuffer(buf), MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      const err = this.libc.errno();
      if (err === EAGAIN) return -1;
      throw errnoError(this.libc, err, 'recv');
    }
    return n;
  }

  setsockopt(level: number, name: number, value: number): void {
    this.checkOpen();
    const v = Buffer.alloc(4);
    v.writeInt32LE(value | 0, 0);
    if (this.libc.setsockopt(this.fd_, level, name, v) < 0) throw errnoError(this.libc, this.libc.errno(), 'setsockopt');
  }

  attachFilter(program: Uint8Array): void {
    this.checkOpen();
    // As the addon: the length is checked here, before any C memory is made.
    if (program.length === 0 || program.length % 8 !== 0 || program.length / 8 > BPF_MAXINSNS) {
      throw errnoError(this.libc, EINVAL, 'setsockopt');
    }
    const err = this.libc.attachFilter(this.fd_, Buffer.from(program));
    if (err !== 0) throw errnoError(this.libc, err, 'setsockopt');
  }

  poll(onReadable: (status: number) => void): void {
    this.checkOpen();
    this.callback = onReadable;
    this.polling = true;
    this.queueArm();
  }

  pause(): void {
    this.polling = false;
    this.wake();
  }

  ref(): void {
    this.referenced = true;
    this.queueArm();
  }

  unref(): void {
    this.referenced = false;
    this.wake();
  }

  close(): void {
    const fd = this.shutdown();
    if (fd >= 0) this.libc.close(fd);
  }

  closeInBackground(): void {
    const fd = this.shutdown();
    if (fd >= 0 && !this.libc.closeOnThread(fd)) this.libc.close(fd);
  }

  /** Stops watching and lets go of the descriptor, which it returns (or -1). */
  private shutdown(): number {
    const fd = this.fd_;
    this.fd_ = -1;
    this.callback = undefined;
    this.polling = false;
    // Wake a poll in flight, then close the eventfd at once: the poll holds
    // its own references to both files until it returns, and one that has not
    // started yet finds the descriptors closed (POLLNVAL) and returns at once.
    this.wake();
    this.closeWake();
    return fd;
  }

  private wanted(): boolean {
    return this.fd_ >= 0 && this.polling && this.referenced;
  }

  private queueArm(): void {
    if (this.armQueued || this.inFlight || !this.wanted()) return;
    this.armQueued = true;
    queueMicrotask(() => {
      this.armQueued = false;
      this.arm();
    });
  }

  private arm(): void {
    if (this.inFlight || !this.wanted()) return;
    if (this.wakeFd < 0) {
      const efd = this.libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
      this.wakeFd = efd >= 0 ? efd : -1; // without one, pause/unref/close take effect at the poll's timeout
    }
    const fds = this.pollFds;
    fds.writeInt32LE(this.fd_, 0);
    fds.writeInt16LE(POLLIN, 4);
    fds.writeInt16LE(0, 6);
    fds.writeInt32LE(this.wakeFd, 8);
    fds.writeInt16LE(POLLIN, 12);
    fds.writeInt16LE(0, 14);
    this.inFlight = true;
    this.libc.pollAsync(fds, this.wakeFd >= 0 ? 2 : 1, POLL_TIMEOUT_MS).then(
      ([n, err]) => this.polled(n, err),
      () => this.polled(-1, EBADF),
    );
  }

  private polled(n: number, err: number): void {
    this.inFlight = false;
    if (this.fd_ < 0 || !this.polling || this.callback === undefined) return;
    if (this.wakeFd >= 0 && this.pollFds.readInt16LE(14) !== 0) this.libc.read(this.wakeFd, this.eight); // reset the eventfd
    let status = 0;
    if (n < 0 && err !== EINTR) status = -err;
    else if (n > 0 && this.pollFds.readInt16LE(6) & POLLNVAL) status = -EBADF;
    // POLLIN, and POLLERR too (a pending socket error, such as ENOBUFS after
    // an overflow, is what the next recv reports): as uv_poll, call back.
    if (status < 0 || (n > 0 && this.pollFds.readInt16LE(6) !== 0)) this.callback(status);
    this.arm();
  }

  /** Ends a poll in flight at once (the eventfd becomes readable). */
  private wake(): void {
    if (!this.inFlight || this.wakeFd < 0) return;
    this.eight.writeBigUInt64LE(1n, 0);
    this.libc.write(this.wakeFd, this.eight);
  }

  private closeWake(): void {
    if (this.wakeFd < 0) return;
    this.libc.close(this.wakeFd);
    this.wakeFd = -1;
  }
}

/**
 * Runs make() inside network namespace nsFd (when given), on this thread, and
 * comes back. If coming back fails, this thread would go on in the wrong
 * namespace: abort, as the addon does.
 */
function inNamespace(libc: Libc, nsFd: number | undefined, make: () => number): number {
  if (nsFd === undefined || nsFd === null || nsFd < 0) return make();
  const self = fs.openSync('/proc/thread-self/ns/net', 'r'); // libuv adds O_CLOEXEC
  try {
    if (libc.setns(nsFd, CLONE_NEWNET) < 0) throw errnoError(libc, libc.errno(), 'setns');
    let result: number;
    try {
      result = make();
    } finally {
      if (libc.setns(self, CLONE_NEWNET) < 0) {
        process.stderr.write(`pipework: cannot return to the original network namespace: ${libc.strerror(libc.errno())}\n`);
        process.abort();
      }
    }
    return result;
  } finally {
    fs.closeSync(self);
  }
}

/** open(2) through Node on this thread; failures in the addon's error shape. */
function openPlain(libc: Libc, path: string, flags: number): number {
  if (path.includes('\0')) throw errnoError(libc, EINVAL, 'open'); // as the addon: open(2) cannot take it
  try {
    return fs.openSync(path, flags | O_CLOEXEC, 0o666);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).errno;
    if (typeof errno !== 'number') throw e; // not a system error (a bad argument type)
    throw errnoError(libc, -errno, 'open');
  }
}

/** socket() then bind(): the fd, or throws (closing what it made). */
function openBound(libc: Libc, domain: number, protocol: number, addr: Buffer): number {
  const fd = libc.socket(domain, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) throw errnoError(libc, libc.errno(), 'socket');
  if (libc.bind(fd, addr) < 0) {
    const err = libc.errno();
    libc.close(fd);
    throw errnoError(libc, err, 'bind');
  }
  return fd;
}

const htons = (v: number): number => ((v & 0xff) << 8) | ((v >> 8) & 0xff);

/** The ffi-rs backend; throws when ffi-rs (or its prebuilt binary for this platform) cannot load. */
export function loadFfi(): Sys {
  const libc = bindLibc();
  return {
    name: 'ffi',
    openNetlink(protocol, nsFd) {
      // Bound at once (nl_pid 0: the kernel picks the port id), as the addon:
      // rtnetlink multicasts skip port id 0, which an unbound socket has.
      const snl = Buffer.alloc(12); // sockaddr_nl { family, pad, pid, groups }
      snl.writeUInt16LE(AF_NETLINK, 0);
      const fd = inNamespace(libc, nsFd, () => openBound(libc, AF_NETLINK, protocol, snl));
      return new FfiSocket(libc, fd);
    },
    openPacket(ifindex, ethertype, nsFd) {
      const sll = Buffer.alloc(20); // sockaddr_ll { family, protocol (network order), ifindex, hatype, pkttype, halen, addr[8] }
      sll.writeUInt16LE(AF_PACKET, 0);
      sll.writeUInt16BE(ethertype & 0xffff, 2);
      sll.writeInt32LE(ifindex | 0, 4);
      const fd = inNamespace(libc, nsFd, () => openBound(libc, AF_PACKET, htons(ethertype & 0xffff), sll));
      return new FfiSocket(libc, fd);
    },
    openFile(path, flags, nsFd) {
      return inNamespace(libc, nsFd, () => openPlain(libc, path, flags));
    },
  };
}
