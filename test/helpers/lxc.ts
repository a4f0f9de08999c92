// LXC for tests, through the lxc-* tools (tests may spawn; the product never does).
//
// Containers are busybox ones (`lxc-create -t busybox` copies the host's
// busybox) with `lxc.net.0.type = empty`: a network namespace holding lo only,
// so no lxcbr0 and nothing on the host's network. Names follow the netns
// helper's scheme, `<tag>-<pid>-<label>`, so a run removes what a crashed run
// left behind without touching live runs.
//
// Also: cgroups the tests make themselves (a cgroup2 mount, a named v1
// hierarchy) to place real processes in every layout LXC uses; stale ones are
// found by the same name scheme.

import * as fs from 'node:fs';
import { run, staleOwner, type RunResult } from './netns';

export const LXC_PATH = '/var/lib/lxc';

export function lxc(tool: string, ...args: string[]): RunResult {
  try {
    return run(`lxc-${tool}`, args, { timeoutMs: 60_000 });
  } catch (e) {
    return { status: 127, stdout: '', stderr: (e as Error).message };
  }
}

function lxcOk(tool: string, ...args: string[]): string {
  const r = lxc(tool, ...args);
  if (r.status !== 0) throw new Error(`lxc-${tool} ${args.join(' ')} failed (${r.status}): ${(r.stderr.trim() || r.stdout.trim()).slice(0, 300)}`);
  return r.stdout;
}

/**
 * Creates and starts container `name` (a same-named leftover is destroyed
 * first). Returns '' when it runs, else why it could not (the tests that need
 * it then skip, saying so).
 */
export function startLxc(name: string): string {
  if (lxc('create', '--version').status !== 0) return 'lxc-create is not installed (apt-get install lxc lxc-templates)';
  destroyLxc(name);
  const created = lxc('create', '-t', 'busybox', '-n', name);
  if (created.status !== 0) return `lxc-create -t busybox -n ${name} failed: ${lastLine(created)}`;
  const config = `${LXC_PATH}/${name}/config`;
  const lines = fs.readFileSync(config, 'utf8').split('\n').filter((l) => !/^\s*lxc\.net\.0\./.test(l));
  fs.writeFileSync(config, `${lines.join('\n').trimEnd()}\nlxc.net.0.type = empty\n`);
  const why = startAgain(name);
  if (why) destroyLxc(name);
  return why;
}

/** lxc-start, and wait for RUNNING: '' or why not. */
export function startAgain(name: string): string {
  const started = lxc('start', '-n', name);
  if (started.status !== 0) return `lxc-start -n ${name} failed on this machine: ${lastLine(started)}`;
  const ran = lxc('wait', '-n', name, '-s', 'RUNNING', '-t', '10');
  if (ran.status !== 0) return `container ${name} did not reach RUNNING: ${lastLine(ran)}`;
  return '';
}

export function stopLxc(name: string): void {
  lxc('stop', '-k', '-n', name);
  lxc('wait', '-n', name, '-s', 'STOPPED', '-t', '10');
}

/** Stops and destroys; quiet when it does not exist. */
export function destroyLxc(name: string): void {
  if (!fs.existsSync(`${LXC_PATH}/${name}`)) return;
  stopLxc(name);
  lxc('destroy', '-n', name);
}

/** The container's init as LXC itself reports it (lxc-info -p): the oracle for our cgroup lookup. */
export function lxcInfoPid(name: string): number {
  return Number(lxcOk('info', '-pH', '-n', name).trim());
}

/** `lxc-attach -n name -- cmd...`: stdout; throws when it fails. */
export function lxcAttach(name: string, ...cmd: string[]): string {
  return lxcOk('attach', '-n', name, '--', ...cmd);
}

/** Destroys containers named `<tag>-<pid>-*` whose process is gone (with includeSelf, this process's too). */
export function cleanupLxc(tag: string, includeSelf = false): string[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(LXC_PATH);
  } catch {
    return [];
  }
  const gone = names.filter((n) => staleOwner(n, tag, includeSelf));
  for (const n of gone) destroyLxc(n);
  return gone;
}

function lastLine(r: RunResult): string {
  return ((r.stderr.trim() || r.stdout.trim()).split('\n').pop() ?? `exit ${r.status}`).slice(0, 300);
}

// ---- cgroups the tests make ---------------------------------------------------------------

/** Mount points in /proc/self/mountinfo (field 5, \ooo escapes undone). */
export function mountPoints(): Array<{ dir: string; fstype: string }> {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const f = l.split(' ');
      const sep = f.indexOf('-', 6);
      return { dir: (f[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), fstype: f[sep + 1] ?? '' };
    });
}

/** Removes a cgroup and those below it, once their processes are gone (killed with SIGKILL). */
export function removeCgroup(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroup(`${dir}/${e.name}`);
  for (let i = 0; i < 100; i++) {
    let pids: string[] = [];
    try {
      pids = fs.readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean);
    } catch {
      return;
    }
    for (const p of pids) {
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      fs.rmdirSync(dir);
      return;
    } catch {
      // EBUSY while the killed are still exiting (synchronous: it runs at load time too)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/**
 * Leftovers of crashed runs under `tag`: mounts at a path holding
 * `<tag>-<pid>-`, cgroups of that name at the root of every mounted
 * hierarchy (the cgroup2 tree outlives the test's own mount of it), and named
 * v1 hierarchies `name=<tag>-<pid>-...` (they outlive their mount while a
 * cgroup is left in them: mounted again here to be emptied).
 */
export function cleanupCgroups(tag: string, includeSelf = false): void {
  const stale = (s: string) => {
    const m = new RegExp(`${tag}-\\d+-`).exec(s);
    return !!m && staleOwner(s.slice(m.index), tag, includeSelf);
  };
  for (const m of mountPoints()) if (stale(m.dir)) run('umount', ['-l', m.dir]);
  for (const m of mountPoints()) {
    if (m.fstype !== 'cgroup' && m.fstype !== 'cgroup2') continue;
    for (const top of ['', '/lxc', '/lxc.payload']) {
      let entries: string[] = [];
      try {
        entries = fs.readdirSync(`${m.dir}${top}`);
      } catch {
        continue;
      }
      for (const e of entries) if (stale(e)) removeCgroup(`${m.dir}${top}/${e}`);
    }
  }
  for (const name of namedHierarchies()) if (stale(name)) dropNamedHierarchy(name, tag);
}

/** The names of the named v1 hierarchies (every process is in each one's root, so /proc/self/cgroup lists them all). */
export function namedHierarchies(): string[] {
  return fs
    .readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .map((l) => /^\d+:name=([^:,]+):/.exec(l)?.[1])
    .filter((n): n is string => !!n);
}

/**
 * Empties a named v1 hierarchy and lets it go: mounted again, its cgroups
 * removed, unmounted. The kernel destroys it at that unmount only if no
 * cgroup, not even a dying one, is left: callers may need to try again.
 */
export function dropNamedHierarchy(name: string, tag: string): void {
  const dir = fs.mkdtempSync(`/tmp/${tag}-${process.pid}-drop-`);
  if (run('mount', ['-t', 'cgroup', '-o', `none,name=${name}`, name, dir]).status === 0) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroup(`${dir}/${e.name}`);
    run('umount', [dir]);
  }
  fs.rmdirSync(dir);
}
