// The `pipework` command: parse, open the host namespace, run, print.
// Exit statuses and the JSON contract are output.ts's.
import { openHost } from '../pipework/namespace';
import { helpText } from './help';
import { prescan, stripGlobals } from './globals';
import { asPipeworkError, errorJson, exitStatus, oneLine, successJson } from './output';
import { parseWith, pickCommand } from './parse';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const stdio: Io = {
  out: (t) => process.stdout.write(t + '\n'),
  err: (t) => process.stderr.write(t + '\n'),
};

export async function main(argv: readonly string[], io: Io = stdio): Promise<number> {
  // Known before parsing, so that even a malformed line is reported as asked.
  let { json, dryRun } = prescan(argv);
  let op: string | null = null;
  try {
    const { globals, line } = stripGlobals(argv);
    ({ json, dryRun } = globals);
    if (globals.help) {
      io.out(helpText());
      return 0;
    }
    const { command, recognised } = pickCommand(line);
    if (recognised) op = command.op;
    const request = parseWith(command, line, globals);
    // Every command opens it, so that a wrong --host-netns fails the same way everywhere.
    const host = openHost(globals.hostNetns);
    try {
      if (command.exec) return await command.exec(request, { host, dryRun: globals.dryRun }, io, globals);
      const outcome = await command.run(request, { host, dryRun: globals.dryRun });
      io.out(json ? successJson(command.op, outcome) : command.format(outcome, globals));
      return command.linger ? await command.linger(outcome, (l) => io.err(`pipework: ${l}`)) : 0;
    } finally {
      host.close();
    }
  } catch (e) {
    const err = asPipeworkError(e);
    if (json) io.out(errorJson(op, dryRun, err));
    else io.err(`pipework: ${oneLine(err.message)}`);
    return exitStatus(err);
  }
}

/** Entry point for bin/pipework. */
export function cli(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`pipework: internal error: ${(e as Error)?.stack ?? e}\n`);
      process.exitCode = 1;
    },
  );
}
