// The library opened on a suite's host namespace, for the suites that drive it
// both through Pipework and through the operations layer (a host Namespace).
import type { Test } from 'uvu';
import { Pipework } from '../../src';
import { openHost, type Namespace } from '../../src/pipework/namespace';
import type { NetnsScope } from './netns';

/** A Pipework and a host Namespace, both on the suite's host namespace; set once the suite's before-hook has run. */
export interface OnHost {
  pw: Pipework;
  host: Namespace;
}

/**
 * Registers the suite's hooks. Before: setup() makes the host namespace and
 * returns its name, then the library and a host Namespace are opened on it.
 * After: both are closed and every namespace of scope is removed.
 */
export function libraryOnHost<T>(test: Test<T>, scope: NetnsScope, setup: () => string): OnHost {
  const on = {} as OnHost;
  test.before(() => {
    const name = setup();
    on.pw = new Pipework({ hostNetns: name });
    on.host = openHost(name);
  });
  test.after(() => {
    on.pw?.close();
    on.host?.close();
    scope.cleanup();
  });
  return on;
}
