// OVSDB's data and operations (RFC 7047 sections 5.1 and 5.2), as plain JSON
// builders, and `transact` (4.1.3) with its results checked: the server
// answers one result per operation; the first failing one carries
// {error, details} and the operations after it are not run (null). A failure
// to commit (a constraint or referential-integrity violation) is an extra
// error after the last operation's result. All or nothing, either way.
import { PipeworkError } from '../errors';
import type { OvsdbClient } from './client';
import { errorText } from './rpc';

export type Atom = string | number | boolean | ['uuid', string] | ['named-uuid', string];
export type Value = Atom | ['set', Atom[]] | ['map', [Atom, Atom][]];
export type Row = Record<string, Value>;
export type Condition = [string, '==' | '!=' | 'includes' | 'excludes' | '<' | '<=' | '>' | '>=', Value];
export type Op = Record<string, unknown> & { op: string };

export const uuid = (u: string): ['uuid', string] => ['uuid', u];
export const namedUuid = (n: string): ['named-uuid', string] => ['named-uuid', n];
export const set = (...atoms: Atom[]): ['set', Atom[]] => ['set', atoms];
export const map = (entries: Record<string, string>): ['map', [string, string][]] => ['map', Object.entries(entries)];

export const select = (table: string, where: Condition[], columns?: string[]): Op => ({ op: 'select', table, where, ...(columns ? { columns } : {}) });
export const insert = (table: string, row: Row, uuidName?: string): Op => ({ op: 'insert', table, row, ...(uuidName ? { 'uuid-name': uuidName } : {}) });
export const mutate = (table: string, where: Condition[], mutations: [string, string, Value][]): Op => ({ op: 'mutate', table, where, mutations });
export const del = (table: string, where: Condition[]): Op => ({ op: 'delete', table, where });
/** Holds the transaction until the rows match (until '==') or differ ('!='), for at most timeout ms; 0 checks once (RFC 7047 5.2.6). */
export const wait = (table: string, where: Condition[], columns: string[], until: '==' | '!=', rows: Row[], timeout: number): Op => ({
  op: 'wait',
  table,
  where,
  columns,
  until,
  rows,
  timeout,
});
/** Written to the database's log with the transaction: who changed what (RFC 7047 5.2.7). */
export const comment = (text: string): Op => ({ op: 'comment', comment: text });

export interface OpResult {
  rows?: Record<string, unknown>[];
  uuid?: unknown;
  count?: number;
  error?: unknown;
  details?: unknown;
}

/** Raised with the failing operation's error name ("timed out", "constraint violation") for callers that handle one. */
export class TransactionError extends PipeworkError {
  constructor(
    readonly ovsdbError: string,
    message: string,
  ) {
    super('OVSDB', message);
  }
}

export const DATABASE = 'Open_vSwitch';

/** Runs the operations as one transaction; `what` names it in errors ('add port vethA to ovsbr0'). */
export async function transact(db: OvsdbClient, what: string, ops: Op[], timeoutMs?: number): Promise<OpResult[]> {
  const reply = await db.request('transact', [DATABASE, ...ops], timeoutMs);
  if (!Array.isArray(reply)) throw new PipeworkError('OVSDB', `Open vSwitch database answered ${what} with something that is not a result list`);
  const results = reply as (OpResult | null)[];
  const failed = results.find((r) => r !== null && typeof r === 'object' && r.error !== undefined && r.error !== null);
  if (failed) {
    const name = typeof failed.error === 'string' ? failed.error : errorText(failed.error);
    throw new TransactionError(name, `Open vSwitch database refused to ${what}: ${errorText(failed)}`);
  }
  if (results.length < ops.length || results.slice(0, ops.length).some((r) => r === null || typeof r !== 'object')) {
    throw new PipeworkError('OVSDB', `Open vSwitch database answered ${what} with ${results.length} results for ${ops.length} operations`);
  }
  return results as OpResult[];
}

/** A uuid value from a result (["uuid", "..."]), or undefined. */
export function uuidOf(v: unknown): string | undefined {
  return Array.isArray(v) && v[0] === 'uuid' && typeof v[1] === 'string' ? v[1] : undefined;
}

/** The members of a set column: a set with one member may be sent as the member itself (RFC 7047 5.1). */
export function members(v: unknown): unknown[] {
  if (Array.isArray(v) && v[0] === 'set' && Array.isArray(v[1])) return v[1];
  return v === undefined ? [] : [v];
}

/** A map column as an object of its string pairs. */
export function mapOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v) && v[0] === 'map' && Array.isArray(v[1])) {
    for (const pair of v[1]) {
      if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string') out[pair[0]] = pair[1];
    }
  }
  return out;
}

/** An optional integer column (min 0, max 1): the integer, or undefined for the empty set. */
export function optionalInt(v: unknown): number | undefined {
  const [m] = members(v);
  return typeof m === 'number' ? m : undefined;
}

export function optionalString(v: unknown): string | undefined {
  const [m] = members(v);
  return typeof m === 'string' ? m : undefined;
}
