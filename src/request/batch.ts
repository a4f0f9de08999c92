// `pipework --batch FILE|- [--parallel N]`: where the lines come from and
// how many run at once. The lines themselves are parsed, each as its own
// command line, by the CLI's command modules (cli/batch-lines.ts).
import { usage } from '../errors';
import { show } from './quote';

export interface BatchRequest {
  op: 'batch';
  /** A file's path, or '-' for standard input. */
  source: string;
  /** Lines running at once; absent: the scheduler's default (pipework/batch.ts). */
  parallel?: number | undefined;
}

/** Far above what helps (the kernel serialises link changes under RTNL) and below the fd limit: each running line holds sockets. */
export const MAX_PARALLEL = 1024;

export function parseParallel(text: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > MAX_PARALLEL) {
    throw usage(`--parallel needs a whole number of lines from 1 to ${MAX_PARALLEL}, got ${show(text)}`);
  }
  return Number(text);
}

export function batchRequest(o: { source: string; parallel?: number | undefined }): BatchRequest {
  if (o.source === '') throw usage('--batch needs a file, or - for standard input');
  if (o.parallel !== undefined && (!Number.isInteger(o.parallel) || o.parallel < 1 || o.parallel > MAX_PARALLEL)) {
    throw usage(`parallel must be a whole number from 1 to ${MAX_PARALLEL}, got ${o.parallel}`);
  }
  return { op: 'batch', source: o.source, parallel: o.parallel };
}
