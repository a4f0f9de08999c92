// Lifecycle checks more than one kind of host interface runs: rollback at
// every step, the same attach twice, and a re-run that differs (CONFLICT).
import * as assert from 'uvu/assert';
import { PipeworkError, type AttachOptions, type AttachResult, type BeforeStep, type Pipework } from '../../src';

/**
 * Runs attempt(beforeStep) with a fault injected before each step in turn
 * (the plan must be the same every time); every failed run must fail with that
 * fault, named by its step, and a complete rollback, and then afterFault(inject,
 * title) checks what is left. Returns the step titles of the plan.
 */
export async function faultAtEveryStep(
  attempt: (beforeStep: BeforeStep) => Promise<unknown>,
  afterFault: (inject: number, title: string) => void,
): Promise<string[]> {
  const titles: string[] = [];
  for (let inject = 0; ; inject++) {
    let reached = false;
    try {
      await attempt((step, index) => {
        if (index === titles.length) titles.push(step.title);
        assert.is(step.title, titles[index], 'the same plan every time');
        if (index === inject) {
          reached = true;
          throw new Error(`injected fault before step ${index}`);
        }
      });
    } catch (e) {
      assert.ok(reached, `only the injected fault fails: ${(e as Error).message}`);
      assert.instance(e, PipeworkError);
      assert.ok((e as Error).message.startsWith(`${titles[inject]} failed: injected fault before step ${inject}`), (e as Error).message);
      assert.not.match((e as Error).message, /rollback incomplete/);
      afterFault(inject, titles[inject]!);
      continue;
    }
    assert.not.ok(reached);
    assert.is(inject, titles.length, 'it succeeded once no step was left to fail');
    return titles;
  }
}

/**
 * The same attach twice: the first makes something, the second is
 * alreadyInPlace and leaves state() as the first left it. Returns both results
 * and that state.
 */
export async function attachTwice(pw: Pipework, o: AttachOptions, state: () => unknown): Promise<[AttachResult, AttachResult, unknown]> {
  const first = await pw.attach(o);
  assert.not.ok(first.alreadyInPlace);
  const after1 = state();

  const second = await pw.attach(o);
  assert.is(second.alreadyInPlace, true);
  assert.equal(state(), after1, 'the second attach changed nothing');
  return [first, second, after1];
}

/** The CONFLICT of an attach re-run with a difference: one line, naming exactly that difference (named) as what. */
export function assertConflict(what: string, e: PipeworkError, named: RegExp): void {
  assert.is(e.code, 'CONFLICT', `${what}: ${e.message}`);
  assert.not.match(e.message, /\n/, `${what}: one line`);
  const m = /^netns \S+ already has eth1 from an earlier attach, with (.*): detach it first to change it$/.exec(e.message);
  assert.ok(m, `${what}: ${e.message}`);
  assert.match(m![1]!, named, `${what}: names exactly that difference: ${e.message}`);
}
