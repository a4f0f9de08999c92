// Guest resolution: a user's guest spec (docker:web1, lxc:web1, netns:red, pid:123,
// path:/proc/123/ns/net, or unprefixed) to one open network-namespace fd.
// Everything after resolution uses that fd, never the PID again.

import * as fs from 'node:fs';
import { PipeworkError } from '../errors';
import { ContainerInfo, dockerSocketPath, inspectContainer } from './docker';
import { GUEST_KINDS, type GuestKind, type GuestRef } from './kinds';
import { findLxcInit, lxcMissing } from './lxc';
import { NETNS_RUN_DIR, isNetnsName, nsError, openNamedNetns, openPathNetns, openPidNetns, tryOpenNetns } from './nsfile';

/** A resolved guest: its name, container id and PID as GuestRef says. */
export interface Guest extends GuestRef {
  kind: GuestKind;
  /** The spec as the user gave it. */
  spec: string;
  /** Open fd of the guest's network namespace, close-on-exec. */
  nsFd: number;
  /**
   * Whether the guest still lives in the namespace nsFd holds: its process (or
   * its netns name, or its path) still leads to that same namespace. False
   * once the process has exited, even if its PID was reused since.
   */
  isCurrent(): boolean;
  /** Closes nsFd; safe to call twice. */
  close(): void;
}

export interface ResolveOptions {
  /** DOCKER_HOST-style address; default process.env.DOCKER_HOST, then unix:///var/run/docker.sock. */
  dockerHost?: string | undefined;
  /** How many more times to inspect a running container whose PID reads 0 (default 3, as pipework). */
  pidRetries?: number | undefined;
  /** Pause between those tries (default 250 ms). */
  retryDelayMs?: number | undefined;
  /** Give up on a silent Docker engine after this long (default 10 s). */
  dockerTimeoutMs?: number | undefined;
}

const DEFAULT_PID_RETRIES = 3;
const DEFAULT_RETRY_DELAY_MS = 250;
/** `<kind>:<rest>` for each guest kind. */
const PREFIX = new RegExp(`^(${Object.keys(GUEST_KINDS).join('|')}):([\\s\\S]*)$`);
/** What Docker accepts as a container name or id (with an optional leading '/'). */
const DOCKER_REF = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

class ResolvedGuest implements Guest {
  kind: GuestKind;
  spec: string;
  name: string;
  id?: string;
  pid?: number;
  nsFd: number;
  private closed = false;

  constructor(kind: GuestKind, spec: string, name: string, nsFd: number, extra: { id?: string; pid?: number } = {}) {
    this.kind = kind;
    this.spec = spec;
    this.name = name;
    this.nsFd = nsFd;
    if (extra.id !== undefined) this.id = extra.id;
    if (extra.pid !== undefined) this.pid = extra.pid;
  }

  isCurrent(): boolean {
    try {
      const now = fs.statSync(GUEST_KINDS[this.kind].nsPath(this));
      const held = fs.fstatSync(this.nsFd);
      return now.ino === held.ino && now.dev === held.dev;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.nsFd);
  }
}

/**
 * Resolves a guest spec to an open network namespace.
 *
 * - `docker:X`: container X (name, full id or id prefix) through the Engine API.
 * - `lxc:X`: LXC container X, through the cgroup its init lives in (lxc.ts).
 * - `netns:X`: /var/run/netns/X, as made by `ip netns add`.
 * - `pid:N`: /proc/N/ns/net.
 * - `path:P`: any namespace file (a bind mount, /proc/N/ns/net, ...).
 * - unprefixed: Docker, then a running LXC container, then a named netns,
 *   then digits as a PID. When
 *   Docker cannot be asked (no socket, connection refused, no answer), a
 *   netns or process by that name still resolves; when none does, the error
 *   is DOCKER_UNREACHABLE, not GUEST_NOT_FOUND: a container of that name may
 *   exist behind the engine that did not answer. The message names the
 *   socket and its errno. GUEST_NOT_FOUND ("no container, network namespace
 *   or process named X") only when Docker did answer, or was never asked
 *   because X cannot be a container name.
 */
export async function resolveGuest(spec: string, opts: ResolveOptions = {}): Promise<Guest> {
  if (spec === '') throw new PipeworkError('USAGE', 'the guest is empty: give a container, netns:NAME, pid:N or path:P');
  const m = PREFIX.exec(spec);
  if (m) {
    const kind = m[1] as GuestKind;
    const rest = m[2] as string;
    if (rest === '') throw new PipeworkError('USAGE', `guest ${spec} names nothing after "${kind}:"`);
    switch (kind) {
      case 'docker': {
        const socket = dockerSocketPath(opts.dockerHost);
        const g = DOCKER_REF.test(rest) ? await resolveDocker(spec, rest, socket, opts) : null;
        if (!g) throw new PipeworkError('GUEST_NOT_FOUND', `no container named ${rest}`);
        return g;
      }
      case 'lxc':
        return resolveLxc(spec, rest) ?? throwError(lxcMissing(rest));
      case 'netns':
        return new ResolvedGuest('netns', spec, rest, openNamedNetns(rest));
      case 'pid': {
        const pid = parsePid(rest);
        if (pid === undefined) throw new PipeworkError('USAGE', `pid:${rest} is not a process id`);
        return new ResolvedGuest('pid', spec, String(pid), openPidNetns(pid), { pid });
      }
      case 'path':
        return new ResolvedGuest('path', spec, rest, openPathNetns(rest));
    }
  }
  return resolveUnprefixed(spec, opts);
}

