// pipework --batch FILE|- [--parallel N]: one command per line, run
// concurrently (pipework/batch.ts orders the lines that must keep their
// order), reported in input order. The whole input is parsed before anything
// runs: one malformed line and nothing is done (exit 2).
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { PipeworkError, usage } from '../../errors';
import type { Outcome } from '../../pipework/operations';
import { batchRequest, parseParallel, show, type BatchRequest } from '../../request';
import { scanArgs } from '../args';
import { parseBatchLine, runBatchLines, type BatchLine } from '../batch-lines';
import type { Command, Printer } from '../command';
import type { Globals, Line } from '../globals';
import { exitStatus, oneLine } from '../output';
import { Progress } from '../progress';

const USAGE = 'pipework --batch FILE|- [--parallel N]';

/** The input's lines, parsed; every refused line's error, in order. */
async function readLines(req: BatchRequest, globals: Globals): Promise<{ lines: BatchLine[]; refused: { line: number; error: PipeworkError }[] }> {
  let input: NodeJS.ReadableStream;
  if (req.source === '-') {
    input = process.stdin;
  } else {
    const stream = fs.createReadStream(req.source);
    // Opening fails asynchronously: wait for it, so that a missing file is one clear line.
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject)).catch((e: NodeJS.ErrnoException) => {
      throw usage(`cannot read the batch file ${show(req.source)}: ${e.code ?? e.message}`);
    });
    input = stream;
  }
  const lines: BatchLine[] = [];
  const refused: { line: number; error: PipeworkError }[] = [];
  let n = 0;
  // Only the parsed requests are kept, not the text.
  for await (const text of readline.createInterface({ input, crlfDelay: Infinity })) {
    n++;
    try {
      const l = parseBatchLine(text, n, globals);
      if (l) lines.push(l);
    } catch (e) {
      if (!(e instanceof PipeworkError)) throw e;
      refused.push({ line: n, error: e });
    }
  }
  return { lines, refused };
}

function errorObject(line: number, op: string | null, dryRun: boolean, e: PipeworkError): string {
  const error: { code: string; message: string; errno?: string } = { code: e.code, message: oneLine(e.message) };
  if (e.errno !== undefined) error.errno = e.errno;
  return JSON.stringify({ line, ok: false, op, dryRun, error });
}

/** `--batch -`: '-' is standard input, not an option (scanArgs refuses a value that starts with '-'). */
function stdinValue(line: Line): Line {
  const at = line.args.indexOf('--batch');
  if (at < 0 || line.args[at + 1] !== '-' || line.stripped.has(at + 1)) return line;
  const args = [...line.args.slice(0, at), '--batch=-', ...line.args.slice(at + 2)];
  const stripped = new Map([...line.stripped].map(([i, flag]) => [i > at + 1 ? i - 1 : i, flag]));
  return { args, stripped };
}

export const batchCommand: Command<BatchRequest, never> = {
  op: 'batch',
  flag: '--batch',
  usage: [USAGE],
  options: [
    { flag: '--batch', value: 'a file of commands, or - for standard input', inline: true },
    { flag: '--parallel', value: 'a number of lines run at once', inline: true },
  ],
  // Given with --batch, --macvlan-mode and friends apply to every attach line.
  takesMacvlanMode: true,
  help: `\
Batch:
  --batch FILE|- [--parallel N]
                 run the commands of FILE (- reads standard input), one per
                 line, each written as what follows \`pipework\` (a leading
                 word \`pipework\` is allowed); shell-like quoting ('...',
                 "...", \\), # comments and blank lines; no expansions
                   pipework --host-netns h1 --batch attaches.txt
                 Lines run concurrently, N at once (default 32); lines on the
                 same guest, and a host interface's first user and the rest,
                 keep their order. Results come in input order (--json: one
                 object per line, with its line number). A failed line is
                 rolled back alone; exit 1 if any failed. One malformed line
                 and nothing runs (exit 2). Global options given with --batch
                 apply to every line. Detaches in one batch remove their veths
                 together (one interface-group deletion).
`,

  parse(line) {
    const { positionals: pos, options } = scanArgs(stdinValue(line), this.options);
    if (pos.length > 0) throw usage(`unexpected argument ${show(pos[0]!)}: --batch takes its commands from the file (${USAGE})`);
    const parallel = options.get('--parallel');
    return batchRequest({ source: options.get('--batch')!.value, parallel: parallel && parseParallel(parallel.value) });
  },

  run: () => Promise.reject(new PipeworkError('INTERNAL', '--batch runs through exec')),
  format: () => '',

  async exec(request, ctx, io: Printer, globals) {
    const { lines, refused } = await readLines(request, globals);
    if (refused.length > 0) {
      for (const r of refused) {
        if (globals.json) io.out(errorObject(r.line, null, ctx.dryRun, r.error));
        else io.err(`pipework: ${oneLine(r.error.message)}`);
      }
      // Nothing ran: a usage error if any line was malformed, else (every refusal a not-yet feature) 3.
      return refused.some((r) => exitStatus(r.error) !== 3) ? 2 : 3;
    }
    const abort = new AbortController();
    const stop = (sig: string) => abort.abort(new PipeworkError('ABORTED', `${sig} received`));
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    const progress = new Progress(lines.length);
    const print = (fn: () => void) => {
      progress.clear();
      fn();
    };
    let failed = false;
    let reported = 0;
    const report = (line: BatchLine, r: { ok: true; op: string; outcome: Outcome<unknown> } | { ok: false; error: PipeworkError }) => {
      reported++;
      progress.tick(r.ok);
      if (!r.ok) failed = true;
      print(() => {
        if (globals.json) {
          if (r.ok) io.out(JSON.stringify({ line: line.line, ok: true, op: r.op, dryRun: r.outcome.dryRun, result: r.outcome.result, plan: r.outcome.plan }));
          else io.out(errorObject(line.line, line.command.op, ctx.dryRun, r.error));
        } else if (r.ok) {
          io.out(line.command.format(r.outcome, line.globals).split('\n').map((t) => `line ${line.line}: ${t}`).join('\n'));
        } else {
          io.err(`pipework: line ${line.line}: ${oneLine(r.error.message)}`);
        }
      });
    };
    try {
      for await (const r of runBatchLines(lines, ctx.host, { parallel: request.parallel, signal: abort.signal, dryRun: ctx.dryRun, resolve: ctx.resolve })) {
        const line = lines[reported]!;
        report(line, r.ok ? { ok: true, op: r.value.op, outcome: r.value.outcome } : r);
      }
      // Cancelled: the lines never taken did not run either.
      while (reported < lines.length) report(lines[reported]!, { ok: false, error: new PipeworkError('ABORTED', 'not run: the batch was cancelled') });
    } finally {
      progress.clear();
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    }
    return failed ? 1 : 0;
  },
};
