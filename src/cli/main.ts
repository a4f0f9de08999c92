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
      const outcome = await command.run(request, { host, dryRun: globals.dryRun });
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
    return exitStatus(err);
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
