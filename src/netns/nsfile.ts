// Opening namespace files: /proc/PID/ns/net, /var/run/netns/NAME, any path.
// Each open is checked to really be a namespace (nsfs), so a stale file left in
// /var/run/netns by a crashed `ip netns add` fails here, not later in setns.

import * as fs from 'node:fs';
import { PipeworkError } from '../errors';

export const NETNS_RUN_DIR = '/var/run/netns';

/** Why a namespace file could not be opened. */
export type NsFileError =
  | { kind: 'missing' }
  | { kind: 'not-netns'; detail: string }
  | { kind: 'errno'; code: string; cause: unknown };

/** A valid `ip netns` name: a single path component. */
export function isNetnsName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0') && name.length <= 255;
}

let nsfsDev: number | undefined;

/** The device number of nsfs, where every namespace inode lives. */
function nsfsDevice(): number {
  nsfsDev ??= fs.statSync('/proc/self/ns/net').dev;
  return nsfsDev;
}

/**
 * Opens path read-only (close-on-exec, as libuv always does) and checks that
 * it is a network namespace. Returns the fd, or a reason it could not.
 *
 * The check: the inode must be on nsfs, and when the kernel names the open
 * file 'type:[inode]' (a /proc/PID/ns/* link), the type must be 'net'. A bind
 * mount of another namespace type (/var/run/netns/X holding a uts namespace)
 * cannot be told apart without ioctl(NS_GET_NSTYPE); setns would refuse it.
 */
export function tryOpenNetns(path: string): number | NsFileError {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR') return { kind: 'missing' };
    return { kind: 'errno', code, cause: e };
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.dev !== nsfsDevice()) {
      fs.closeSync(fd);
      return { kind: 'not-netns', detail: st.isDirectory() ? 'a directory' : 'not a namespace' };
    }
    let link = '';
    try {
      link = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      // no /proc/self/fd: the nsfs check above stands alone
    }
    const m = /^([a-z_]+):\[\d+\]$/.exec(link);
    if (m && m[1] !== 'net') {
      fs.closeSync(fd);
      return { kind: 'not-netns', detail: `a ${m[1]} namespace` };
    }
    return fd;
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      // already gone
    }
    return { kind: 'errno', code: (e as NodeJS.ErrnoException).code ?? 'EIO', cause: e };
  }
}

/** Turns an NsFileError into a PipeworkError about `what` ('network namespace red', 'process 123', 'path /x'). */
export function nsError(err: NsFileError, what: string, path: string, missingMessage: string): PipeworkError {
  switch (err.kind) {
    case 'missing':
      return new PipeworkError('GUEST_NOT_FOUND', missingMessage);
    case 'not-netns':
      return new PipeworkError('GUEST_NOT_FOUND', `${what} is not a network namespace (${path} is ${err.detail})`);
    case 'errno':
      return new PipeworkError('KERNEL', `cannot open ${what} (${path}): ${err.code}`, { cause: err.cause, errno: err.code });
  }
}

/** Opens a named netns, or throws GUEST_NOT_FOUND / USAGE / KERNEL. */
export function openNamedNetns(name: string): number {
  if (!isNetnsName(name)) throw new PipeworkError('USAGE', `invalid network namespace name ${JSON.stringify(name)}`);
  const path = `${NETNS_RUN_DIR}/${name}`;
  const r = tryOpenNetns(path);
  if (typeof r === 'number') return r;
  if (r.kind === 'not-netns' && r.detail === 'not a namespace') {
    throw new PipeworkError('GUEST_NOT_FOUND', `network namespace ${name} is not mounted (stale file ${path})`);
  }
  throw nsError(r, `network namespace ${name}`, path, `network namespace ${name} does not exist`);
}

/** Opens /proc/PID/ns/net, or throws GUEST_NOT_FOUND / KERNEL. */
export function openPidNetns(pid: number): number {
  const path = `/proc/${pid}/ns/net`;
  const r = tryOpenNetns(path);
  if (typeof r === 'number') return r;
  throw nsError(r, `process ${pid}`, path, `no process with PID ${pid}`);
}

/** Opens a namespace file by path, or throws GUEST_NOT_FOUND / KERNEL. */
export function openPathNetns(path: string): number {
  if (path === '') throw new PipeworkError('USAGE', 'empty network namespace path');
  const r = tryOpenNetns(path);
  if (typeof r === 'number') return r;
  throw nsError(r, path, path, `network namespace file ${path} does not exist`);
}
