// Guest processes for tests: a process alone in a namespace of its own, and
// a process started at an exact PID (to reuse the PID of a guest that
// exited). Every child is handed to `track` so that the caller can kill it
// in its after hook.
//
//   const p = await netSleeper(track);             // `unshare --net sleep 120`
//   await killAndReap(p);
//   const q = await sleeperAtPid(p.pid, ns, track); // the same PID, now in ns
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { netnsInode, pidAlive } from './netns';

export type Tracked = ChildProcess & { pid: number };
export type Track = (child: ChildProcess) => Tracked;

/** The default `track`: only checks that the child was spawned. */
export const untracked: Track = (child) => {
  if (child.pid === undefined) throw new Error('spawn failed');
  return child as Tracked;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls (5 ms) until ok() holds; throws after 2 s. */
export async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (ok()) return;
    await sleep(5);
  }
  throw new Error(`timed out waiting until ${what}`);
}

export function netInodeOf(pid: number): number | undefined {
  try {
    return fs.statSync(`/proc/${pid}/ns/net`).ino;
  } catch {
    return undefined;
  }
}

/** `unshare --net sleep 120`: a process alone in a namespace nothing else holds. */
export async function netSleeper(track: Track = untracked): Promise<Tracked> {
  const child = track(spawn('unshare', ['--net', 'sleep', '120'], { stdio: 'ignore' }));
  const self = fs.statSync('/proc/self/ns/net').ino;
  await until(`${child.pid} has its own namespace`, () => {
    const ino = netInodeOf(child.pid);
    return ino !== undefined && ino !== self;
  });
  return child;
}

export async function killAndReap(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/**
 * Starts `ip netns exec ns sleep 120` as PID `pid` exactly, in the root PID
 * namespace: ns_last_pid (writable by root) is set to pid-1 just before the
 * fork. Another fork on the machine in between takes the number: try again.
 */
export async function sleeperAtPid(pid: number, ns: string, track: Track = untracked): Promise<Tracked> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // On a busy machine another short-lived process may hold the number for a moment: let it go.
    if (pidAlive(pid)) await until(`PID ${pid}, taken meanwhile by another process, is free again`, () => !pidAlive(pid));
    fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
    const child = track(spawn('ip', ['netns', 'exec', ns, 'sleep', '120'], { stdio: 'ignore' }));
    if (child.pid === pid) {
      const want = netnsInode(ns);
      await until(`${pid} entered ${ns}`, () => netInodeOf(pid) === want);
      return child;
    }
    await killAndReap(child);
  }
  throw new Error(`could not start a process with PID ${pid} after 50 tries`);
}
