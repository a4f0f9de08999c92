// Where Open vSwitch's database listens: `--ovsdb unix:PATH` (ovs-vsctl's
// --db syntax), else PIPEWORK_OVSDB, else the packaged default socket. Only
// a local socket: tcp: and ssl: remotes need no less than TLS and a remote
// host's namespaces, which pipework cannot plumb anyway.
import { PipeworkError } from '../errors';

export const DEFAULT_OVSDB_SOCKET = '/var/run/openvswitch/db.sock';

/** The socket path in an endpoint; USAGE for anything but unix:/absolute/path. */
export function parseOvsdbEndpoint(text: string, from = '--ovsdb'): string {
  const m = /^unix:(\/.*)$/.exec(text);
  if (m && !m[1]!.includes('\0')) return m[1]!;
  throw new PipeworkError('USAGE', `${from} ${JSON.stringify(text)}: give the database's local socket as unix:/path/to/db.sock`);
}

export interface OvsdbEndpoint {
  path: string;
  /** Whether the user named it (an option or PIPEWORK_OVSDB): then it must answer; the default may simply not exist. */
  explicit: boolean;
}

export function ovsdbEndpoint(given?: string, env: string | undefined = process.env.PIPEWORK_OVSDB): OvsdbEndpoint {
  if (given !== undefined) return { path: parseOvsdbEndpoint(given), explicit: true };
  if (env !== undefined && env !== '') return { path: parseOvsdbEndpoint(env, 'PIPEWORK_OVSDB'), explicit: true };
  return { path: DEFAULT_OVSDB_SOCKET, explicit: false };
}
