// LXC containers by name, without lxc-info: the container's init process is
// found through its cgroup, and its /proc/PID/ns/net opened.
//
// Where LXC puts a container's processes, under the root of a cgroup
// hierarchy (root's LXC escapes there: lxc.cgroup.relative defaults to 0) or
// under the cgroup LXC was started from (lxc.cgroup.relative = 1):
//
//   lxc.payload.NAME    LXC 4.0 and later, in every v1 controller and in the
//                       v2 tree (a hybrid host has both; a pure v2 host only
//                       the latter)
//   lxc.payload/NAME    LXC 3.1 and 3.2
//   lxc/NAME            LXC 1.x to 3.0 (the only one the original knows: it
//                       runs `find` over the devices controller)
//
// lxc.monitor.NAME (and 3.1's lxc.monitor/NAME) holds lxc-start's monitor,
// which lives in the host's namespaces: never taken. A cgroup set elsewhere
// (lxc.cgroup.dir) is not searched; `pid:N` reaches such a container.
//
// A container's name is its stable id (the mark records it): LXC keeps one
// container per name in a lxcpath, and a restarted container is the same
// container with a new init, so gc compares namespaces, not names.

import * as fs from 'node:fs';
import { PipeworkError } from '../errors';
import { tryOpenNetns, nsError } from './nsfile';

/** LXC's default lxcpath for root (`lxc-create` writes NAME/config there). */
export const LXC_PATH = '/var/lib/lxc';

/** A mounted cgroup hierarchy, as /proc/self/mountinfo describes it. */
export interface CgroupMount {
  /** Where it is mounted. */
  dir: string;
  /** The cgroup the mount shows at `dir` ('/' unless a subtree is bind-mounted). */
  root: string;
  /** 1 (fstype cgroup) or 2 (cgroup2). */
  version: 1 | 2;
  /** v1: its controllers and name= option ('memory', 'cpu,cpuacct', 'name=systemd'); v2: ''. */
  controllers: string[];
}

/** The init process of a running LXC container, and the open fd of its network namespace. */
export interface LxcInit {
  pid: number;
  nsFd: number;
  /** The cgroup directory it was found through. */
  cgroup: string;
}

export interface LxcOptions {
  /** Read instead of /proc/self/mountinfo (tests). */
  mountinfo?: string | undefined;
  /** Where container configs live (default LXC_PATH): only to tell "not running" from "no such container". */
  lxcPath?: string | undefined;
}

/** A name LXC could have made: one path component. */
export function isLxcName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\0\n]/.test(name) && name.length <= 255;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo (fs/proc_namespace.c, mangle()). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Every mounted cgroup hierarchy, one mount each (a hierarchy mounted twice
 * at the same root is the same cgroups: the first mount stands for it).
 * Fields per proc(5): ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS.
 */
