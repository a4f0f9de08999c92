// One interface over the system calls the rest of the code needs. The
// backend is the N-API addon in native/; a later ffi-rs backend implements the
// same interface for hosts that cannot compile it.

/** A non-blocking socket owned by a backend. */
export interface SysSocket {
  readonly fd: number;
  /** Bytes sent, or -1 when the socket would block. */
  send(buf: Uint8Array): number;
  /** The datagram's full length (more than buf.length means it was cut), or -1 when none waits. */
  recv(buf: Uint8Array): number;
  setsockopt(level: number, name: number, value: number): void;
  /** Calls onReadable(status) from the event loop whenever data waits; status < 0 is a libuv error. */
  poll(onReadable: (status: number) => void): void;
  pause(): void;
  /** Whether a started poll keeps the process alive (default: yes). */
  ref(): void;
  unref(): void;
  close(): void;
  /**
   * Closes on a thread of its own and returns at once: for AF_PACKET, whose
   * close waits ~12 ms for an RCU grace period. Neither the event loop nor
   * libuv's pool waits for it.
   */
  closeInBackground(): void;
}

export interface Sys {
  readonly name: string;
  /** A NETLINK socket of that protocol, created inside namespace nsFd when given. */
  openNetlink(protocol: number, nsFd?: number): SysSocket;
  /** An AF_PACKET SOCK_RAW socket bound to ifindex; ethertype 0 receives nothing. */
  openPacket(ifindex: number, ethertype: number, nsFd?: number): SysSocket;
}

/** The shape of errors the backends throw, as Node's own system errors. */
export interface SysError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export function isSysError(e: unknown): e is SysError {
  return e instanceof Error && typeof (e as SysError).code === 'string' && typeof (e as SysError).errno === 'number';
}

let current: Sys | undefined;

/** The backend in use, loaded on first call. */
export function sys(): Sys {
  current ??= loadAddon();
  return current;
}

function loadAddon(): Sys {
  const path = require('node:path') as typeof import('node:path');
  const addon = require(path.join(__dirname, '..', '..', 'build', 'Release', 'pipework_native.node')) as {
    openNetlink(protocol: number, nsFd?: number): SysSocket;
    openPacket(ifindex: number, ethertype: number, nsFd?: number): SysSocket;
  };
  return {
    name: 'addon',
    openNetlink: (protocol, nsFd) => addon.openNetlink(protocol, nsFd),
    openPacket: (ifindex, ethertype, nsFd) => addon.openPacket(ifindex, ethertype, nsFd),
  };
}
