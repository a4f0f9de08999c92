// The keyword grammar route, rule and tc share: pure, no kernel.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PipeworkError } from '../src/errors';
import { Words, keywords } from '../src/request/words';

function refused(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    assert.instance(e, PipeworkError);
    assert.is((e as PipeworkError).code, 'USAGE');
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

test('next, peek, accept, oneOf, end', () => {
  const w = new Words(['add', '192.0.2.0/24', 'via', '198.51.100.1'], 'pipework route');
  assert.is(w.peek(), 'add');
  assert.is(w.oneOf('a route command', ['add', 'del'] as const), 'add');
  assert.is(w.next('a prefix'), '192.0.2.0/24');
  assert.is(w.accept('dev'), undefined);
  assert.is(w.accept('via', 'dev'), 'via');
  assert.is(w.next('a gateway'), '198.51.100.1');
  assert.ok(w.done);
  w.end();
  assert.is(refused(() => w.next('a table')), 'pipework route: missing a table after 198.51.100.1');
});

test('keywords: handlers, aliases, twice, unknown, prototype names', () => {
  const got: Record<string, string> = {};
  const table = (w: Words, k: string) => void (got.table = `${k}=${w.next('a table')}`);
  const t = { table, lookup: table, pref: (w: Words) => void (got.pref = w.next('a number')) };
  keywords(new Words(['lookup', '100', 'pref', '7'], 'pipework rule'), t);
  assert.equal(got, { table: 'lookup=100', pref: '7' });
  assert.is(refused(() => keywords(new Words(['table', '1', 'lookup', '2'], 'pipework rule'), t)), 'pipework rule: lookup given twice');
  assert.is(refused(() => keywords(new Words(['frob', '1'], 'pipework rule'), t)), 'pipework rule: frob is not a keyword here (table, lookup, pref)');
  assert.match(refused(() => keywords(new Words(['constructor'], 'pipework rule'), t)), /constructor is not a keyword here/);
  assert.is(refused(() => new Words(['x y'], 'pipework tc').end()), 'pipework tc: unexpected "x y"');
});

test.run();
