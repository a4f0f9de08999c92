// pipework --batch FILE|- [--parallel N]: one command per line, run
// concurrently (pipework/batch.ts orders the lines that must keep their
// order), reported in input order. The whole input is parsed before anything
// runs: one malformed line and nothing is done (exit 2). A file is then read
// a second time to run, so that memory does not grow with its length.
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

/** The input: a file, opened here so that a missing one is one clear line, or standard input. */
async function openInput(source: string): Promise<NodeJS.ReadableStream> {
  if (source === '-') return process.stdin;
  const stream = fs.createReadStream(source);
  await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject)).catch((e: NodeJS.ErrnoException) => {
    throw usage(`cannot read the batch file ${show(source)}: ${e.code ?? e.message}`);
  });
  return stream;
}

type Parsed = { line: number; parsed: BatchLine } | { line: number; error: PipeworkError };

/** Every command line of the input, parsed or refused; blank lines and comments skipped. */
async function* parseInput(input: NodeJS.ReadableStream, globals: Globals): AsyncGenerator<Parsed> {
  let n = 0;
  for await (const text of readline.createInterface({ input, crlfDelay: Infinity })) {
    n++;
    try {
      const l = parseBatchLine(text, n, globals);
      if (l) yield { line: n, parsed: l };
    } catch (e) {
      if (!(e instanceof PipeworkError)) throw e;
      yield { line: n, error: e };
    }
  }
}

/** A file's lines again, for running: only the lines in flight are held (the first pass found every line good). */
async function* rereadFile(source: string, globals: Globals, after = 0): AsyncGenerator<BatchLine> {
  for await (const p of parseInput(await openInput(source), globals)) {
    if (p.line <= after) continue;
    if ('error' in p) throw new PipeworkError('USAGE', `the batch file changed while it ran: ${p.error.message}`);
    yield p.parsed;
  }
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
    // First pass: every line parsed before any runs. Standard input cannot be read twice, so its
    // parsed lines are kept; a file is read again to run, holding only the lines in flight.
    const fromFile = request.source !== '-';
    const kept: BatchLine[] = [];
    const refused: { line: number; error: PipeworkError }[] = [];
    let total = 0;
    for await (const p of parseInput(await openInput(request.source), globals)) {
      if ('error' in p) {
        refused.push(p);
      } else {
        total++;
        if (!fromFile) kept.push(p.parsed);
      }
    }
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
    const progress = new Progress(total);
    const print = (fn: () => void) => {
      progress.clear();
      fn();
    };
    let failed = false;
    let last = 0;
    const report = (line: BatchLine, r: { ok: true; op: string; outcome: Outcome<unknown> } | { ok: false; error: PipeworkError }) => {
      last = line.line;
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
      const lines = fromFile ? rereadFile(request.source, globals) : kept;
      for await (const r of runBatchLines(lines, ctx.host, { parallel: request.parallel, signal: abort.signal, dryRun: ctx.dryRun, resolve: ctx.resolve })) {
        report(r.source, r.ok ? { ok: true, op: r.value.op, outcome: r.value.outcome } : r);
      }
      if (abort.signal.aborted) {
        // Cancelled: the lines never taken did not run either.
        const notRun = () => new PipeworkError('ABORTED', 'not run: the batch was cancelled');
        const rest = fromFile ? rereadFile(request.source, globals, last) : kept.filter((l) => l.line > last);
        for await (const l of rest) report(l, { ok: false, error: notRun() });
      }
    } finally {
      progress.clear();
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    }
    return failed ? 1 : 0;
  },
};
