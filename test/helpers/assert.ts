// Assertions shared by the test files.
import * as fs from 'node:fs';
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

/**
 * What a system call's failure carries (code, errno, syscall, message), for
 * comparing the backends; if fn succeeds, what it opened (an fd or a socket)
 * is closed and this throws.
 */
export function syscallFailure(fn: () => number | { close(): void }): Record<string, unknown> {
  try {
    const opened = fn();
    if (typeof opened === 'number') fs.closeSync(opened);
    else opened.close();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { code: err.code, errno: err.errno, syscall: err.syscall, message: err.message };
  }
  throw new Error('expected a failure');
}
