// The batch scheduler (src/pipework/batch.ts) without a kernel: lines are
// timers that record when they start and end. Ordering by keys, the bound on
// parallelism, results in input order, parking, cancel; and the keys the
// requests of each command get.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchKeys, schedule, scheduleAll, type BatchItem, type BatchKey } from '../src/pipework/batch';
import { attachRequest, detachRequest, gcRequest, showRequest } from '../src/request';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recorder() {
  const events: string[] = [];
  let running = 0;
  let peak = 0;
  const item = (line: number, keys: BatchKey[], ms: number, fail = false): BatchItem<number> => ({
    line,
    keys,
    run: async () => {
      events.push(`+${line}`);
      peak = Math.max(peak, ++running);
      await sleep(ms);
      running--;
      events.push(`-${line}`);
      if (fail) throw new Error(`line ${line} fails`);
      return line * 10;
    },
  });
  return { events, item, peak: () => peak };
}

test('results in input order whatever order lines end in; failures are results too', async () => {
  const r = recorder();
  const items = [r.item(1, [], 30), r.item(2, [], 1, true), r.item(3, [], 10)];
  const out = await scheduleAll(items, { parallel: 3 });
  assert.equal(out.map((x) => [x.line, x.ok]), [[1, true], [2, false], [3, true]]);
  assert.is((out[0] as any).value, 10);
  assert.match((out[1] as any).error.message, /line 2 fails/);
  assert.equal(r.events.slice(0, 3), ['+1', '+2', '+3'], 'all three ran at once');
});

test('at most `parallel` lines at once', async () => {
  const r = recorder();
  await scheduleAll(Array.from({ length: 20 }, (_, i) => r.item(i + 1, [], 3)), { parallel: 4 });
  assert.is(r.peak(), 4);
});

test('an exclusive key orders lines; shared holders run together after the exclusive one', async () => {
  const r = recorder();
  const ex = (n: string): BatchKey => ({ name: n });
  const sh = (n: string): BatchKey => ({ name: n, shared: true });
  // 1 makes br1; 2 and 3 share it; 4 is on guest a after 2; 5 is exclusive on br1 again.
  const items = [r.item(1, [ex('br1')], 20), r.item(2, [sh('br1'), ex('a')], 20), r.item(3, [sh('br1')], 20), r.item(4, [ex('a')], 5), r.item(5, [ex('br1')], 5)];
  await scheduleAll(items, { parallel: 8 });
  const at = (e: string) => r.events.indexOf(e);
  assert.ok(at('-1') < at('+2') && at('-1') < at('+3'), r.events.join(' '));
  assert.ok(at('+3') < at('-2'), `2 and 3 overlap: ${r.events.join(' ')}`);
  assert.ok(at('-2') < at('+4'), r.events.join(' '));
  assert.ok(at('-2') < at('+5') && at('-3') < at('+5'), r.events.join(' '));
});

test('a parked line gives its place back; onIdle fires when nothing runs', async () => {
  let idle = 0;
  let release!: () => void;
  const parkedDone = new Promise<void>((r) => (release = r));
  const order: number[] = [];
  const items: BatchItem<number>[] = [
    {
      line: 1,
      keys: [],
      run: async (ctx) => {
        ctx.parked();
        await parkedDone;
        order.push(1);
        return 1;
      },
    },
    { line: 2, keys: [], run: async () => (order.push(2), 2) },
  ];
  const out = schedule(items, {
    parallel: 1,
    onIdle: () => {
      idle++;
      release();
    },
  });
  const got = [];
  for await (const x of out) got.push(x.line);
  assert.equal(order, [2, 1], 'line 2 ran while line 1 was parked, with parallel 1');
  assert.equal(got, [1, 2]);
  assert.ok(idle >= 1);
});

test('cancel: running lines see the signal; lines not started are ABORTED; no more input is taken', async () => {
  const ac = new AbortController();
  let taken = 0;
  function* items(): Generator<BatchItem<string>> {
    for (let i = 1; i <= 1000; i++) {
      taken++;
      yield {
        line: i,
        keys: [{ name: 'g' }],
        run: async (ctx) => {
          if (i === 2) ac.abort(new Error('stop'));
          await sleep(1);
          return ctx.signal.aborted ? 'saw abort' : 'done';
        },
      };
    }
  }
  const out = await scheduleAll(items(), { parallel: 2, signal: ac.signal });
  assert.equal(out.slice(0, 2).map((x) => (x.ok ? x.value : x.error.code)), ['done', 'saw abort']);
  assert.ok(out.slice(2).every((x) => !x.ok && x.error.code === 'ABORTED' && /not run/.test(x.error.message)));
  assert.ok(taken < 1000, `stopped taking input (${taken})`);
  assert.is(out.length, taken);
});

test('keys: guest as written without its prefix, a host interface first exclusive then shared, gc a barrier', () => {
  const k = new BatchKeys();
  const a1 = k.of(attachRequest({ hostIf: 'br1', guest: 'netns:red', address: '192.0.2.1/24' }));
  const a2 = k.of(attachRequest({ hostIf: 'br1', guest: 'blue', address: '192.0.2.2/24' }));
  const d = k.of(detachRequest({ guest: 'red' }));
  const v = k.of(attachRequest({ hostIf: 'eth9', guest: 'green', address: '192.0.2.3/24', vlan: 10 }));
  assert.equal(a1, [{ name: '*', shared: true }, { name: 'guest:red' }, { name: 'hostif:br1', shared: false }]);
  assert.equal(a2, [{ name: '*', shared: true }, { name: 'guest:blue' }, { name: 'hostif:br1', shared: true }]);
  assert.equal(d, [{ name: '*', shared: true }, { name: 'guest:red' }, { name: 'release', shared: true }]);
  assert.ok(v.some((x) => x.name === 'hostif:eth9@10' && !x.shared) && v.some((x) => x.name === 'release' && !x.shared), JSON.stringify(v));
  assert.equal(k.of(gcRequest({})), [{ name: '*' }]);
  assert.equal(k.of(showRequest({ guest: 'pid:42' })), [{ name: '*', shared: true }, { name: 'guest:42' }]);
});

test.run();
