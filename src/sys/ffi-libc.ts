// The ffi-rs backend's libc binding and errno error shape: split from ffi.ts to keep each under ~400 lines.
import * as util from 'node:util';
import type { SysError } from './index';

// Linux values (the generic ones, as on x86-64 and arm64).
const PTHREAD_CREATE_DETACHED = 1;
const SOL_SOCKET = 1;
const SO_ATTACH_FILTER = 26;
const ENOMEM = 12;
const CLOSE_THREAD_STACK = 64 * 1024;

type FfiRs = typeof import('ffi-rs');
type External = import('ffi-rs').JsExternal;

/** The libc entry points, bound once. Each returns the raw C result; errno() reads errno after a failure. */
export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Buffer): number;
  setns(fd: number, nstype: number): number;
  send(fd: number, buf: Buffer, flags: number): number;
  recv(fd: number, buf: Buffer, flags: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer): number;
  /** setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER) with a struct sock_fprog built in C memory around program: 0, or the errno. */
  attachFilter(fd: number, program: Buffer): number;
  close(fd: number): number;
  eventfd(initval: number, flags: number): number;
  read(fd: number, buf: Buffer): number;
  write(fd: number, buf: Buffer): number;
  strerror(err: number): string;
  /** poll(2) on a pool thread: resolves with [result, errno]. */
  pollAsync(fds: Buffer, nfds: number, timeoutMs: number): Promise<[number, number]>;
  /** Closes fd on a detached thread of its own; false when no thread could be made (fd still open). */
  closeOnThread(fd: number): boolean;
  errno(): number;
}

