// Preload (`node -r test/helpers/no-child-process.cjs ...`) that makes every
// way user code can start a process throw: each child_process function, the
// process bindings behind them that process.binding() still hands out, and
// process.execve where Node has it. Any attempt is also written to stderr as
// a line starting with NO_CHILD_PROCESS_VIOLATION, so that an attempt whose
// error the code catches and swallows is still seen by the test.
'use strict';

const fs = require('node:fs');

const MARK = 'NO_CHILD_PROCESS_VIOLATION';

function forbidden(what) {
  const fn = function () {
    const msg = `${MARK}: ${what} was called`;
    try {
      fs.writeSync(2, `${msg}\n${new Error('at').stack.split('\n').slice(2, 8).join('\n')}\n`);
    } catch {
      // stderr closed: the throw below still says it
    }
    process.exitCode = 99;
    const e = new Error(msg);
    e.code = 'ERR_NO_CHILD_PROCESS';
    throw e;
  };
  Object.defineProperty(fn, 'name', { value: what });
  return fn;
}

const cp = require('node:child_process');
const NAMES = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'];
for (const name of NAMES) {
  const fn = forbidden(`child_process.${name}`);
  Object.defineProperty(cp, name, { value: fn, writable: false, configurable: false, enumerable: true });
}
// ESM `import { spawn } from 'node:child_process'` reads a snapshot of the
// CommonJS exports: bring it up to date.
require('node:module').syncBuiltinESMExports();

// process.binding('spawn_sync') and ('process_wrap') still work, deprecated,
// and start processes without child_process.
if (typeof process.binding === 'function') {
  const binding = process.binding;
  const guarded = new Set(['spawn_sync', 'process_wrap']);
  process.binding = function (name) {
    if (guarded.has(name)) return forbidden(`process.binding('${name}')`)();
    return binding.call(process, name);
  };
}
if (typeof process.execve === 'function') process.execve = forbidden('process.execve');

module.exports = { MARK, NAMES };
