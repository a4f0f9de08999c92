// The batch line grammar (src/request/batch-line.ts), pure: what a shell
// would pass for the same line, the refusals, and a fuzz test with a fixed
// seed (quoting any words and splitting them gives them back; any text
// either splits or is refused with USAGE, never anything else).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { PipeworkError } from '../src/errors';
import { quoteBatchWord, splitBatchLine } from '../src/request/batch-line';
import { parseBatchLine } from '../src/cli/batch-lines';
import type { Globals } from '../src/cli/globals';

const SEED = 0x5eed14;
const G: Globals = { json: false, dryRun: false, help: false };

function refused(text: string, pattern: RegExp): void {
  try {
    splitBatchLine(text);
  } catch (e) {
    assert.instance(e, PipeworkError);
    assert.is((e as PipeworkError).code, 'USAGE');
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`${JSON.stringify(text)} was not refused`);
}

test('words, quotes, escapes and comments as sh reads them', () => {
  assert.equal(splitBatchLine('br1  web1\t198.51.100.7/24'), ['br1', 'web1', '198.51.100.7/24']);
  assert.equal(splitBatchLine(`br1 'we b1' "a \\"b\\" \\\\ \\n" c\\ d`), ['br1', 'we b1', 'a "b" \\ \\n', 'c d']);
  assert.equal(splitBatchLine(`x'y'"z" '' ""`), ['xyz', '', '']);
  assert.equal(splitBatchLine('   # a comment'), []);
  assert.equal(splitBatchLine(''), []);
  assert.equal(splitBatchLine('br1 web1 dhcp # the rest'), ['br1', 'web1', 'dhcp']);
  assert.equal(splitBatchLine('a#b "#c" \\#d'), ['a#b', '#c', '#d']);
  assert.equal(splitBatchLine('br1 web1 0/0\r'), ['br1', 'web1', '0/0']);
});

test('the same words as /bin/sh gives for lines without operators', () => {
  const lines = [`br1 'a b' "c\\"d" e\\ f 'g'"h" # x`, `x "\\$HOME" '\\$' "\\q"`, `'it'\\''s' ""`];
  for (const line of lines) {
    const sh = spawnSync('/bin/sh', ['-c', `for w in ${line}\ndo printf '%s\\0' "$w"; done`], { encoding: 'utf8' });
    assert.is(sh.status, 0);
    const words = sh.stdout.split('\0').slice(0, -1);
    assert.equal(splitBatchLine(line), words, line);
  }
});

test('refused: unterminated quotes, a trailing backslash, shell operators, NUL', () => {
  refused(`br1 'web1`, /unterminated ' quote at column 5/);
  refused(`br1 "web1`, /unterminated " quote at column 5/);
  refused('br1 web1 \\', /backslash ends the line/);
  for (const op of [';', '|', '&', '<', '>', '(', ')', '`', '$']) refused(`br1 web1${op}x`, /unquoted .* at column 9/);
  refused('br1 \0', /NUL byte at column 5/);
  assert.equal(splitBatchLine(`'a;b' "c|d" e\\&f '$x'`), ['a;b', 'c|d', 'e&f', '$x']);
});

test('a line parses as the same words after pipework do', () => {
  const l = parseBatchLine(`pipework br1 -i eth2 'netns:red' 198.51.100.7/24@198.51.100.1`, 3, G)!;
  assert.is(l.command.op, 'attach');
  assert.is(l.line, 3);
  assert.equal({ ...l.request }, { ...parseBatchLine(['br1', '-i', 'eth2', 'netns:red', '198.51.100.7/24@198.51.100.1'], 3, G)!.request });
  assert.is(parseBatchLine('# nothing', 1, G), undefined);
  assert.is(parseBatchLine('detach --all red', 1, G)!.request.op, 'detach');
  for (const [line, pattern] of [
    ['br1 red', /^line 4: missing address after guest red/],
    ['--json br1 red 0/0', /^line 4: --json applies to the whole batch/],
    ['--host-netns x br1 red 0/0', /^line 4: --host-netns applies to the whole batch/],
    ['--batch f', /^line 4: a batch line cannot be another --batch/],
    ['br1 red dhcp:-f', /^line 4: dhcp -f holds the lease in the foreground/],
    ['br1 "red', /^line 4: unterminated " quote/],
  ] as const) {
    try {
      parseBatchLine(line, 4, G);
      assert.unreachable(line);
    } catch (e) {
      assert.is((e as PipeworkError).code, 'USAGE', line);
      assert.match((e as Error).message, pattern);
    }
  }
  // The batch's --macvlan-mode goes to attach lines only; on the line too, it is given twice.
  const withMode: Globals = { ...G, macvlanMode: 'vepa' };
  assert.is(parseBatchLine('detach red', 1, withMode)!.request.op, 'detach');
  assert.throws(() => parseBatchLine('--macvlan-mode private eth9 red 0/0', 1, withMode), /--macvlan-mode given twice/);
});

test('fuzz: quoted words split back to themselves', () => {
  const word = fc.string({ unit: fc.constantFrom('a', ' ', "'", '"', '\\', '#', '$', ';', '\t', 'é', '-', '=', '/') });
  fc.assert(
    fc.property(fc.array(word, { maxLength: 8 }), (words) => {
      assert.equal(splitBatchLine(words.map(quoteBatchWord).join(' ')), words);
    }),
    { seed: SEED, numRuns: 2000 },
  );
});

test('fuzz: any text splits or is refused with USAGE, nothing else', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
      try {
        const words = splitBatchLine(text);
        assert.ok(Array.isArray(words) && words.every((w) => typeof w === 'string' && !w.includes('\0')));
      } catch (e) {
        assert.ok(e instanceof PipeworkError && e.code === 'USAGE', String(e));
      }
    }),
    { seed: SEED, numRuns: 5000 },
  );
});

test.run();
