// `--json` everywhere, through the real CLI binary: `--json --help` prints the
// usage as data (the success shape, op 'help': the commands with their usage
// lines and options, the global options, the exit statuses), agreeing with
// the text help; and every path that prints, prints exactly once: one JSON
// document on stdout and nothing on stderr with --json, one help text without.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GLOBALS_HELP } from '../src/cli/globals';
import { COMMANDS } from '../src/cli/commands';
import { assertDistFresh, explain, pipework } from './helpers/cli';

test.before(() => assertDistFresh());

/** stdout holds exactly one JSON document (two printed would not parse as one). */
function once(argv: string[]): any {
  const r = pipework(argv);
  assert.is(r.stderr, '', `nothing on stderr with --json: ${explain(r)}`);
  let j: any;
  try {
    j = JSON.parse(r.stdout);
  } catch {
    assert.unreachable(`stdout is not one JSON document: ${explain(r)}`);
  }
  assert.is(r.stdout.trimEnd().split('\n').filter((l) => l === '}').length, 1, `printed once: ${explain(r)}`);
  return { r, j };
}

test('--json --help (and -h, either order, with more on the line) prints the usage as data, exit 0', () => {
  for (const argv of [['--json', '--help'], ['-h', '--json'], ['--json', '--help', '--no-such'], ['--json', 'detach', '-h'], ['--json', '--dry-run', '--help']]) {
    const { r, j } = once(argv);
    assert.is(r.status, 0, explain(r));
    assert.equal(Object.keys(j).sort(), ['dryRun', 'ok', 'op', 'plan', 'result']);
    assert.is(j.ok, true);
    assert.is(j.op, 'help');
    assert.equal(j.plan, []);
    assert.is(j.dryRun, argv.includes('--dry-run'));
    assert.equal(j.result.commands.map((c: any) => c.op), COMMANDS.map((c) => c.op));
  }
});

test('the data agrees with the text: usage lines, every command option, every global option, the exit statuses', () => {
  const { j } = once(['--json', '--help']);
  const text = pipework(['--help']).stdout;
  const usageBlock = text.slice(text.indexOf('Usage:\n') + 7, text.indexOf('\n\n', text.indexOf('Usage:')));
  assert.equal(j.result.usage, usageBlock.split('\n').map((l) => l.trim()));
  for (const c of j.result.commands) {
    assert.ok(c.usage.length > 0 || c.unsupportedYet !== undefined, c.op);
    for (const u of c.usage) assert.ok(j.result.usage.includes(u), u);
    for (const o of c.options) assert.ok(typeof o.flag === 'string' && o.flag.startsWith('-'), JSON.stringify(o));
    const mod = COMMANDS.find((m) => m.op === c.op)!;
    assert.equal(c.options.map((o: any) => o.flag), mod.options.map((o) => o.flag), c.op);
  }
  assert.is(j.result.commands.filter((c: any) => c.default).length, 1, 'one default command (attach)');
  // the flags GLOBALS_HELP lists, one per option line ("  --host-netns NS, --host-netns=NS", "  -h, --help")
  const textFlags = new Set(
    GLOBALS_HELP.split('\n')
      .filter((l) => /^ {2}-/.test(l))
      .flatMap((l) => l.trim().split(/\s{2,}/)[0]!.split(', ').map((f) => f.split(/[ =]/)[0]!)),
  );
  const dataFlags = new Set<string>(j.result.globalOptions.flatMap((o: any) => [o.flag, ...(o.aliases ?? [])]));
  assert.equal([...dataFlags].sort(), [...textFlags].sort());
  const statuses = j.result.exitStatuses.map((s: any) => s.status);
  for (const s of statuses) assert.match(text, new RegExp(`^  ${s}  `, 'm'));
});

test('every path prints once with --json: usage errors, not-supported, a missing host namespace, a malformed --host-netns', () => {
  for (const [argv, status] of [
    [['--json', '--no-such-option'], 2],
    [['--json'], 2],
    [['--json', 'route', 'add', 'x'], 2],
    [['--json', 'tc', 'web1', 'qdisc', 'add', 'dev', 'eth1', 'root', 'sfq'], 3],
    [['--json', '--host-netns', 'pwhard-no-such-ns', 'show', 'netns:pwhard-no-such-ns'], 1],
    [['--json', '--host-netns'], 2],
    [['--json', 'br1', 'web1', '198.51.100.33'], 2],
  ] as const) {
    const { r, j } = once([...argv]);
    assert.is(r.status, status, explain(r));
    assert.is(j.ok, false);
  }
});

test('without --json, --help prints its text once', () => {
  const r = pipework(['--help']);
  assert.is(r.status, 0);
  assert.is(r.stdout.split('\nUsage:\n').length, 2);
  assert.is(r.stderr, '');
});

test.run();