export function cgroupMounts(mountinfo: string): CgroupMount[] {
  const seen = new Set<string>();
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f.length < sep + 4) continue;
    const fstype = f[sep + 1];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const key = `${f[2]} ${f[3]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const version = fstype === 'cgroup2' ? 2 : 1;
    // v1 superoptions: rw, the controllers, name=X, and flags such as xattr (harmless here).
    const opts = version === 1 ? (f[sep + 3] ?? '').split(',') : [];
    const controllers = opts.filter((o) => o !== 'rw' && o !== 'ro' && (!o.includes('=') || o.startsWith('name=')));
    out.push({ dir: unescape(f[4] as string), root: unescape(f[3] as string), version, controllers });
  }
  return out;
}

/** Our own cgroup in each hierarchy, from /proc/self/cgroup ('ID:CONTROLLERS:PATH'). */
function ownCgroup(mount: CgroupMount, selfCgroup: string): string | undefined {
  for (const line of selfCgroup.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const ctrls = (m[2] as string).split(',').filter(Boolean);
    if (mount.version === 2 ? m[1] === '0' && ctrls.length === 0 : ctrls.length > 0 && ctrls.every((c) => mount.controllers.includes(c))) {
      return m[3] as string;
    }
  }
  return undefined;
}

/** The directory showing cgroup `path` in `mount`, or undefined when the mount does not show it. */
function cgroupDir(mount: CgroupMount, path: string): string | undefined {
  const root = mount.root.replace(/\/+$/, '');
  if (path !== root && !path.startsWith(`${root}/`)) return undefined;
  return `${mount.dir.replace(/\/+$/, '')}${path.slice(root.length)}`;
}

/** The cgroups a container of this name may live in, in each hierarchy, where they exist. */
export function containerCgroups(name: string, mounts: CgroupMount[], selfCgroup = readOr('/proc/self/cgroup')): string[] {
  const dirs: string[] = [];
  for (const mount of mounts) {
    // The hierarchy's root, then our own cgroup and its ancestors (lxc.cgroup.relative).
    const bases = new Set<string>(['/']);
    const own = ownCgroup(mount, selfCgroup);
    if (own !== undefined) for (let p = own; p !== '/' && p !== ''; p = p.slice(0, p.lastIndexOf('/')) || '/') bases.add(p);
    for (const base of bases) {
      const at = cgroupDir(mount, base);
      if (at === undefined) continue;
      for (const layout of [`lxc.payload.${name}`, `lxc.payload/${name}`, `lxc/${name}`]) {
        const dir = `${at.replace(/\/+$/, '')}/${layout}`;
        if (isDir(dir)) dirs.push(dir);
      }
    }
  }
  return dirs;
}

interface ProcInfo {
  /** Clock ticks since boot when it started (proc(5) stat field 22): with the PID, the process's identity. */
  start: string;
  /** How many PID namespaces below ours it is PID 1 of the innermost of (0 when it is PID 1 of none). */
  initDepth: number;
}

/** Start time from /proc/PID/stat (after the last ')': the command name may hold anything), NSpid from status. */
function procInfo(pid: number): ProcInfo | undefined {
  const stat = readOr(`/proc/${pid}/stat`);
  const close = stat.lastIndexOf(')');
  const start = close < 0 ? undefined : stat.slice(close + 2).split(' ')[19];
  if (start === undefined || !/^\d+$/.test(start)) return undefined;
  // NSpid (Linux 4.1): its PID in each PID namespace, ours first, its own last.
  const nspid = /^NSpid:\s*(.*)$/m.exec(readOr(`/proc/${pid}/status`))?.[1]?.trim().split(/\s+/) ?? [];
  return { start, initDepth: nspid.length > 1 && nspid[nspid.length - 1] === '1' ? nspid.length - 1 : 0 };
}

/** The PIDs in a cgroup and the cgroups below it (v2 allows processes only in leaves: a systemd guest's init sits in init.scope). */
function cgroupPids(dir: string, depth = 0): number[] {
  const pids = readOr(`${dir}/cgroup.procs`).split('\n').filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  if (depth >= 8) return pids;
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    // the cgroup was removed under us: its own PIDs are all there is
  }
  for (const e of entries) if (e.isDirectory()) pids.push(...cgroupPids(`${dir}/${e.name}`, depth + 1));
  return pids;
}

/**
 * The container's init among the processes of its cgroup: the one that is
 * PID 1 of the outermost PID namespace (LXC gives each container its own;
 * what lxc-attach puts in the cgroup is not PID 1 of anything, and a nested
 * container's init is PID 1 one namespace deeper). When none is PID 1 (a
 * container sharing the host's PID namespace, or a kernel without NSpid),
 * the oldest: the process LXC started before all the others. Not "the one
 * whose parent is outside the cgroup": lxc-attach's processes are such too.
 */
export function pickInit(pids: number[]): { pid: number; start: string } | undefined {
  const procs: Array<{ pid: number } & ProcInfo> = [];
  for (const pid of new Set(pids)) {
    const info = procInfo(pid);
    if (info) procs.push({ pid, ...info });
  }
  const depth = (p: ProcInfo) => p.initDepth || Infinity;
  const rank = (a: { pid: number } & ProcInfo, b: { pid: number } & ProcInfo) =>
    depth(a) - depth(b) || Number(BigInt(a.start) - BigInt(b.start)) || a.pid - b.pid;
  const best = procs.sort(rank)[0];
  return best && { pid: best.pid, start: best.start };
}

/**
 * Finds the running LXC container `name` and opens its init's network
 * namespace, or returns null when no cgroup of that name holds a process.
 * The PID is checked again after the open (same start time, still in the
 * cgroup): a PID that died and was reused in between is not taken.
 */
export function findLxcInit(name: string, opts: LxcOptions = {}): LxcInit | null {
  if (!isLxcName(name)) return null;
  const mounts = cgroupMounts(opts.mountinfo ?? readOr('/proc/self/mountinfo'));
  for (let attempt = 0; attempt < 3; attempt++) {
    const found = new Map<number, { start: string; cgroup: string }>();
    for (const dir of containerCgroups(name, mounts)) {
      const init = pickInit(cgroupPids(dir));
      if (init && !found.has(init.pid)) found.set(init.pid, { start: init.start, cgroup: dir });
    }
    if (found.size === 0) return null;
    if (found.size > 1) {
      const list = [...found].map(([pid, f]) => `PID ${pid} in ${f.cgroup}`).join(', ');
      throw new PipeworkError('USAGE', `LXC container ${name} is ambiguous: its cgroups hold different init processes (${list}); name one with pid:N`);
    }
    const [pid, { start, cgroup }] = [...found][0] as [number, { start: string; cgroup: string }];
    const path = `/proc/${pid}/ns/net`;
    const fd = tryOpenNetns(path);
    if (typeof fd !== 'number') {
      if (fd.kind === 'missing') continue; // it exited: look again
      throw nsError(fd, `LXC container ${name} (PID ${pid})`, path, `LXC container ${name} is not running`);
    }
    if (procInfo(pid)?.start === start && cgroupPids(cgroup).includes(pid)) return { pid, nsFd: fd, cgroup };
    fs.closeSync(fd);
  }
  throw new PipeworkError('GUEST_NOT_RUNNING', `LXC container ${name} kept changing its process while being resolved`);
}

/** The error for an `lxc:NAME` that findLxcInit did not find: stopped when LXC has its config, else unknown. */
export function lxcMissing(name: string, opts: LxcOptions = {}): PipeworkError {
  if (isLxcName(name) && fs.existsSync(`${opts.lxcPath ?? LXC_PATH}/${name}/config`)) {
    return new PipeworkError('GUEST_NOT_RUNNING', `LXC container ${name} is not running`);
  }
  return new PipeworkError('GUEST_NOT_FOUND', `no running LXC container named ${name} (no lxc.payload.${name} or lxc/${name} cgroup holds a process)`);
}

function isDir(path: string): boolean {
  try {
    return fs.statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readOr(path: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
