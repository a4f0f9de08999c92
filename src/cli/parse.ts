// pipework's command line to a validated, normalised request. Pure: no I/O,
// no syscalls. Three steps, each in its own module:
//
//   1. globals.ts strips the options that may stand anywhere before `--`
//      (--host-netns, --json, --dry-run, --macvlan-mode, --help);
//   2. the command is picked here: by an option that names it (--wait), else
//      by the first positional word (detach, show, gc, route, ...), else it is
//      the original's attach, whose first word is the host interface;
//   3. that command's module (commands/) parses the rest, and src/request
//      validates and normalises what it collected, as it does for the library.
//
// Every refusal is a PipeworkError with one line naming the offending
// argument: code USAGE for a malformed line, UNSUPPORTED for a form of the
// original that this version recognises but does not do yet.
import { usage } from '../errors';
import type { GlobalOptions, Request } from '../request';
import { flagOf } from './args';
import type { AnyCommand } from './command';
import { COMMANDS, DEFAULT_COMMAND } from './commands';
import { reportedOptions, stripGlobals, type Globals, type Line } from './globals';

export type ParsedCommandLine =
  | { options: GlobalOptions; request: Request }
  | { options: GlobalOptions; help: true };

export interface Picked {
  command: AnyCommand;
  /** False when the line has no word at all: the default command was assumed, not named. */
  recognised: boolean;
}

export function pickCommand(line: Line): Picked {
  const end = line.args.indexOf('--');
  const zone = end < 0 ? line.args : line.args.slice(0, end);
  const byFlag = COMMANDS.find((c) => c.flag !== undefined && zone.some((a) => a === c.flag || a.startsWith(`${c.flag}=`)));
  if (byFlag) return { command: byFlag, recognised: true };
  const first = line.args.find((a, i) => (end >= 0 && i > end) || (i !== end && !a.startsWith('-')));
  if (first === undefined) return { command: DEFAULT_COMMAND, recognised: false };
  return { command: COMMANDS.find((c) => c.word === first) ?? DEFAULT_COMMAND, recognised: true };
}

/**
 * Refuses, before the command parses, an option that belongs to other
 * commands: 'X applies only to detach: <its usage>' when one named command
 * owns it, else '<command> does not take X: <its usage>'.
 */
function refuseOthersOptions(command: AnyCommand, line: Line): void {
  const end = line.args.indexOf('--');
  for (const [i, arg] of line.args.entries()) {
    if (end >= 0 && i >= end) break;
    if (!arg.startsWith('-')) continue;
    const flag = flagOf(arg);
    if (command.options.some((o) => o.flag === flag)) continue;
    const owners = COMMANDS.filter((c) => c.options.some((o) => o.flag === flag));
    if (owners.length === 0) continue; // unknown to all: the command's own scan says so
    const owner = owners[0]!;
    if (owners.length === 1 && owner !== DEFAULT_COMMAND) {
      throw usage(`${flag} applies only to ${owner.flag ?? owner.op}: ${owner.usage.find((u) => u.includes(flag)) ?? owner.usage[0]}`);
    }
    throw usage(`${command.flag ?? command.op} does not take ${flag}: ${command.usage[0]}`);
  }
}

/** The picked command's request from the line; throws as parseCommandLine does. */
export function parseWith(command: AnyCommand, line: Line, globals: Globals): Request {
  if (command.unsupportedYet === undefined) {
    const physOption = globals.macvlanMode !== undefined ? '--macvlan-mode' : globals.ipvlanMode !== undefined ? '--ipvlan' : undefined;
    if (physOption !== undefined && !command.takesMacvlanMode) {
      const owner = COMMANDS.find((c) => c.takesMacvlanMode)!;
      throw usage(`${physOption} applies only to ${owner.flag ?? owner.op}: ${owner.usage[0]}`);
    }
    if (globals.ovsDatapath !== undefined && !command.takesMacvlanMode) {
      // The attach-only global options go to the one command that takes --macvlan-mode.
      const owner = COMMANDS.find((c) => c.takesMacvlanMode)!;
      throw usage(`--ovs-datapath applies only to ${owner.flag ?? owner.op}: ${owner.usage[0]}`);
    }
    refuseOthersOptions(command, line);
  }
  return command.parse(line, globals);
}

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const { globals, line } = stripGlobals(argv);
  if (globals.help) return { options: reportedOptions(globals), help: true };
  const { command } = pickCommand(line);
  return { options: reportedOptions(globals), request: parseWith(command, line, globals) };
}
