// Rollback at every step: an attach run again and again with a fault injected
// before step 0, 1, 2, ... until one runs past its last step.
import * as assert from 'uvu/assert';
import { PipeworkError, type BeforeStep } from '../../src';

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
