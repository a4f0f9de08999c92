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

/** The PipeworkError a promise rejects with (fails the test, naming what, when it resolves or rejects with anything else). */
export async function pipeworkRejection(what: string, p: Promise<unknown>): Promise<PipeworkError> {
  try {
    const r = await p;
    assert.unreachable(`${what} succeeded: ${JSON.stringify(r)}`);
  } catch (e) {
    if (e instanceof assert.Assertion) throw e;
    assert.instance(e, PipeworkError, `${what}: ${String(e)}`);
    return e as PipeworkError;
  }
  throw new Error('unreachable');
}
