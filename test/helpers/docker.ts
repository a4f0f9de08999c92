// Docker for tests, through the docker CLI (tests may spawn; the product never does).
//
// Container names follow the netns helper's scheme, `<tag>-<pid>-<label>`, so a
// run can remove what a crashed run left behind without touching live runs.
//
//   if (dockerAvailable) { ensureBusyboxImage(); const c = runContainer(name); ... removeContainer(name); }

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run, runOk, staleOwner } from './netns';

export const BUSYBOX_IMAGE = 'pipework-test-busybox:latest';

function probe(): { ok: boolean; why: string } {
  let r;
  try {
    r = run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 });
  } catch (e) {
    return { ok: false, why: `the docker CLI cannot run (${(e as Error).message})` };
  }
  if (r.status !== 0) {
    const msg = (r.stderr.trim().split('\n').pop() ?? '').slice(0, 200);
    return { ok: false, why: `docker info failed: ${msg || `exit ${r.status}`}` };
  }
  return { ok: true, why: '' };
}

const probed = probe();
/** Whether a Docker engine answered `docker info` when this module loaded. */
export const dockerAvailable: boolean = probed.ok;
/** Why Docker is unavailable ('' when it is). */
export const dockerWhyNot: string = probed.why;

export function docker(...args: string[]): string {
  return runOk('docker', args, { timeoutMs: 120_000 }).trim();
}

export function dockerTry(...args: string[]): { status: number; stdout: string; stderr: string } {
  return run('docker', args, { timeoutMs: 120_000 });
}

/** Makes the busybox image (default BUSYBOX_IMAGE) from busybox-static when it is not there yet; returns its name. */
export function ensureBusyboxImage(image: string = BUSYBOX_IMAGE): string {
  if (dockerTry('image', 'inspect', image).status === 0) return image;
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));
  if (!busybox) throw new Error('busybox not found (apt-get install busybox-static)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-busybox-'));
  try {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.copyFileSync(busybox, path.join(bin, 'busybox'));
    fs.chmodSync(path.join(bin, 'busybox'), 0o755);
    const applets = runOk(busybox, ['--list']).split('\n').map((s) => s.trim()).filter((s) => s !== '' && s !== 'busybox');
    for (const a of applets) fs.symlinkSync('busybox', path.join(bin, a));
    fs.mkdirSync(path.join(dir, 'tmp'));
    fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
    const tar = path.join(os.tmpdir(), `pw-busybox-${process.pid}.tar`);
    runOk('tar', ['-C', dir, '-cf', tar, '.']);
    try {
      // Concurrent runs may import at once: both tag the same name, which is fine.
      docker('import', '-c', 'ENV PATH=/bin', tar, image);
    } finally {
      fs.rmSync(tar, { force: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return image;
}

export interface Container {
  name: string;
  /** Full id. */
  id: string;
}

/**
 * Starts a `--net none` container that sleeps, under a name that must be
 * unique (use uniquePrefix()). A same-named leftover is removed first.
 */
export function runContainer(name: string, opts: { net?: string; extraArgs?: string[]; seconds?: number } = {}): Container {
  removeContainer(name);
  const id = docker(
    'run', '-d', '--name', name, '--net', opts.net ?? 'none', ...(opts.extraArgs ?? []),
    BUSYBOX_IMAGE, 'sleep', String(opts.seconds ?? 3600),
  );
  return { name, id };
}

/** Creates a container without starting it: it exists and is not running. */
export function createContainer(name: string): Container {
  removeContainer(name);
  const id = docker('create', '--name', name, '--net', 'none', BUSYBOX_IMAGE, 'sleep', '3600');
  return { name, id };
}

/** Kills a running container (busybox sleep as PID 1 ignores SIGTERM, so no `docker stop`). */
export function killContainer(name: string): void {
  dockerTry('kill', name);
}

export function removeContainer(name: string): void {
  dockerTry('rm', '-f', '-v', name);
}

/** State.Pid of a container (0 when not running). */
export function containerPid(name: string): number {
  return Number(docker('inspect', '--format', '{{.State.Pid}}', name));
}

export function containerId(name: string): string {
  return docker('inspect', '--format', '{{.Id}}', name);
}

/** `docker exec name cmd...`, stdout; throws when it fails. */
export function dockerExec(name: string, ...cmd: string[]): string {
  return docker('exec', name, ...cmd);
}

/** `docker exec` without throwing. */
export function dockerExecTry(name: string, ...cmd: string[]): { status: number; stdout: string; stderr: string } {
  return dockerTry('exec', name, ...cmd);
}

/** Names of all containers (any state) starting with prefix. */
export function listContainers(prefix: string): string[] {
  if (!dockerAvailable) return [];
  const out = dockerTry('ps', '-a', '--format', '{{.Names}}');
  if (out.status !== 0) return [];
  return out.stdout.split('\n').map((s) => s.trim()).filter((s) => s.startsWith(prefix));
}

/** Removes containers named `<tag>-<pid>-*` whose process is gone; with includeSelf, this process's too. */
export function cleanupContainers(tag: string, includeSelf = false): string[] {
  const gone = listContainers(`${tag}-`).filter((n) => staleOwner(n, tag, includeSelf));
  if (gone.length > 0) dockerTry('rm', '-f', '-v', ...gone);
  return gone;
}
