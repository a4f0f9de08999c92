// pipework's MAC argument. The oracle for U:<string> is the original's own
// recipe run by /bin/sh: strip through the first colon, `echo` the value
// unquoted into md5sum, keep 02 and the first 5 bytes.
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { macFromString, normaliseMac } from '../src/request/mac';
import { throwsUsage } from './helpers/assert';

const shOk = spawnSync('sh', ['-c', 'echo x | md5sum'], { stdio: 'ignore' }).status === 0;

/** What the original derives from its MAC argument `arg` (which starts with U:). */
function pipeworkU(arg: string): string {
  const script = 'MACADDR=$1; macunique="${MACADDR#*:}"; echo $macunique | md5sum';
  const r = spawnSync('sh', ['-c', script, 'sh', arg], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sh: ${r.stderr}`);
  const hex = r.stdout.slice(0, 10);
  return `02:${hex.match(/../g)?.join(':')}`;
}

test("the README's example: U:myhost.foo.com is 02:72:6c:cd:9b:8d", () => {
  assert.is(macFromString('myhost.foo.com'), '02:72:6c:cd:9b:8d');
  assert.is(normaliseMac('U:myhost.foo.com'), '02:72:6c:cd:9b:8d');
});

// No '*', '?', '[' or backslashes: there the original depends on the current
// directory and on which sh runs it (see src/request/mac.ts).
const U_CASES = ['U:myhost.foo.com', 'U:web1', 'U:', 'U:a b', 'U:a   b', 'U: padded ', 'U:x:y:z', 'U:U:again', 'U:tab\there', 'U:ünïcödé', 'U:line\nbreak'];

(shOk ? test : test.skip)('U:<string> matches the original shell recipe run by sh', () => {
  for (const arg of U_CASES) assert.is(normaliseMac(arg), pipeworkU(arg), JSON.stringify(arg));
});
if (!shOk) console.log('skipped: U:<string> matches the original shell recipe: sh or md5sum missing');

test('a derived MAC is always unicast and locally administered', () => {
  for (const s of ['', 'a', 'web1', 'x'.repeat(300)]) assert.match(macFromString(s), /^02(:[0-9a-f]{2}){5}$/);
});

test('colon MACs come back lower-case with two digits a group', () => {
  assert.is(normaliseMac('FA:DE:B0:99:52:1C'), 'fa:de:b0:99:52:1c');
  assert.is(normaliseMac('26:2e:71:98:60:8f'), '26:2e:71:98:60:8f');
  assert.is(normaliseMac('2:42:c0:0:2:a'), '02:42:c0:00:02:0a');
});

test('multicast, broadcast, all-zero and malformed MACs are refused naming the value', () => {
  throwsUsage(() => normaliseMac('01:00:5e:00:00:01'), '"01:00:5e:00:00:01"');
  throwsUsage(() => normaliseMac('33:33:00:00:00:01'), 'multicast');
  throwsUsage(() => normaliseMac('FF:FF:FF:FF:FF:FF'), '"FF:FF:FF:FF:FF:FF"');
  throwsUsage(() => normaliseMac('00:00:00:00:00:00'), 'all zeros');
  throwsUsage(() => normaliseMac('u:lowercase'), '"u:lowercase"');
  throwsUsage(() => normaliseMac('02:42:c0:00:02'), '"02:42:c0:00:02"');
  throwsUsage(() => normaliseMac('not\na mac'), '"not\\na mac"');
});

test.run();
