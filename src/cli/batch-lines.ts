// A batch line to a command and its request, parsed exactly as the same
// words after `pipework` on a command line: globals stripped (globals.ts),
// the command picked and its module's parser run (parse.ts). The batch's own
// global options apply to every line; a line may add the attach options
// (--macvlan-mode, --ipvlan, --ovsdb, --ovs-datapath) the batch did not give.
import { PipeworkError, usage } from '../errors';
import type { ResolveOptions } from '../netns';
import { BatchKeys, schedule, type BatchItem, type LineResult } from '../pipework/batch';
import { BulkDetach } from '../pipework/bulk-detach';
import { runRequest } from '../pipework/dispatch';
import type { Namespace } from '../pipework/namespace';
import type { Outcome } from '../pipework/operations';
import type { Request } from '../request';
import { splitBatchLine } from '../request/batch-line';
import type { AnyCommand } from './command';
import { stripGlobals, type Globals } from './globals';
import { parseWith, pickCommand } from './parse';

export interface BatchLine {
  /** 1-based line number in the input. */
  line: number;
  command: AnyCommand;
  request: Request;
  globals: Globals;
}

/** Options a line may give when the batch did not; the rest belong to the whole batch. */
const PER_LINE = [
  ['macvlanMode', '--macvlan-mode'],
  ['ipvlanMode', '--ipvlan'],
  ['ovsdb', '--ovsdb'],
  ['ovsDatapath', '--ovs-datapath'],
] as const;
/** Of those, the ones for an attach only: the batch's apply to its attach lines. */
const ATTACH_ONLY = new Set(['macvlanMode', 'ipvlanMode', 'ovsDatapath']);

/** The line's command and request; undefined for a blank line or a comment. Throws USAGE, 'line N: ...'. */
export function parseBatchLine(text: string | readonly string[], line: number, batch: Globals): BatchLine | undefined {
  try {
    let words = typeof text === 'string' ? splitBatchLine(text) : [...text];
    if (words.length === 0) return undefined;
    if (words[0] === 'pipework') words = words.slice(1);
    const { globals: own, line: rest } = stripGlobals(words);
    if (own.help) throw usage('--help is no batch line');
    if (own.json) throw usage('--json applies to the whole batch: give it with --batch');
    if (own.dryRun) throw usage('--dry-run applies to the whole batch: give it with --batch');
    if (own.hostNetns !== undefined) throw usage('--host-netns applies to the whole batch: give it with --batch');
    const { command } = pickCommand(rest);
    if (command.op === 'batch') throw usage('a batch line cannot be another --batch');
    const globals: Globals = { ...batch };
    for (const [field, flag] of PER_LINE) {
      if (ATTACH_ONLY.has(field) && !command.takesMacvlanMode) delete globals[field];
      if (own[field] === undefined) continue;
      if (globals[field] !== undefined) throw usage(`${flag} given twice: with --batch and on the line`);
      globals[field] = own[field];
    }
    const request = parseWith(command, rest, globals);
    if (request.op === 'attach' && request.dhcp?.foreground) {
      throw usage(`${request.dhcp.client} -f holds the lease in the foreground, which a batch line cannot: leave out -f (the lease is then taken once)`);
    }
    return { line, command, request, globals };
  } catch (e) {
    // USAGE, or UNSUPPORTED for a form this version refuses: either way the line is named.
    if (e instanceof PipeworkError) e.message = `line ${line}: ${e.message}`;
    throw e;
  }
}

export interface BatchRunOptions {
  parallel?: number | undefined;
  signal?: AbortSignal | undefined;
  dryRun: boolean;
  resolve?: ResolveOptions | undefined;
  /** The bulk detach to use (tests read its stats); default a new one on host. */
  bulk?: BulkDetach | undefined;
}

export interface LineDone {
  op: string;
  outcome: Outcome<unknown>;
}

/** A result with the line it is for: only lines taken and not yet reported are held. */
export type BatchLineResult = LineResult<LineDone> & { source: BatchLine };

/** Runs parsed lines on one host namespace (scheduler: pipework/batch.ts); results in input order. */
export async function* runBatchLines(lines: Iterable<BatchLine> | AsyncIterable<BatchLine>, host: Namespace, o: BatchRunOptions): AsyncGenerator<BatchLineResult> {
  const bulk = o.bulk ?? new BulkDetach(host);
  const keys = new BatchKeys();
  const taken = new Map<number, BatchLine>();
  async function* items(): AsyncGenerator<BatchItem<LineDone>> {
    for await (const l of lines) {
      taken.set(l.line, l);
      yield {
        line: l.line,
        keys: keys.of(l.request),
        run: async (ctx) => ({
          op: l.command.op,
          outcome: await runRequest(l.request, host, { dryRun: o.dryRun, resolve: o.resolve, signal: ctx.signal, bulk: bulk.remover(ctx.parked) }),
        }),
      };
    }
  }
  for await (const r of schedule(items(), { parallel: o.parallel, signal: o.signal, onIdle: () => bulk.flush() })) {
    const source = taken.get(r.line)!;
    taken.delete(r.line);
    yield { ...r, source };
  }
}
