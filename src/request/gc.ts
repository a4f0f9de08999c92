// gcRequest: gc takes nothing beyond the global options (host namespace, dry run).
import type { GcRequest } from './types';

/** None yet; an object so that options (a kind filter, an age) can come without changing callers. */
export type GcOptions = Record<string, never>;

export function gcRequest(_o: GcOptions = {}): GcRequest {
  return { op: 'gc' };
}
