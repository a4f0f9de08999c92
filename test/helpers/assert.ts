// Assertions shared by the test files.
import * as assert from 'uvu/assert';
import { PipeworkError } from '../../src/errors';

/** fn throws a one-line PipeworkError with code USAGE whose message mentions `mention`. */
export function throwsUsage(fn: () => unknown, mention: string): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, PipeworkError);
    const err = e as PipeworkError;
    assert.is(err.code, 'USAGE');
    assert.ok(err.message.includes(mention), `message ${JSON.stringify(err.message)} should mention ${mention}`);
    assert.not.match(err.message, /\n/);
    return;
  }
  assert.unreachable(`expected a USAGE error mentioning ${mention}`);
}
