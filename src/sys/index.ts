// One interface over the system calls the rest of the code needs. Two
// backends implement it: the N-API addon in native/ and, for hosts where the
// addon neither has a prebuild nor can be compiled, libc through ffi-rs
// (./ffi.ts). sys() picks one (PIPEWORK_BACKEND, see there).
import { PipeworkError } from '../errors';

/** A non-blocking socket owned by a backend. */
export interface SysSocket {
  readonly fd: number;
  /** Bytes sent, or -1 when the socket would block. */
  send(buf: Uint8Array): number;
  /** The datagram's full length (more than buf.length means it was cut), or -1 when none waits. */
  recv(buf: Uint8Array): number;
  setsockopt(level: number, name: number, value: number): void;
  /**
   * SO_ATTACH_FILTER: a classic BPF program, the packed array of struct
   * sock_filter (8 bytes each, host byte order: u16 code, u8 jt, u8 jf,
   * u32 k; linux/filter.h). The kernel then queues only what it accepts.
   * EINVAL for an empty, ragged or invalid program.
   */
  attachFilter(program: Uint8Array): void;
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
  /**
   * open(2) of path with these flags (fs.constants.O_RDONLY, O_WRONLY, ...;
   * O_CLOEXEC is always added; mode 0666 before the umask for O_CREAT),
   * inside namespace nsFd when given. Returns a plain fd that the caller
   * reads, writes and closes with node:fs (fs.readSync, fs.closeSync).
   *
   * The namespace matters for /proc/sys/net: procfs looks its sysctl tables
   * up in the network namespace of the thread that opens the file, and the
   * open file keeps that namespace's table. A path with a NUL byte is EINVAL.
   */
  openFile(path: string, flags: number, nsFd?: number): number;
}

/** The shape of errors the backends throw, as Node's own system errors. */
export interface SysError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

let current: Sys | undefined;

/**
 * The backend in use, loaded on first call: PIPEWORK_BACKEND=addon or ffi
 * picks one (and fails if it cannot load); unset or empty, the addon when it
 * loads, else ffi-rs. Any other value is a USAGE error.
 */
export function sys(): Sys {
  current ??= loadBackend(process.env.PIPEWORK_BACKEND);
  return current;
}

/** The backend a PIPEWORK_BACKEND value selects, freshly loaded (sys() caches the result). */
export function loadBackend(choice: string | undefined): Sys {
  if (choice === 'addon') return loadAddon();
  if (choice === 'ffi') return (require('./ffi') as typeof import('./ffi')).loadFfi();
  if (choice !== undefined && choice !== '') {
    throw new PipeworkError('USAGE', `PIPEWORK_BACKEND=${choice} is not a backend: use addon or ffi, or leave it unset`);
  }
  try {
    return loadAddon();
  } catch (addonError) {
    try {
      return (require('./ffi') as typeof import('./ffi')).loadFfi();
    } catch (ffiError) {
      throw new PipeworkError(
        'INTERNAL',
        `no system-call backend loads: the addon (${(addonError as Error).message.split('\n')[0]}) nor ffi-rs (${(ffiError as Error).message.split('\n')[0]})`,
        { cause: ffiError },
      );
    }
  }
}

function loadAddon(): Sys {
  // node-gyp-build finds the binary: build/Release/ when the addon was built
  // from source here (a clone, or an install that had to compile), else the
  // prebuild in prebuilds/<platform>-<arch>/ that fits this Node and libc
  // (the npm package carries linux-x64 glibc). It throws when neither fits.
  const path = require('node:path') as typeof import('node:path');
  const load = require('node-gyp-build') as (dir: string) => unknown;
  const addon = load(path.join(__dirname, '..', '..')) as {
    openNetlink(protocol: number, nsFd?: number): SysSocket;
    openPacket(ifindex: number, ethertype: number, nsFd?: number): SysSocket;
    openFile(path: string, flags: number, nsFd?: number): number;
  };
  return {
    name: 'addon',
    openNetlink: (protocol, nsFd) => addon.openNetlink(protocol, nsFd),
    openPacket: (ifindex, ethertype, nsFd) => addon.openPacket(ifindex, ethertype, nsFd),
    openFile: (path, flags, nsFd) => addon.openFile(path, flags, nsFd),
  };
}
