// Throwaway named network namespaces for tests, and `ip` as an oracle.
//
// Every name is `<tag>-<pid>-<label>`: the process id keeps concurrent test
// processes apart, and lets a later run delete what a crashed run left behind
// (namespaces whose <pid> is no longer alive) without touching live ones.
//
//   const scope = new NetnsScope('pwfoo');   // also deletes stale pwfoo-* leftovers
//   const host = scope.create('host');       // 'pwfoo-1234-host'
//   ip(host, 'link', 'add', 'br0', 'type', 'bridge');
//   const links = ipJson(host, 'link', 'show');
//   scope.cleanup();                         // in an after hook

import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';

export const NETNS_DIR = '/var/run/netns';

/** `<tag>-<pid>-`: the prefix of every name this process makes under that tag. */
export function uniquePrefix(tag: string): string {
  return `${tag}-${process.pid}-`;
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

function result(r: SpawnSyncReturns<string>): RunResult {
  if (r.error) throw r.error;
  return { status: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command, returns its status and output; never throws for a non-zero exit. */
export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): RunResult {
  return result(
    spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 }),
  );
}

/** Runs a command and returns stdout; throws with its stderr when it fails. */
export function runOk(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

function ipArgs(ns: string | null, args: string[]): string[] {
  return ns === null ? args : ['-n', ns, ...args];
}

/** `ip [-n ns] args...`, stdout; throws when ip fails. ns null = this process's namespace. */
export function ip(ns: string | null, ...args: string[]): string {
  return runOk('ip', ipArgs(ns, args));
}

/** `ip [-n ns] args...` without throwing. */
export function ipTry(ns: string | null, ...args: string[]): RunResult {
  return run('ip', ipArgs(ns, args));
}

/** Parsed `ip -j [-n ns] args...` (e.g. ipJson(ns, 'addr', 'show', 'dev', 'eth1')). */
export function ipJson<T = any>(ns: string | null, ...args: string[]): T {
  const out = runOk('ip', ['-j', ...ipArgs(ns, args)]).trim();
  return (out === '' ? [] : JSON.parse(out)) as T;
}

/** Runs any command inside a named namespace (`ip netns exec ns cmd...`); stdout; throws on failure. */
export function nsExec(ns: string, cmd: string, ...args: string[]): string {
  return runOk('ip', ['netns', 'exec', ns, cmd, ...args]);
}

/**
 * Starts a long sleep inside a named namespace (`ip netns exec` execs it, so
 * the child's pid is the sleeper's, in that namespace). Kill it when done.
 */
export async function startSleeper(ns: string, seconds = 600): Promise<ChildProcess & { pid: number }> {
  const child = spawn('ip', ['netns', 'exec', ns, 'sleep', String(seconds)], { stdio: 'ignore' });
  if (child.pid === undefined) throw new Error(`could not start a sleeper in ${ns}`);
  const pid = child.pid;
  // Wait until the exec has happened: its namespace is then ns's.
  const want = netnsInode(ns);
  for (let i = 0; i < 200; i++) {
    try {
      if (fs.statSync(`/proc/${pid}/ns/net`).ino === want) return child as ChildProcess & { pid: number };
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill('SIGKILL');
  throw new Error(`sleeper ${pid} never entered ${ns}`);
}

export function netnsExists(name: string): boolean {
  return fs.existsSync(`${NETNS_DIR}/${name}`);
}

export function listNetns(): string[] {
  try {
    return fs.readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
}

export function addNetns(name: string): string {
  runOk('ip', ['netns', 'add', name]);
  return name;
}

/** Deletes a named namespace; quiet when it is already gone. */
export function deleteNetns(name: string): void {
  if (!netnsExists(name)) return;
  const r = run('ip', ['netns', 'delete', name]);
  if (r.status !== 0 && netnsExists(name)) {
    // A stale, unmounted file from a crashed `ip netns add`.
    try {
      fs.unlinkSync(`${NETNS_DIR}/${name}`);
    } catch {
      // give up quietly: a leftover is better than a failing cleanup
    }
  }
}

/** Inode of a named namespace (what fstat of an fd opened on it reports). */
export function netnsInode(name: string): number {
  return fs.statSync(`${NETNS_DIR}/${name}`).ino;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a `<tag>-<pid>-...` name belongs to a process that is gone (names
 * of this very process count only with includeSelf). False for other names.
 */
export function staleOwner(name: string, tag: string, includeSelf = false): boolean {
  const m = new RegExp(`^${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)-`).exec(name);
  if (!m) return false;
  const pid = Number(m[1]);
  if (pid === process.pid) return includeSelf;
  return !pidAlive(pid);
}

/** Deletes namespaces named `<tag>-<pid>-*` whose process is gone. */
export function cleanupStaleNetns(tag: string): string[] {
  const gone = listNetns().filter((n) => staleOwner(n, tag));
  for (const n of gone) deleteNetns(n);
  return gone;
}

/** A set of namespaces owned by this process under one tag. */
export class NetnsScope {
  readonly tag: string;
  readonly prefix: string;
  private readonly made = new Set<string>();

  constructor(tag: string) {
    this.tag = tag;
    this.prefix = uniquePrefix(tag);
    cleanupStaleNetns(tag);
  }

  /** `<prefix><label>`, without creating anything. */
  name(label: string): string {
    return `${this.prefix}${label}`;
  }

  /** Creates `<prefix><label>` (deleting a same-named leftover first) and brings its lo up. */
  create(label: string): string {
    const name = this.name(label);
    deleteNetns(name);
    addNetns(name);
    this.made.add(name);
    ip(name, 'link', 'set', 'lo', 'up');
    return name;
  }

  delete(name: string): void {
    deleteNetns(name);
    this.made.delete(name);
  }

  /** Deletes every namespace this scope made, and any other under this process's prefix. */
  cleanup(): void {
    for (const n of this.made) deleteNetns(n);
    this.made.clear();
    for (const n of listNetns()) if (n.startsWith(this.prefix)) deleteNetns(n);
  }
}
