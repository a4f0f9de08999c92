// What a command module is. Each file under commands/ exports one of these;
// commands/index.ts lists them. Adding a command is a new file and a line there.
import type { ResolveOptions } from '../netns';
import type { Namespace } from '../pipework/namespace';
import type { Outcome } from '../pipework/operations';
import type { Request } from '../request';
import type { OptionSpec } from './args';
import type { Globals, Line } from './globals';

export interface RunContext {
  /** The host namespace (--host-netns, else this process's), opened before run and closed after. */
  host: Namespace;
  dryRun: boolean;
  resolve?: ResolveOptions | undefined;
  signal?: AbortSignal | undefined;
}

export interface Command<Q extends Request = Request, R = unknown> {
  /** The `op` of its JSON output, and its name in messages ('detach', '--wait'). */
  op: string;
  /** How the line selects it: its first positional word... */
  word?: string | undefined;
  /** ...or an option anywhere before `--` (`--wait`). Neither: the default command (attach). */
  flag?: string | undefined;
  /** Its lines of the help's Usage block, each starting with 'pipework '. */
  usage: readonly string[];
  /** Its paragraph of --help. */
  help: string;
  /** The options of its own it takes (global ones are never seen here). */
  options: readonly OptionSpec[];
  /** Attach examples for the help's Examples block; each must parse. */
  examples?: readonly string[] | undefined;
  /** Set for a command of the original that this version recognises and refuses (exit 3): what the help lists. */
  unsupportedYet?: string | undefined;
  /** Whether --macvlan-mode (and --ipvlan) apply to it. */
  takesMacvlanMode?: boolean | undefined;
  /** The line, global options removed, to a validated request (src/request); throws on a bad line. */
  parse(line: Line, globals: Globals): Q;
  run(request: Q, ctx: RunContext): Promise<Outcome<R>>;
  /** The human output for a success. */
  format(outcome: Outcome<R>, globals: Globals): string;
  /**
   * After the output: what stays in the foreground (a held DHCP lease), until
   * it ends; its result is the exit status. Absent: exit at once.
   */
  linger?(outcome: Outcome<R>, log: (line: string) => void): Promise<number>;
  /** A command that prints as it goes (--batch): main runs this instead of run, format and linger; its result is the exit status. */
  exec?(request: Q, ctx: RunContext, io: Printer, globals: Globals): Promise<number>;
}

/** Where a command that prints as it goes writes: stdout and stderr, one line per call. */
export interface Printer {
  out(text: string): void;
  err(text: string): void;
}

/** A command as the table holds it, whatever its request and result types. */
export type AnyCommand = Command<any, any>;

/**
 * What a change prints: the summary; on a dry run the steps as iproute2
 * commands, or the summary as a comment when there is nothing to do.
 */
export function formatChange(outcome: Outcome<unknown>, summary: string): string {
  if (!outcome.dryRun) return summary;
  if (outcome.plan.length) return outcome.plan.map((s) => s.command).join('\n');
  return summary.split('\n').map((l) => `# ${l}`).join('\n');
}
