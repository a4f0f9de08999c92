// The library's batch call (Pipework.batch): the CLI's batch semantics on
// lines given as strings or word arrays instead of a file.
import { PipeworkError } from './errors';
import { parseBatchLine, runBatchLines, type BatchLine } from './cli/batch-lines';
import type { Globals } from './cli/globals';
import { batchRequest } from './request/batch';
import type { ResolveOptions } from './netns';
import type { Namespace } from './pipework/namespace';
import type { PlannedStep } from './pipework/plan';

/** Lines: 'br1 web1 198.51.100.7/24' (shell-like quoting, # comments) or ['br1', 'web1', '198.51.100.7/24']. */
export type BatchInput = Iterable<string | readonly string[]> | AsyncIterable<string | readonly string[]>;

export interface BatchOptions {
  /** Lines run at once (default 32). */
  parallel?: number | undefined;
  /** Cancels: running lines roll back (their result is ABORTED), lines not started are ABORTED. */
  signal?: AbortSignal | undefined;
  dryRun?: boolean | undefined;
}

export type BatchResult =
  | { line: number; ok: true; op: string; dryRun: boolean; result: unknown; plan: PlannedStep[] }
  | { line: number; ok: false; op: string; error: PipeworkError };

/** How many refused lines a USAGE error lists before it says "and N more". */
const LISTED = 5;

export async function* batchOf(input: BatchInput, host: Namespace, o: BatchOptions & { ovsdb?: string | undefined; resolve: ResolveOptions }): AsyncGenerator<BatchResult> {
  if (o.parallel !== undefined) batchRequest({ source: '-', parallel: o.parallel });
  const globals: Globals = { json: false, dryRun: !!o.dryRun, help: false, ovsdb: o.ovsdb };
  const lines: BatchLine[] = [];
  const refused: PipeworkError[] = [];
  let n = 0;
  // Parsed whole first, as the CLI does: a malformed line and nothing runs.
  for await (const text of input) {
    try {
      const l = parseBatchLine(text, ++n, globals);
      if (l) lines.push(l);
    } catch (e) {
      if (!(e instanceof PipeworkError)) throw e;
      refused.push(e);
    }
  }
  if (refused.length) {
    const more = refused.length > LISTED ? `; and ${refused.length - LISTED} more` : '';
    const code = refused.every((e) => e.code === 'UNSUPPORTED') ? 'UNSUPPORTED' : 'USAGE';
    throw new PipeworkError(code, `the batch is refused, nothing was done: ${refused.slice(0, LISTED).map((e) => e.message).join('; ')}${more}`, { cause: refused });
  }
  let i = 0;
  for await (const r of runBatchLines(lines, host, { parallel: o.parallel, signal: o.signal, dryRun: !!o.dryRun, resolve: o.resolve })) {
    i++;
    const op = r.source.command.op;
    yield r.ok ? { line: r.line, ok: true, op, dryRun: r.value.outcome.dryRun, result: r.value.outcome.result, plan: r.value.outcome.plan } : { line: r.line, ok: false, op, error: r.error };
  }
  // Cancelled: what was never taken did not run.
  for (; i < lines.length; i++) yield { line: lines[i]!.line, ok: false, op: lines[i]!.command.op, error: new PipeworkError('ABORTED', 'not run: the batch was cancelled') };
}
