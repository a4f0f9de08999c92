// A JSON-RPC client for ovsdb-server on its unix socket (RFC 7047): what
// `ovs-vsctl` does, without the subprocess. Requests are pipelined: each gets
// a numeric id, and responses are matched by id in whatever order they come.
// The server's "echo" keepalive is answered (RFC 7047 4.1.11: the server
// drops a client that does not answer). A silent server is bounded by a
// per-request timeout; a closed socket fails every pending request at once.
// Failures are PipeworkErrors in one line: OVSDB_UNREACHABLE when the socket
// cannot be reached, stays silent or closes; OVSDB with the server's own
// error text when it answers with an error.
import * as net from 'node:net';
import { PipeworkError } from '../errors';
import { JsonStream, OvsdbParseError } from './framing';
import { classify, errorText } from './rpc';

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface ConnectOptions {
  /** Bound on connecting and on each request's answer, unless the request says otherwise (default 10 s). */
  timeoutMs?: number | undefined;
}

interface Pending {
  method: string;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such socket (is ovsdb-server running?)',
  ECONNREFUSED: 'connection refused (is ovsdb-server running?)',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTSOCK: 'not a socket',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
};

export class OvsdbClient {
  private readonly pending = new Map<number, Pending>();
  private readonly stream = new JsonStream();
  private nextId = 1;
  private failure: PipeworkError | undefined;

  private constructor(
    private readonly sock: net.Socket,
    /** The socket path, for messages. */
    readonly path: string,
    private readonly timeoutMs: number,
  ) {
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('error', (e: Error & { code?: string }) => this.fail(this.unreachable(REASONS[e.code ?? ''] ?? e.message, e.code)));
    sock.on('close', () => this.fail(this.unreachable('the server closed the connection')));
    // Idle, the socket does not keep the process alive; a pending request's timer does.
    sock.unref();
  }

  static connect(path: string, options: ConnectOptions = {}): Promise<OvsdbClient> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const sock = net.createConnection({ path });
      const unreachable = (why: string, errno?: string) =>
        new PipeworkError('OVSDB_UNREACHABLE', `Open vSwitch database at unix:${path} is not reachable: ${why}`, { errno });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(unreachable(`no connection within ${timeoutMs} ms`, 'ETIMEDOUT'));
      }, timeoutMs);
      sock.once('error', (e: Error & { code?: string }) => {
        clearTimeout(timer);
        reject(unreachable(REASONS[e.code ?? ''] ?? e.message, e.code));
      });
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        resolve(new OvsdbClient(sock, path, timeoutMs));
      });
    });
  }

  /** One JSON-RPC request; resolves with its result, rejects with the server's error as one line. */
  request(method: string, params: unknown[], timeoutMs = this.timeoutMs): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // A server that does not answer in time is treated as gone: nothing later on this connection can be trusted.
        this.fail(this.unreachable(`no answer to ${method} within ${timeoutMs} ms`, 'ETIMEDOUT'));
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      this.sock.ref();
      this.sock.write(JSON.stringify({ method, params, id }));
    });
  }

  close(): void {
    this.fail(new PipeworkError('OVSDB_UNREACHABLE', `connection to the Open vSwitch database at unix:${this.path} was closed by us`));
    this.sock.destroy();
  }

  private onData(chunk: Buffer): void {
    let messages: unknown[];
    try {
      messages = this.stream.push(chunk);
      for (const raw of messages) this.dispatch(raw);
    } catch (e) {
      if (!(e instanceof OvsdbParseError)) throw e;
      this.fail(new PipeworkError('OVSDB', `Open vSwitch database at unix:${this.path} sent something that is not OVSDB JSON-RPC: ${e.message}`));
      this.sock.destroy();
    }
  }

  private dispatch(raw: unknown): void {
    const m = classify(raw);
    if (m.type === 'request') {
      // echo is the only request a server sends a client (RFC 7047 4.1.11); notifications (id null) need no answer.
      if (m.method === 'echo' && m.id !== null) this.sock.write(JSON.stringify({ result: m.params, error: null, id: m.id }));
      return;
    }
    if (typeof m.id !== 'number') return; // not one of ours (our ids are numbers)
    const p = this.pending.get(m.id);
    if (!p) return;
    this.settle(m.id, p);
    if (m.error !== null) p.reject(new PipeworkError('OVSDB', `Open vSwitch database refused ${p.method}: ${errorText(m.error)}`));
    else p.resolve(m.result);
  }

  private settle(id: number, p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(id);
    if (this.pending.size === 0) this.sock.unref();
  }

  private unreachable(why: string, errno?: string): PipeworkError {
    return new PipeworkError('OVSDB_UNREACHABLE', `Open vSwitch database at unix:${this.path}: ${why}`, { errno });
  }

  private fail(e: PipeworkError): void {
    this.failure ??= e;
    for (const [id, p] of this.pending) {
      this.settle(id, p);
      p.reject(this.failure);
    }
    this.sock.destroy();
  }
}
