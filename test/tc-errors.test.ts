// Malformed tc lines: one line naming the bad word, exit 2, nothing sent,
// nothing changed. Run through the real CLI against a real guest namespace
// that already holds qdiscs and classes; `tc -j qdisc show` and `tc class
// show` before and after every line must be the same. Not-supported forms
// (a valid tc kind we do not encode): exit 3, one line naming it and listing
// the supported kinds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tcRequest } from '../src/request/tc';
import { PipeworkError } from '../src/errors';
import { assertDistFresh, pipework } from './helpers/cli';
import { NetnsScope, ip } from './helpers/netns';
import { requireRoot } from './helpers/skip';
import { tcJson, tcLines } from './helpers/tc';

/** [tc words, a word the message must name]. */
export const MALFORMED_TC: [string, string][] = [
  ['', 'qdisc or class'],
  ['qdiscs add dev veth0 root tbf', 'qdiscs'],
  ['qdisc', 'add'],
  ['qdisc frob dev veth0 root', 'frob'],
  ['qdisc add dev veth0 root', 'qdisc kind'],
  ['qdisc add root netem loss 30%', 'dev'],
  ['qdisc add dev veth0 netem loss 30%', 'root'],
  ['qdisc add dev', 'dev'],
  ['qdisc add dev veth0123456789abc root netem', 'veth0123456789abc'],
  ['qdisc add dev veth0 dev veth1 root netem', 'dev'],
  ['qdisc add dev veth0 root root netem', 'root'],
  ['qdisc add dev veth0 root parent 1:10 netem', 'parent'],
  ['qdisc add dev veth0 root handle 1:5 netem', '1:5'],
  ['qdisc add dev veth0 root handle 10000: netem', '10000:'],
  ['qdisc add dev veth0 parent 1 netem', '1'],
  ['qdisc add dev veth0 parent zz:1 netem', 'zz:1'],
  ['qdisc add dev veth0 root frobnicate', 'frobnicate'],
  ['qdisc add dev veth0 root netem loss 30%%', '30%%'],
  ['qdisc add dev veth0 root netem loss 130%', '130%'],
  ['qdisc add dev veth0 root netem loss', 'loss'],
  ['qdisc add dev veth0 root netem delay 100parsecs', '100parsecs'],
  ['qdisc add dev veth0 root netem delay 10ms 5ms 25% 3', '3'],
  ['qdisc add dev veth0 root netem reorder 25%', 'reorder'],
  ['qdisc add dev veth0 root netem delay 1ms gap 5', 'gap'],
  ['qdisc add dev veth0 root netem ecn', 'ecn'],
  ['qdisc add dev veth0 root netem rate 1mbbit', '1mbbit'],
  ['qdisc add dev veth0 root netem loss 1% loss 2%', 'loss'],
  ['qdisc add dev veth0 root tbf burst 32kbit latency 400ms', 'rate'],
  ['qdisc add dev veth0 root tbf rate 1mbit latency 400ms', 'burst'],
  ['qdisc add dev veth0 root tbf rate 1mbit burst 32kbit', 'latency'],
  ['qdisc add dev veth0 root tbf rate 1mbit burst 32kbit latency 400ms limit 3000', 'limit'],
  ['qdisc add dev veth0 root tbf rate 1mbit burst 32kbit latency 400ms peakrate 2mbit', 'mtu'],
  ['qdisc add dev veth0 root tbf rate fast burst 32kbit latency 400ms', 'fast'],
  ['qdisc add dev veth0 root tbf rate 0 burst 32kbit latency 400ms', '0'],
  ['qdisc add dev veth0 root tbf rate 1mbit burst 32kbit/3 latency 400ms', '32kbit/3'],
  ['qdisc add dev veth0 root tbf rate 1mbit burst 5gb latency 400ms', '5gb'],
  ['qdisc add dev veth0 root tbf rate 1mbit burst 1.5.5 latency 400ms', '1.5.5'],
  ['qdisc add dev veth0 root tbf rate 1mbit burst 32kbit lat 400ms', 'lat'],
  ['qdisc add dev veth0 root tbf rate 1mbit rate 2mbit burst 32kbit latency 1s', 'rate'],
  ['qdisc add dev veth0 root tbf rate 1mbit burst 32kbit latency 400ms overhead 70000', '70000'],
  ['qdisc add dev veth0 root handle 1: htb default zz', 'zz'],
  ['qdisc add dev veth0 root handle 1: htb r2q -1', '-1'],
  ['qdisc add dev veth0 root prio bands 0', '0'],
  ['qdisc add dev veth0 root prio bands 2 priomap 0 1 2', '2'],
  ['qdisc add dev veth0 root fq_codel target soon', 'soon'],
  ['qdisc add dev veth0 root fq_codel limit 10 limit 20', 'limit'],
  ['qdisc add dev veth0 ingress extra', 'extra'],
  ['qdisc show dev', 'dev'],
  ['qdisc show veth0', 'veth0'],
  ['class add dev veth0 parent 1: classid 1:10 htb', 'rate'],
  ['class add dev veth0 parent 1: htb rate 1mbit', 'classid'],
  ['class add dev veth0 classid 1:10 htb rate 1mbit', 'parent'],
  ['class add dev veth0 parent 1: classid 1:10 htb rate 1mbit ceil', 'ceil'],
  ['class add dev veth0 parent 1: classid 1:10 htb rate 1mbit frob 2', 'frob'],
  ['class add dev veth0 parent 1: classid 1:10', 'htb'],
  ['class add dev veth0 parent 1: classid root htb rate 1mbit', 'root'],
  ['class del dev veth0 classid 1:10 htb rate 1mbit', 'classid'],
  ['class show', 'dev'],
];

