// JSON-RPC 1.0 as OVSDB uses it (RFC 7047 section 4.1): a request has
// method, params (an array) and id; a notification is a request whose id is
// null; a response has result, error and the id of its request. A parsed
// value that is none of these is a protocol error (OvsdbParseError).
import { OvsdbParseError, oneLine } from './framing';

export type RpcMessage =
  | { type: 'response'; id: unknown; result: unknown; error: unknown }
  | { type: 'request'; method: string; params: unknown[]; id: unknown };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function classify(v: unknown): RpcMessage {
  if (!isObject(v)) throw new OvsdbParseError('a JSON-RPC message must be an object');
  if ('method' in v) {
    const method = typeof v.method === 'string' ? oneLine(v.method, 64) : '';
    if (typeof v.method !== 'string') throw new OvsdbParseError('a JSON-RPC request\'s method must be a string');
    if (!Array.isArray(v.params)) throw new OvsdbParseError(`JSON-RPC request ${method} has no params array`);
    if (!('id' in v)) throw new OvsdbParseError(`JSON-RPC request ${method} has no id`);
    return { type: 'request', method: v.method, params: v.params, id: v.id };
  }
  if ('result' in v || 'error' in v) {
    if (!('id' in v)) throw new OvsdbParseError('a JSON-RPC response has no id');
    return { type: 'response', id: v.id, result: v.result ?? null, error: v.error ?? null };
  }
  throw new OvsdbParseError('a JSON-RPC message has neither method nor result');
}

/** Room for ovsdb-server's longest details (an index violation names both rows' uuids and origins). */
const MAX_ERROR_TEXT = 1000;

/** An error member as one line: OVSDB sends a string, or an object with error and details (RFC 7047 3.1). */
export function errorText(e: unknown): string {
  return oneLine(errorWords(e), MAX_ERROR_TEXT);
}

function errorWords(e: unknown): string {
  if (typeof e === 'string') return e;
  if (isObject(e)) {
    const main = typeof e.error === 'string' ? e.error : JSON.stringify(e.error ?? e);
    return typeof e.details === 'string' && e.details !== '' ? `${main}: ${e.details}` : main;
  }
  return String(JSON.stringify(e));
}
