// `pipework --json --help`: the usage as data, in the JSON contract's success
// shape (op 'help'), for tools that build command lines: the commands with
// their usage lines and options, the global options, the exit statuses.
// Built from the same command table as the text (help.ts), so neither drifts.
import { COMMANDS } from './commands';
import { usageLines } from './help';

/** The global options of globals.ts, as GLOBALS_HELP describes them (test/cli-help-json.test.ts checks the two agree). */
const GLOBAL_OPTIONS = [
  { flag: '--host-netns', value: 'a namespace name or path', inline: true, help: 'treat this network namespace as the host' },
  { flag: '--json', help: 'print the result, or the error, as one JSON object on stdout' },
  { flag: '--dry-run', help: 'print the steps that would be taken and change nothing' },
  { flag: '--macvlan-mode', value: 'bridge, private, vepa or passthru', inline: true, help: 'attach only: the macvlan mode on a physical host interface' },
  { flag: '--ipvlan', value: 'l2, l3 or l3s', inline: true, help: 'attach only: an ipvlan of that mode instead of a macvlan on a physical host interface' },
  { flag: '--ovsdb', value: 'unix:PATH', inline: true, help: "Open vSwitch's database socket, for attach, detach and gc" },
  { flag: '--ovs-datapath', value: 'system or netdev', inline: true, help: 'attach only: the datapath of an Open vSwitch bridge the attach creates' },
  { flag: '--help', aliases: ['-h'], help: 'print the help and exit 0' },
  { flag: '--', help: 'end of options: every later argument is positional' },
];

const EXIT_STATUSES = [
  { status: 0, meaning: 'success' },
  { status: 1, meaning: 'the operation failed; what it had changed is rolled back; --wait timed out; the output could not be written' },
  { status: 2, meaning: 'usage error: the command line was rejected and nothing was done' },
  { status: 3, meaning: 'not supported yet: nothing was done' },
  { status: 141, meaning: 'stdout was a pipe whose reader went away (EPIPE); what the command did stays' },
];

export interface HelpData {
  usage: string[];
  commands: Array<{
    op: string;
    word?: string;
    flag?: string;
    default?: true;
    usage: string[];
    options: Array<{ flag: string; value?: string; inline?: true }>;
    unsupportedYet?: string;
  }>;
  globalOptions: typeof GLOBAL_OPTIONS;
  exitStatuses: typeof EXIT_STATUSES;
}

export function helpData(): HelpData {
  return {
    usage: usageLines(),
    commands: COMMANDS.map((c) => ({
      op: c.op,
      ...(c.word !== undefined ? { word: c.word } : {}),
      ...(c.flag !== undefined ? { flag: c.flag } : {}),
      ...(c.word === undefined && c.flag === undefined ? { default: true as const } : {}),
      usage: [...c.usage],
      options: c.options.map((o) => ({ flag: o.flag, ...(o.value !== undefined ? { value: o.value } : {}), ...(o.inline ? { inline: true as const } : {}) })),
      ...(c.unsupportedYet !== undefined ? { unsupportedYet: c.unsupportedYet } : {}),
    })),
    globalOptions: GLOBAL_OPTIONS,
    exitStatuses: EXIT_STATUSES,
  };
}