const UNSUPPORTED_TC: [string, string][] = [
  ['qdisc add dev veth0 root sfq', 'sfq'],
  ['qdisc add dev veth0 clsact', 'clsact'],
  ['filter add dev veth0 parent 1: u32', 'filter'],
  ['qdisc add dev veth0 root netem loss state 1%', 'loss state'],
  ['qdisc add dev veth0 root netem slot 10ms', 'slot'],
  ['qdisc add dev veth0 root tbf rate 10% burst 1k latency 1ms', '10%'],
  ['class add dev veth0 parent 1: classid 1:10 hfsc', 'hfsc'],
  ['qdisc add dev veth0 root tbf rate 1mbit burst 1k latency 1ms linklayer atm', 'atm'],
];

const split = (s: string): string[] => (s === '' ? [] : s.split(' '));

test(`${MALFORMED_TC.length} malformed tc lines are refused by the request alone (USAGE, naming the word)`, () => {
  assert.ok(MALFORMED_TC.length >= 30);
  const bad: string[] = [];
  for (const [line, mentions] of MALFORMED_TC) {
    try {
      tcRequest('web1', split(line));
      bad.push(`${line}: accepted`);
    } catch (e) {
      if (!(e instanceof PipeworkError) || e.code !== 'USAGE' || !e.message.includes(mentions) || e.message.includes('\n')) bad.push(`${line}: ${(e as PipeworkError).code} ${(e as Error).message}`);
    }
  }
  assert.equal(bad, []);
});

test('the forms tc has and we do not are UNSUPPORTED, naming them; a wrong kind lists the supported ones', () => {
  for (const [line, mentions] of UNSUPPORTED_TC) {
    try {
      tcRequest('web1', split(line));
      assert.unreachable(line);
    } catch (e) {
      assert.is((e as PipeworkError).code, 'UNSUPPORTED', `${line}: ${(e as Error).message}`);
      assert.ok((e as Error).message.includes(mentions), (e as Error).message);
    }
  }
  try {
    tcRequest('web1', split('qdisc add dev veth0 root sfq'));
  } catch (e) {
    assert.match((e as Error).message, /tbf, htb, prio, fq_codel, netem, ingress/);
  }
});

const maybe = requireRoot(test);
const scope = new NetnsScope('pwtc');
let guest = '';

test.before(() => {
  if (process.getuid?.() !== 0) return;
  assertDistFresh();
  guest = scope.create('errors');
  ip(guest, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1');
});
test.after(() => scope.cleanup());

function state(): unknown {
  return { qdiscs: tcJson(guest, 'qdisc', 'show'), classes: tcLines(guest, 'class', 'show', 'dev', 'veth0') };
}

maybe('through the CLI: exit 2 (3 for not supported), one line on stderr, nothing on stdout, the guest unchanged', () => {
  // Something to leave alone: an htb root with a class, and an ingress.
  for (const s of ['qdisc add dev veth0 root handle 1: htb default 10', 'class add dev veth0 parent 1: classid 1:10 htb rate 1mbit', 'qdisc add dev veth1 ingress']) {
    const r = pipework(['tc', `netns:${guest}`, ...s.split(' ')]);
    assert.is(r.status, 0, r.stderr);
  }
  const before = state();
  const bad: string[] = [];
  for (const [lines, status] of [[MALFORMED_TC, 2], [UNSUPPORTED_TC, 3]] as const) {
    for (const [line, mentions] of lines) {
      const r = pipework(['tc', `netns:${guest}`, ...split(line)]);
      if (r.status !== status || r.stdout !== '' || r.errLines.length !== 1 || !r.errLines[0]!.includes(mentions)) {
        bad.push(`${line}: exit ${r.status}, stderr ${JSON.stringify(r.stderr)}`);
      }
    }
  }
  assert.equal(bad, []);
  assert.equal(state(), before);
  const j = pipework(['--json', 'tc', `netns:${guest}`, 'qdisc', 'add', 'dev', 'veth0', 'root', 'netem', 'loss', '130%']);
  assert.is(j.status, 2);
  assert.is(JSON.parse(j.stdout).error.code, 'USAGE');
  assert.equal(state(), before);
});

test.run();
