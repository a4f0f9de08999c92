// Declaring tests that need something this machine may lack:
//
//   const maybe = requireDocker(test);
//   maybe('resolves a container', async () => { ... });
//
// When the requirement holds, `maybe` is `test` itself. Otherwise each test is
// registered with test.skip (uvu counts it as skipped) and the reason is
// printed once, on stderr, the first time a test is skipped.

import type { Callback, Test } from 'uvu';
import { dockerAvailable, dockerWhyNot } from './docker';

export type TestFn<T> = (name: string, fn: Callback<T>) => void;

/** `test` when ok, else a registrar that skips and says why once. */
export function requireIf<T>(test: Test<T>, ok: boolean, why: string): TestFn<T> {
  if (ok) return test;
  let said = false;
  return (name, fn) => {
    if (!said) {
      said = true;
      process.stderr.write(`skipping tests that need it: ${why}\n`);
    }
    process.stderr.write(`  skip: ${name}\n`);
    test.skip(name, fn);
  };
}

/** Tests that need a reachable Docker engine. */
export function requireDocker<T>(test: Test<T>): TestFn<T> {
  return requireIf(test, dockerAvailable, `Docker is not reachable (${dockerWhyNot})`);
}

/** Tests that must run as root (namespaces, links). */
export function requireRoot<T>(test: Test<T>): TestFn<T> {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return requireIf(test, root, 'not running as root');
}
