// Network sysctls of one namespace: the files under /proc/sys/net.
//
// Which namespace a /proc/sys/net file belongs to is decided when it is
// opened: procfs looks the net sysctl tables up in the network namespace of
// the opening thread (fs/proc/proc_sysctl.c, with the per-namespace tables of
// register_net_sysctl() in include/net/net_namespace.h), whatever namespace
// the /proc mount itself was made in. So the file is opened inside the guest
// (Sys.openFile: setns, open, setns back, on this thread) and then read or
// written here as any fd; a write reaches the guest's value (e.g. a guest
// interface's net/ipv6/conf/<if>/disable_ipv6), never the host's.

import * as fs from 'node:fs';
import { PipeworkError, usage } from '../errors';
import { sys, type Sys, type SysError } from '../sys';

const PROC_SYS = '/proc/sys/';
/** A file's content is a line or a few numbers; anything longer is read in several chunks. */
const CHUNK = 4096;
/** Linux's NAME_MAX: no path component is longer. */
const MAX_COMPONENT = 255;

/**
 * A key is a path below /proc/sys, slash-separated as sysctl(8) also accepts
 * (net/ipv6/conf/eth1/disable_ipv6), and must start with net/: only those
 * belong to a network namespace. Each component is printable ASCII without
 * ':' (interface names may hold almost any character but '/', ':' and
 * whitespace, see dev_valid_name() in net/core/dev.c), and is neither empty,
 * '.' nor '..': the key cannot leave /proc/sys/net.
 */
function checkKey(key: string): void {
  const bad = (why: string) => usage(`sysctl key ${JSON.stringify(key)} ${why}`);
  if (typeof key !== 'string' || key === '') throw bad('is empty');
  if (key.startsWith('/')) throw bad('must be relative to /proc/sys (net/...), without a leading /');
  const parts = key.split('/');
  if (parts[0] !== 'net' || parts.length < 2) throw bad('is not a network sysctl: it must start with net/');
  for (const p of parts) {
    if (p === '') throw bad('has an empty component');
    if (p === '.' || p === '..') throw bad(`has a ${p} component`);
    if (p.length > MAX_COMPONENT) throw bad(`has a component longer than ${MAX_COMPONENT} characters`);
    if (!/^[\x21-\x7e]+$/.test(p) || p.includes(':')) throw bad('may hold only letters, digits, _ . - / and interface-name characters');
  }
}

/** A value to write: one line of printable text (numbers separated by blanks, as some sysctls take). */
function checkValue(key: string, value: string | number): string {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  if (typeof text !== 'string' || text === '' || !/^[\x20-\x7e\t]+$/.test(text)) {
    throw usage(`sysctl ${key}: ${JSON.stringify(value)} is not a value to write (one line of printable text)`);
  }
  return text;
}

/** A failure of the system call, in the user's terms, with the errno name and the SysError as cause. */
function kernelError(doing: string, key: string, e: unknown): PipeworkError {
  const se = e as Partial<SysError>;
  if (typeof se?.code !== 'string') return new PipeworkError('INTERNAL', `cannot ${doing} sysctl ${key}: ${String(e)}`, { cause: e });
  // The reason alone: 'EINVAL: Invalid argument, write' -> 'invalid argument'.
  const reason = /^[A-Z0-9]+: ([^,]+)/.exec(se.message ?? '')?.[1]?.toLowerCase() ?? se.code;
  const why = se.code === 'ENOENT' ? 'no such sysctl in that network namespace' : reason;
  return new PipeworkError('KERNEL', `cannot ${doing} sysctl ${key}: ${se.code} (${why})`, { cause: e, errno: se.code });
}

function open(backend: Sys, key: string, flags: number, nsFd: number | undefined, doing: string): number {
  try {
    return backend.openFile(PROC_SYS + key, flags, nsFd);
  } catch (e) {
    throw kernelError(doing, key, e);
  }
}

/**
 * Reads a network sysctl of namespace nsFd (undefined: this process's own
 * namespace), e.g. readSysctl(fd, 'net/ipv6/conf/eth1/disable_ipv6') === '1'.
 * Returns the file's text without its final newline. Throws USAGE for a key
 * that is not a net/ path (see checkKey), KERNEL with errno set ('ENOENT'
 * when no such sysctl exists in that namespace, e.g. no such interface;
 * 'EINVAL' when nsFd is not a network namespace) otherwise.
 */
export function readSysctl(nsFd: number | undefined, key: string, backend: Sys = sys()): string {
  checkKey(key);
  const fd = open(backend, key, fs.constants.O_RDONLY, nsFd, 'read');
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const buf = Buffer.alloc(CHUNK);
      const n = fs.readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
    }
    return Buffer.concat(chunks).toString('utf8').replace(/\n$/, '');
  } catch (e) {
    throw kernelError('read', key, e);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes a network sysctl of namespace nsFd (undefined: this process's own),
 * e.g. writeSysctl(fd, 'net/ipv6/conf/eth1/disable_ipv6', 1). The value goes
 * out in one write(2) at offset 0, as procfs wants (kernel.sysctl_writes_strict,
 * Documentation/admin-guide/sysctl/kernel.rst). Throws USAGE for a bad key or
 * a value that is not one line of printable text, KERNEL with errno set when
 * the kernel refuses (EINVAL for a value it does not take, ENOENT when no
 * such sysctl exists in that namespace).
 */
export function writeSysctl(nsFd: number | undefined, key: string, value: string | number, backend: Sys = sys()): void {
  checkKey(key);
  const text = checkValue(key, value);
  const fd = open(backend, key, fs.constants.O_WRONLY, nsFd, 'write');
  try {
    const bytes = Buffer.from(`${text}\n`, 'latin1');
    const n = fs.writeSync(fd, bytes, 0, bytes.length, null); // a fresh fd: offset 0
    if (n !== bytes.length) throw new PipeworkError('KERNEL', `cannot write sysctl ${key}: only ${n} of ${bytes.length} bytes taken`);
  } catch (e) {
    if (e instanceof PipeworkError) throw e;
    throw kernelError(`write ${text} to`, key, e);
  } finally {
    fs.closeSync(fd);
  }
}