async function resolveUnprefixed(spec: string, opts: ResolveOptions): Promise<Guest> {
  const pid = parsePid(spec);
  let dockerError: PipeworkError | undefined;
  let socket = '';
  if (DOCKER_REF.test(spec)) {
    socket = dockerSocketPath(opts.dockerHost);
    try {
      const g = await resolveDocker(spec, spec, socket, opts, (info) => {
        // Digits are also a valid id prefix: refuse to guess between a PID and a container.
        const byPrefixOnly = info.id !== spec && info.name !== spec.replace(/^\//, '');
        if (pid !== undefined && byPrefixOnly && fs.existsSync(`/proc/${pid}`)) {
          throw new PipeworkError(
            'USAGE',
            `${spec} is both a process id and the start of container id ${info.id.slice(0, 12)} (${info.name}): write pid:${spec} or docker:${spec}`,
          );
        }
      });
      if (g) return g;
    } catch (e) {
      if (!(e instanceof PipeworkError) || e.code !== 'DOCKER_UNREACHABLE') throw e;
      dockerError = e;
    }
  }
  const lxc = resolveLxc(spec, spec);
  if (lxc) return lxc;
  if (isNetnsName(spec)) {
    const path = `${NETNS_RUN_DIR}/${spec}`;
    const r = tryOpenNetns(path);
    if (typeof r === 'number') return new ResolvedGuest('netns', spec, spec, r);
    // Not missing but unusable (stale, not a namespace): open it again to throw what a netns: spec gets.
    if (r.kind !== 'missing') return new ResolvedGuest('netns', spec, spec, openNamedNetns(spec));
  }
  if (pid !== undefined) {
    const path = `/proc/${pid}/ns/net`;
    const r = tryOpenNetns(path);
    if (typeof r === 'number') return new ResolvedGuest('pid', spec, String(pid), r, { pid });
    if (r.kind !== 'missing') throw nsError(r, `process ${pid}`, path, '');
  }
  // Docker was not asked, so a container by that name may well exist: say
  // so rather than "not found", whether the engine is absent (ENOENT,
  // ECONNREFUSED) or there but not answering (EACCES, ETIMEDOUT).
  if (dockerError) {
    throw new PipeworkError(
      'DOCKER_UNREACHABLE',
      `no network namespace or process named ${spec}, and Docker is not reachable at ${socket} (${dockerError.errno ?? 'EIO'}) to look for a container`,
      { cause: dockerError, errno: dockerError.errno },
    );
  }
  throw new PipeworkError('GUEST_NOT_FOUND', `no container, network namespace or process named ${spec}`);
}

/**
 * Inspects, opens /proc/PID/ns/net, then inspects again to be sure the PID
 * still belongs to the container (a PID can die and be reused in between).
 * Null when Docker knows no such container.
 */
async function resolveDocker(
  spec: string,
  ref: string,
  socket: string,
  opts: ResolveOptions,
  check?: (info: ContainerInfo) => void,
): Promise<Guest | null> {
  const retries = Math.max(0, opts.pidRetries ?? DEFAULT_PID_RETRIES);
  const delay = Math.max(0, opts.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS);
  const inspect = (r: string) => inspectContainer(r, socket, { timeoutMs: opts.dockerTimeoutMs });
  let name = ref;
  let id: string | undefined;
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) await sleep(delay);
    const info = await inspect(id ?? ref);
    if (!info) {
      if (id === undefined) return null;
      throw new PipeworkError('GUEST_NOT_RUNNING', `container ${name} was removed while being resolved`);
    }
    if (id === undefined) check?.(info);
    id = info.id;
    name = info.name;
    if (!info.running) throw new PipeworkError('GUEST_NOT_RUNNING', `container ${name} is not running`);
    const last = attempt >= retries;
    if (info.pid === 0) {
      if (last) {
        throw new PipeworkError('GUEST_NOT_RUNNING', `container ${name} is running but has no process (PID 0 after ${attempt + 1} tries)`);
      }
      continue;
    }
    const path = `/proc/${info.pid}/ns/net`;
    const fd = tryOpenNetns(path);
    if (typeof fd !== 'number') {
      // The process died between inspect and open: look again.
      if (fd.kind === 'missing' && !last) continue;
      throw nsError(fd, `container ${name} (PID ${info.pid})`, path, `container ${name} is not running`);
    }
    let again: ContainerInfo | null;
    try {
      again = await inspect(id);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    if (again && again.running && again.pid === info.pid) {
      return new ResolvedGuest('docker', spec, name, fd, { id, pid: info.pid });
    }
    fs.closeSync(fd);
    if (!again) throw new PipeworkError('GUEST_NOT_RUNNING', `container ${name} was removed while being resolved`);
    if (!again.running) throw new PipeworkError('GUEST_NOT_RUNNING', `container ${name} is not running`);
    if (last) {
      throw new PipeworkError('GUEST_NOT_RUNNING', `container ${name} kept changing its process while being resolved`);
    }
  }
}

/** The running LXC container `name`, or null when no cgroup of that name holds a process. */
function resolveLxc(spec: string, name: string): Guest | null {
  const init = findLxcInit(name);
  return init && new ResolvedGuest('lxc', spec, name, init.nsFd, { pid: init.pid });
}

function throwError(e: Error): never {
  throw e;
}

/** A positive decimal PID, or undefined. */
function parsePid(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n > 0 && n <= 0x3fffffff ? n : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