export function bindLibc(): Libc {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const ffi = require('ffi-rs') as FfiRs;
  const T = ffi.DataType;
  const LIB = 'pipework-libc';
  // path '' is dlopen(NULL): the symbols already loaded into this process,
  // libc's among them, whichever libc it is (glibc or musl).
  ffi.open({ library: LIB, path: '' });

  type Params = { retType: number; paramsType: number[]; runInNewThread?: boolean; errno?: boolean };
  const call = (funcName: string, p: Params, values: unknown[]): any =>
    ffi.load({
      library: LIB,
      funcName,
      retType: p.retType,
      paramsType: p.paramsType,
      paramsValue: values,
      freeResultMemory: false,
      ...(p.runInNewThread ? { runInNewThread: true, errno: true } : {}),
    } as any);

  const I32 = T.I32;
  const I64 = T.I64;
  const U64 = T.U64;
  const BUF = T.U8Array;
  const sig = (retType: number, ...paramsType: number[]): Params => ({ retType, paramsType });
  const S = {
    socket: sig(I32, I32, I32, I32),
    bind: sig(I32, I32, BUF, I32),
    setns: sig(I32, I32, I32),
    send: sig(I64, I32, BUF, U64, I32),
    recv: sig(I64, I32, BUF, U64, I32),
    setsockopt: sig(I32, I32, I32, I32, BUF, I32),
    close: sig(I32, I32),
    eventfd: sig(I32, I32, I32),
    read: sig(I64, I32, BUF, U64),
    write: sig(I64, I32, BUF, U64),
    strerror: sig(T.String, I32),
    poll: { retType: I32, paramsType: [BUF, U64, I32], runInNewThread: true },
    errnoLocation: sig(T.External),
    dlsym: sig(T.External, I64, T.String),
    pthreadAttrInit: sig(I32, BUF),
    pthreadAttrSetdetachstate: sig(I32, BUF, I32),
    pthreadAttrSetstacksize: sig(I32, BUF, U64),
    pthreadCreate: { retType: I32, paramsType: [BUF, BUF, T.External, I64] },
    malloc: sig(T.External, U64),
    free: sig(T.Void, T.External),
    // memmove(p, p, 0) returns p: the one way here to learn a C pointer's value.
    addressOf: sig(I64, T.External, T.External, U64),
    setsockoptPtr: sig(I32, I32, I32, I32, T.External, I32),
  };

  // errno of the JS thread: every synchronous call runs here.
  const errnoBuf = ffi.createExternalBuffer(call('__errno_location', S.errnoLocation, []) as External, 4);

  // A detached-thread attribute, and libc's close() as a thread start routine.
  let closeThread: ((fd: number) => boolean) | undefined;
  try {
    const attr = Buffer.alloc(128); // pthread_attr_t is 56 bytes on x86-64, 64 on arm64
    const closeFn = call('dlsym', S.dlsym, [0 /* RTLD_DEFAULT */, 'close']) as External;
    if (ffi.isNullPointer(closeFn)) throw new Error('dlsym(close) failed');
    if (call('pthread_attr_init', S.pthreadAttrInit, [attr]) !== 0) throw new Error('pthread_attr_init failed');
    if (call('pthread_attr_setdetachstate', S.pthreadAttrSetdetachstate, [attr, PTHREAD_CREATE_DETACHED]) !== 0) {
      throw new Error('pthread_attr_setdetachstate failed');
    }
    call('pthread_attr_setstacksize', S.pthreadAttrSetstacksize, [attr, CLOSE_THREAD_STACK]); // below the minimum (arm64): default stack
    const tid = Buffer.alloc(8);
    closeThread = (fd) => call('pthread_create', S.pthreadCreate, [tid, attr, closeFn, fd]) === 0;
  } catch {
    closeThread = undefined;
  }

  return {
    socket: (d, t, p) => call('socket', S.socket, [d, t, p]),
    bind: (fd, addr) => call('bind', S.bind, [fd, addr, addr.length]),
    setns: (fd, t) => call('setns', S.setns, [fd, t]),
    send: (fd, buf, flags) => call('send', S.send, [fd, buf, buf.length, flags]),
    recv: (fd, buf, flags) => call('recv', S.recv, [fd, buf, buf.length, flags]),
    setsockopt: (fd, level, name, value) => call('setsockopt', S.setsockopt, [fd, level, name, value, value.length]),
    close: (fd) => call('close', S.close, [fd]),
    eventfd: (v, flags) => call('eventfd', S.eventfd, [v, flags]),
    read: (fd, buf) => call('read', S.read, [fd, buf, buf.length]),
    write: (fd, buf) => call('write', S.write, [fd, buf, buf.length]),
    strerror: (err) => String(call('strerror', S.strerror, [err])),
    pollAsync: async (fds, nfds, timeoutMs) => {
      const r = (await call('poll', S.poll, [fds, nfds, timeoutMs])) as { value: number; errnoCode: number };
      return [r.value, r.errnoCode];
    },
    closeOnThread: (fd) => closeThread?.(fd) ?? false,
    attachFilter: (fd, program) => {
      // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
      // holds a pointer, so both it and the program live in malloc'd memory
      // for the length of the call (the kernel copies the program).
      const mem = call('malloc', S.malloc, [program.length]) as External;
      const fprog = call('malloc', S.malloc, [16]) as External;
      try {
        if (ffi.isNullPointer(mem) || ffi.isNullPointer(fprog)) return ENOMEM;
        ffi.createExternalBuffer(mem, program.length).set(program);
        const address = call('memmove', S.addressOf, [mem, mem, 0]) as number;
        const f = ffi.createExternalBuffer(fprog, 16);
        f.fill(0);
        f.writeUInt16LE(program.length / 8, 0);
        f.writeBigUInt64LE(BigInt(address), 8);
        const rc = call('setsockopt', S.setsockoptPtr, [fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, 16]) as number;
        return rc < 0 ? errnoBuf.readInt32LE(0) : 0; // read before free() runs
      } finally {
        if (!ffi.isNullPointer(mem)) call('free', S.free, [mem]);
        if (!ffi.isNullPointer(fprog)) call('free', S.free, [fprog]);
      }
    },
    errno: () => errnoBuf.readInt32LE(0),
  };
}

/** A failed call's errno in the addon's error shape: code (libuv's name), -errno, syscall, "<code>: <strerror>, <syscall>". */
export function errnoError(libc: Libc, err: number, syscall: string): SysError {
  const code = util.getSystemErrorName(-err);
  const e = new Error(`${code}: ${libc.strerror(err)}, ${syscall}`) as SysError;
  e.code = code;
  e.errno = -err;
  e.syscall = syscall;
  return e;
}
