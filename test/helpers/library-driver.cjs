// Drives the library (the compiled dist/, as the package ships it) through a
// list of operations and prints one JSON line: { ok, results: [...] } or
// { ok: false, error }. Meant to run under test/helpers/no-child-process.cjs,
// where anything that starts a process throws, so it uses no oracle of its
// own: the test checks the namespaces with `ip -j` from outside.
//
//   node -r ./test/helpers/no-child-process.cjs test/helpers/library-driver.cjs '<json>'
//   json: { hostNetns, ops: [{ op: 'attach', ...AttachOptions } | { op: 'show', guest }
//          | { op: 'detach', ...DetachOptions } | { op: 'plan', ...AttachOptions }
//          | { op: 'gc', dryRun } | { op: 'wait', guestIf, timeoutMs }] }
// An operation that throws gives { op, error: { name, code, message } } and
// the next one runs.
'use strict';

const path = require('node:path');

async function main() {
  const spec = JSON.parse(process.argv[2] ?? '{}');
  const lib = require(path.join(__dirname, '..', '..', 'dist', 'index.js'));
  const pw = new lib.Pipework({ hostNetns: spec.hostNetns });
  const results = [];
  try {
    for (const step of spec.ops ?? []) {
      const { op, ...args } = step;
      try {
        let result;
        if (op === 'attach') result = await pw.attach(args);
        else if (op === 'plan') result = await pw.planAttach(args);
        else if (op === 'show') result = await pw.show(args.guest);
        else if (op === 'detach') result = await pw.detach(args);
        else if (op === 'gc') result = await pw.gc(args);
        else if (op === 'wait') result = await pw.wait(args);
        else throw new Error(`unknown op ${op}`);
        results.push({ op, result });
      } catch (e) {
        results.push({ op, error: { name: e.name, code: e.code, message: e.message } });
      }
    }
  } finally {
    pw.close();
  }
  process.stdout.write(`${JSON.stringify({ ok: true, results })}\n`);
}

main().catch((e) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: { name: e.name, code: e.code, message: e.message, stack: e.stack } })}\n`);
  process.exitCode = 1;
});
