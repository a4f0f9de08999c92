// A command's own options and positional arguments, once the global options
// are gone (globals.ts). Each command declares the options it takes; this
// scanner refuses the rest, a missing value, and an option given twice.
import { usage } from '../errors';
import { show } from '../request';
import type { Line } from './globals';

export interface OptionSpec {
  flag: string;
  /** What the value is, for messages ('a guest interface name'); absent for a switch. */
  value?: string | undefined;
  /** Also accepted as `--flag=VALUE`. */
  inline?: boolean | undefined;
}

export interface Given {
  /** The value, or '' for a switch. */
  value: string;
  /** How many positional arguments came before the option: where on the line it stood. */
  at: number;
}

export interface Scanned {
  positionals: string[];
  options: Map<string, Given>;
}

/** The flag part of an option token: `--timeout=5` is `--timeout`. */
export function flagOf(arg: string): string {
  const eq = arg.indexOf('=');
  return arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
}

export function scanArgs(line: Line, specs: readonly OptionSpec[]): Scanned {
  const { args, stripped } = line;
  const end = args.indexOf('--');
  const positionals: string[] = [];
  const options = new Map<string, Given>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if ((end >= 0 && i > end) || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (i === end) continue;
    const flag = flagOf(arg);
    const spec = specs.find((s) => s.flag === flag && (arg === flag || s.inline));
    if (spec === undefined) throw usage(`unknown option ${show(arg)}`);
    if (options.has(flag)) throw usage(`${flag} given twice`);
    let value = '';
    if (spec.value !== undefined) {
      if (arg !== flag) {
        value = arg.slice(flag.length + 1);
      } else {
        // A global option stood here: the value is missing, not the next word.
        const next = stripped.get(i + 1) ?? args[i + 1];
        if (next === undefined) throw usage(`${flag} needs ${spec.value}`);
        if (next.startsWith('-')) throw usage(`${flag} needs ${spec.value}, got ${show(next)}`);
        value = next;
        i++;
      }
    }
    options.set(flag, { value, at: positionals.length });
  }
  return { positionals, options };
}

/**
 * The original reads -i, -l and -a at fixed positions right after the host
 * interface (or the command word); we take them in any order among
 * themselves, but still between that word and the guest.
 */
export function requireAfterFirst(flag: string, given: Given, positionals: readonly string[]): void {
  if (given.at === 0) throw usage(`${flag} must come after the host interface, e.g. pipework br1 ${flag} ...`);
  if (given.at > 1) {
    throw usage(`${flag} must come before the guest ${show(positionals[1]!)}, right after ${show(positionals[0]!)}`);
  }
}
