// A minimal Docker Engine API client: just enough to inspect one container,
// over the engine's unix socket with node:http. No docker CLI, no subprocess.
//
// Paths are unversioned (/containers/{name}/json): the engine then answers in
// its own current API version, and the fields used here have not changed
// since API 1.12.

import * as http from 'node:http';
import { PipeworkError } from '../errors';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** The part of GET /containers/{name}/json this project needs. */
export interface ContainerInfo {
  /** Full 64-hex-digit container id. */
  id: string;
  /** Container name without the leading '/'. */
  name: string;
  /** State.Status: created, running, paused, restarting, removing, exited, dead. */
  status: string;
  running: boolean;
  paused: boolean;
  restarting: boolean;
  /** State.Pid, in the engine's PID namespace; 0 when there is no process. */
  pid: number;
}

export interface InspectOptions {
  /** Give up on a silent engine after this long (default 10 s). */
  timeoutMs?: number | undefined;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_BODY = 16 * 1024 * 1024;

/**
 * The engine's socket path from a DOCKER_HOST-style value (default:
 * process.env.DOCKER_HOST, then /var/run/docker.sock). Only unix:// is
 * supported; tcp://, ssh:// and the rest are a USAGE error.
 */
export function dockerSocketPath(dockerHost: string | undefined = process.env.DOCKER_HOST): string {
  if (dockerHost === undefined || dockerHost === '') return DEFAULT_DOCKER_SOCKET;
  const m = /^unix:\/\/(.+)$/.exec(dockerHost);
  if (m) return m[1] as string;
  throw new PipeworkError(
    'USAGE',
    `DOCKER_HOST=${dockerHost} is not supported: only a local socket (unix:///path/to/docker.sock) is`,
  );
}

/**
 * Inspects a container by name, full id or unambiguous id prefix. Resolves
 * null when the engine knows no such container. Throws DOCKER_UNREACHABLE
 * (errno set to the socket error, e.g. ENOENT, ECONNREFUSED, EACCES, ETIMEDOUT)
 * when the socket does not answer, USAGE when an id prefix is ambiguous.
 */
export async function inspectContainer(
  nameOrId: string,
  socketPath: string,
  options: InspectOptions = {},
): Promise<ContainerInfo | null> {
  // Docker shows names with a leading '/', and answers a %2F in the path with a 301.
  const ref = nameOrId.replace(/^\/+/, '');
  if (ref === '' || ref.includes('/')) return null;
  const path = `/containers/${encodeURIComponent(ref)}/json`;
  const { status, body } = await get(socketPath, path, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  if (status === 404) return null;
  const message = engineMessage(body);
  if (status !== 200) {
    if (/multiple IDs found/i.test(message)) {
      throw new PipeworkError('USAGE', `container id prefix ${ref} is ambiguous: it matches several containers`);
    }
    throw new PipeworkError('INTERNAL', `Docker at ${socketPath} answered HTTP ${status} to GET ${path}: ${message}`);
  }
  return parseInspect(body, socketPath, path);
}

function parseInspect(body: string, socketPath: string, path: string): ContainerInfo {
  let j: unknown;
  try {
    j = JSON.parse(body);
  } catch (cause) {
    throw new PipeworkError('INTERNAL', `Docker at ${socketPath} answered GET ${path} with something that is not JSON`, { cause });
  }
  const o = j as { Id?: unknown; Name?: unknown; State?: Record<string, unknown> };
  const state = o?.State;
  if (typeof o?.Id !== 'string' || typeof state !== 'object' || state === null) {
    throw new PipeworkError('INTERNAL', `Docker at ${socketPath} answered GET ${path} without Id or State`);
  }
  const pid = typeof state.Pid === 'number' && Number.isInteger(state.Pid) && state.Pid > 0 ? state.Pid : 0;
  return {
    id: o.Id,
    name: typeof o.Name === 'string' ? o.Name.replace(/^\//, '') : o.Id,
    status: typeof state.Status === 'string' ? state.Status : '',
    running: state.Running === true,
    paused: state.Paused === true,
    restarting: state.Restarting === true,
    pid,
  };
}

function engineMessage(body: string): string {
  try {
    const j = JSON.parse(body) as { message?: unknown };
    if (typeof j?.message === 'string') return j.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.trim().slice(0, 200);
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such socket',
  ECONNREFUSED: 'connection refused',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTSOCK: 'not a socket',
  ETIMEDOUT: 'no answer',
  ECONNRESET: 'connection reset',
};

function get(socketPath: string, path: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: Error & { code?: string }, reason?: string) => {
      if (settled) return;
      settled = true;
      const code = err.code ?? 'EIO';
      const why = reason ?? REASONS[code] ?? `${code}: ${err.message}`;
      reject(new PipeworkError('DOCKER_UNREACHABLE', `Docker is not reachable at ${socketPath}: ${why}`, { cause: err, errno: code }));
    };
    const req = http.request(
      { socketPath, path, method: 'GET', agent: false, headers: { Host: 'docker', Accept: 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY) {
            req.destroy(Object.assign(new Error('answer too large'), { code: 'EMSGSIZE' }));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err) => fail(err));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.setTimeout(timeoutMs, () => {
      const err = Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
      fail(err, `no answer within ${timeoutMs} ms`);
      req.destroy(err);
    });
    req.on('error', (err) => fail(err));
    req.end();
  });
}
