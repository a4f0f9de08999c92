// The options that may stand anywhere on the line before `--`: stripped here,
// once, before the command is picked, so that no command module sees them.
//
//   --host-netns NS, --host-netns=NS   a second one is an error
//   --json, --dry-run                  repeating them is harmless
//   --macvlan-mode M, --macvlan-mode=M for an attach only (its module takes it)
//   --ipvlan M, --ipvlan=M             the same
//   --ovsdb unix:PATH                  Open vSwitch's database, for attach, detach, gc
//   --ovs-datapath D                   for an attach only: a created OVS bridge's datapath
//   --help, -h                         wins over everything else on the line
//
// `--` ends options: every later argument is positional, so a guest or an
// interface whose name starts with '-' can be written `pipework br1 -- -odd ...`.
import { usage } from '../errors';
import { checkHostNetns, show, type GlobalOptions } from '../request';

export interface Globals extends GlobalOptions {
  help: boolean;
  /** --macvlan-mode's text, validated by the attach request like the library's option. */
  macvlanMode?: string | undefined;
  /** --ipvlan's text, likewise. */
  ipvlanMode?: string | undefined;
  /** --ovsdb's text: validated by the request, like the library's option. */
  ovsdb?: string | undefined;
  /** --ovs-datapath's text. */
  ovsDatapath?: string | undefined;
}

/**
 * The line without its global options. `stripped` maps a position in `args`
 * to the global option that stood just before it, so that a command option
 * whose value is missing (`-i --json web1`) is refused rather than handed the
 * next word.
 */
export interface Line {
  args: readonly string[];
  stripped: ReadonlyMap<number, string>;
}

function optionZone(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--');
  return end < 0 ? argv : argv.slice(0, end);
}

/**
 * --json and --dry-run as a first look at the raw line, for reporting an error
 * found before the globals could be read: the value of --host-netns does not count.
 */
export function prescan(argv: readonly string[]): { json: boolean; dryRun: boolean } {
  const zone = optionZone(argv);
  const has = (flag: string) => zone.some((a, i) => a === flag && zone[i - 1] !== '--host-netns');
  return { json: has('--json'), dryRun: has('--dry-run') };
}

/** A global option with a value: `--flag VALUE` or `--flag=VALUE`. */
const VALUED = new Map([
  ['--host-netns', 'a namespace name or path'],
  ['--macvlan-mode', 'a mode: bridge, private, vepa or passthru'],
  ['--ipvlan', 'a mode: l2, l3 or l3s'],
  ['--ovsdb', 'the database socket, unix:PATH'],
  ['--ovs-datapath', 'a datapath: system or netdev'],
]);

export function stripGlobals(argv: readonly string[]): { globals: Globals; line: Line } {
  const zone = optionZone(argv);
  if (zone.some((a) => a === '--help' || a === '-h')) {
    // --help wins even over a malformed rest of the line.
    return { globals: { json: zone.includes('--json'), dryRun: zone.includes('--dry-run'), help: true }, line: { args: [], stripped: new Map() } };
  }
  const globals: Globals = { json: false, dryRun: false, help: false };
  const values = new Map<string, string>();
  const args: string[] = [];
  const stripped = new Map<number, string>();
  const end = argv.indexOf('--');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (end >= 0 && i >= end) {
      args.push(arg);
      continue;
    }
    const flag = arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
    if (arg === '--json' || arg === '--dry-run') {
      if (arg === '--json') globals.json = true;
      else globals.dryRun = true;
    } else if (VALUED.has(flag)) {
      if (values.has(flag)) throw usage(`${flag} given twice`);
      let value: string;
      if (arg === flag) {
        const next = argv[i + 1];
        if (next === undefined) throw usage(`${flag} needs ${VALUED.get(flag)}`);
        if (next.startsWith('-')) throw usage(`${flag} needs ${VALUED.get(flag)}, got ${show(next)}`);
        value = next;
        i++;
      } else {
        value = arg.slice(flag.length + 1);
      }
      values.set(flag, value);
    } else {
      args.push(arg);
      continue;
    }
    if (!stripped.has(args.length)) stripped.set(args.length, arg);
  }
  const hostNetns = values.get('--host-netns');
  if (hostNetns !== undefined) globals.hostNetns = checkHostNetns(hostNetns);
  const macvlanMode = values.get('--macvlan-mode');
  if (macvlanMode !== undefined) globals.macvlanMode = macvlanMode;
  const ipvlanMode = values.get('--ipvlan');
  if (ipvlanMode !== undefined) globals.ipvlanMode = ipvlanMode;
  // PIPEWORK_OVSDB is read where the socket is opened (ovsdb/endpoint.ts), for the library too.
  const ovsdb = values.get('--ovsdb');
  if (ovsdb !== undefined) globals.ovsdb = ovsdb;
  const ovsDatapath = values.get('--ovs-datapath');
  if (ovsDatapath !== undefined) globals.ovsDatapath = ovsDatapath;
  return { globals, line: { args, stripped } };
}

/** The globals as the parse result reports them (help and --macvlan-mode live elsewhere). */
export function reportedOptions(g: Globals): GlobalOptions {
  const o: GlobalOptions = { json: g.json, dryRun: g.dryRun };
  if (g.hostNetns !== undefined) o.hostNetns = g.hostNetns;
  return o;
}

export const GLOBALS_HELP = `\
Global options (anywhere on the line, before --):
  --host-netns NS, --host-netns=NS
                 treat network namespace NS (a name from ip netns, or a path)
                 as the host: bridges and host-side ends live there
                   pipework --host-netns test1 br1 web1 203.0.113.7/24
  --json         print the result, or the error, as one JSON object on stdout
                   pipework --json show web1
  --dry-run      print the steps that would be taken and change nothing
                   pipework --dry-run br1 web1 198.51.100.33/24
  --macvlan-mode M, --macvlan-mode=M
                 attach only: the macvlan mode on a physical host interface,
                 bridge (the default, as the original's), private, vepa or
                 passthru
                   pipework --macvlan-mode vepa eth2 web1 198.51.100.33/24
  --ipvlan M, --ipvlan=M
                 attach only: an ipvlan of mode l2, l3 or l3s instead of a
                 macvlan on a physical host interface
                   pipework --ipvlan l2 eth2 web1 198.51.100.33/24
  --ovsdb unix:PATH, --ovsdb=unix:PATH
                 Open vSwitch's database socket, for attach, detach and gc
                 (default: $PIPEWORK_OVSDB, else /var/run/openvswitch/db.sock)
                   pipework --ovsdb unix:/run/ovs/db.sock ovsbr0 web1 0/0
  --ovs-datapath system|netdev
                 attach only: the datapath of an Open vSwitch bridge the
                 attach creates (a missing ovs* name); system by default
                   pipework --ovs-datapath netdev ovsbr1 web1 192.0.2.7/24
  -h, --help     print this text and exit 0
  --             end of options: every later argument is positional, for a
                 guest whose name starts with '-'
                   pipework br1 -i eth1 -- -odd 198.51.100.33/24
`;
