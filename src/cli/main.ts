// The `pipework` command: parse, open the host namespace, run, print.
// Exit statuses and the JSON contract are output.ts's.
import { openHost } from '../pipework/namespace';
import { helpText } from './help';
import { helpData } from './help-json';
import { prescan, stripGlobals } from './globals';
import { asPipeworkError, errorJson, exitStatus, oneLine, successJson } from './output';
import { parseWith, pickCommand } from './parse';
import { explainPrivilege } from './privilege';
import { processIo } from './stdio';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Told what the command did before its output is written (stdio.ts: what a failed write then says). */
  outcome?(o: { ok: boolean; changed?: string | undefined }): void;
}

export async function main(argv: readonly string[], io: Io = processIo().io): Promise<number> {
  // Known before parsing, so that even a malformed line is reported as asked.
  let { json, dryRun } = prescan(argv);
  let op: string | null = null;
  const interrupt: { by?: keyof typeof SIGNAL_STATUS } = {};
  try {
    const { globals, line } = stripGlobals(argv);
    ({ json, dryRun } = globals);
    if (globals.help) {
      io.outcome?.({ ok: true });
      io.out(json ? successJson('help', { result: helpData(), plan: [], dryRun }) : helpText());
      return 0;
    }
    const { command, recognised } = pickCommand(line);
    if (recognised) op = command.op;
    const request = parseWith(command, line, globals);
    // Every command opens it, so that a wrong --host-netns fails the same way everywhere.
    const host = openHost(globals.hostNetns);
    try {
      if (command.exec) return await command.exec(request, { host, dryRun: globals.dryRun }, io, globals);
      const outcome = await whileWatchingSignals(interrupt, (signal) => command.run(request, { host, dryRun: globals.dryRun, signal }));
      io.outcome?.({ ok: true, changed: !outcome.dryRun && outcome.plan.length > 0 ? `the ${command.op}` : undefined });
      io.out(json ? successJson(command.op, outcome) : command.format(outcome, globals));
      return command.linger ? await command.linger(outcome, (l) => io.err(`pipework: ${l}`)) : 0;
    } finally {
      host.close();
    }
  } catch (e) {
    const err = explainPrivilege(asPipeworkError(e));
    io.outcome?.({ ok: false });
    if (json) io.out(errorJson(op, dryRun, err));
    else io.err(`pipework: ${oneLine(err.message)}`);
    // Rolled back because of a signal: the shell's 128 + its number, as if it had killed us.
    return err.code === 'ABORTED' && interrupt.by ? SIGNAL_STATUS[interrupt.by] : exitStatus(err);
  }
}

const SIGNAL_STATUS = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * SIGINT and SIGTERM while an operation runs: the step in flight finishes,
 * the steps done are rolled back (the operation's AbortSignal), and the exit
 * status says which signal it was. A second signal exits at once. Outside
 * the operation (parsing, printing, a DHCP lease held in the foreground,
 * which has its own handling) the signals are not ours.
 */
async function whileWatchingSignals<T>(interrupt: { by?: keyof typeof SIGNAL_STATUS }, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onSignal = (sig: keyof typeof SIGNAL_STATUS): void => {
    if (interrupt.by) process.exit(SIGNAL_STATUS[sig]);
    interrupt.by = sig;
    ac.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await run(ac.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Entry point for bin/pipework. */
export function cli(): void {
  const out = processIo();
  main(process.argv.slice(2), out.io).then(
    (code) => {
      process.exitCode = out.status(code);
    },
    (e) => {
      process.stderr.write(`pipework: internal error: ${(e as Error)?.stack ?? e}\n`);
      process.exitCode = 1;
    },
  );
}
