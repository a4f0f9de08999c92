// pipework tc against the real kernel, in a throwaway guest namespace with a
// veth pair: every supported form this kernel has (tbf, htb and its classes,
// ingress) is sent by our code and read back both by our decoder and by
// `tc -j qdisc show` / `tc qdisc show` (the independent view), which must
// agree member for member and line for line. Kinds this kernel lacks (netem,
// fq_codel, prio here) are tried, and skipped saying why, when the kernel
// answers that it does not know them; their bytes are in tc-golden.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pipework, PipeworkError } from '../src';
import { NetnsScope, ip, run } from './helpers/netns';
import { requireIf, requireRoot } from './helpers/skip';
import { tcJson, tcLines } from './helpers/tc';

const scope = new NetnsScope('pwtc');
let guest = '';
let spec = '';
const pw = new Pipework();

test.before(() => {
  guest = scope.create('guest');
  spec = `netns:${guest}`;
  ip(guest, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1');
  ip(guest, 'link', 'set', 'veth0', 'up');
  ip(guest, 'link', 'set', 'veth1', 'up');
});
test.after(() => {
  pw.close();
  scope.cleanup();
});

const words = (s: string): string[] => s.split(' ');

/** Ours and tc's view of the guest's qdiscs must be the same, JSON and text. */
async function sameAsTc(): Promise<any[]> {
  const r = await pw.tc(spec, ['qdisc', 'show']);
  const theirs = tcJson(guest, 'qdisc', 'show');
  // Kinds we do not decode (noqueue on lo, the kernel's defaults) compare by their header only.
  const ours = r.qdiscs!.map((q: any) => (['tbf', 'htb', 'ingress', 'prio', 'netem', 'fq_codel'].includes(q.kind) ? q : { ...q, options: undefined }));
  const tcs = theirs.map((q: any) => (['tbf', 'htb', 'ingress', 'prio', 'netem', 'fq_codel'].includes(q.kind) ? q : { ...q, options: undefined }));
  assert.equal(ours, tcs);
  const ourLines = r.lines!.filter((l) => / (tbf|htb|ingress|prio|netem|fq_codel) /.test(l));
  assert.equal(ourLines, tcLines(guest, 'qdisc', 'show').filter((l) => / (tbf|htb|ingress|prio|netem|fq_codel) /.test(l)));
  return r.qdiscs!;
}

const maybe = requireRoot(test);

maybe('tbf: add, show, change, replace, del', async () => {
  await pw.tc(spec, words('qdisc add dev veth0 root tbf rate 1mbit burst 32kbit latency 400ms'));
  let q = (await sameAsTc()).find((x) => x.dev === 'veth0')!;
  assert.equal(q.options, { rate: 125000, burst: 4096, lat: 400000 });
  await pw.tc(spec, words('qdisc change dev veth0 root tbf rate 2mbit burst 64kb limit 20000'));
  q = (await sameAsTc()).find((x) => x.dev === 'veth0')!;
  assert.is(q.options.rate, 250000);
  await pw.tc(spec, words('qdisc replace dev veth0 root handle 7: tbf rate 5gbit burst 1mb latency 50ms peakrate 6gbit mtu 9000'));
  q = (await sameAsTc()).find((x) => x.dev === 'veth0')!;
  assert.is(q.handle, '7:');
  assert.is(q.options.rate, 625000000);
  await pw.tc(spec, words('qdisc del dev veth0 root'));
  assert.not.ok((await sameAsTc()).some((x) => x.kind === 'tbf'));
});

maybe('htb: root qdisc with a default class, classes with rate and ceil, class show against tc', async () => {
  await pw.tc(spec, words('qdisc add dev veth0 root handle 1: htb default 10'));
  await pw.tc(spec, words('class add dev veth0 parent 1: classid 1:1 htb rate 10mbit'));
  await pw.tc(spec, words('class add dev veth0 parent 1:1 classid 1:10 htb rate 1mbit ceil 2mbit'));
  await pw.tc(spec, words('class replace dev veth0 parent 1:1 classid 1:20 htb rate 512kbit ceil 10mbit burst 15k prio 3'));
  const q = (await sameAsTc()).find((x) => x.kind === 'htb')!;
  assert.equal(q.options, { r2q: 10, default: '0x10', direct_packets_stat: 0, direct_qlen: 1000 });
  // tc 6.1 prints htb classes as text even under -j, so the text is the oracle.
  const ours = await pw.tc(spec, words('class show dev veth0'));
  const theirs = tcLines(guest, 'class', 'show', 'dev', 'veth0').map((l) => l.replace(/^class htb (\S+) /, 'class htb $1 dev veth0 '));
  assert.equal(ours.lines, theirs);
  assert.ok(ours.lines!.includes('class htb 1:10 dev veth0 parent 1:1 prio 0 rate 1Mbit ceil 2Mbit burst 1600b cburst 1600b'), ours.message);
  await pw.tc(spec, words('class change dev veth0 parent 1:1 classid 1:10 htb rate 3mbit ceil 4mbit'));
  assert.ok((await pw.tc(spec, words('class show dev veth0'))).lines!.some((l) => l.includes('1:10') && l.includes('rate 3Mbit ceil 4Mbit')));
  await pw.tc(spec, words('class del dev veth0 classid 1:20'));
  assert.not.ok(tcLines(guest, 'class', 'show', 'dev', 'veth0').some((l) => l.includes('1:20')));
  await pw.tc(spec, words('qdisc del dev veth0 root'));
});

maybe('ingress: add, show, del', async () => {
  await pw.tc(spec, words('qdisc add dev veth1 ingress'));
  const q = (await sameAsTc()).find((x) => x.kind === 'ingress')!;
  assert.equal(q, { kind: 'ingress', handle: 'ffff:', dev: 'veth1', parent: 'ffff:fff1', options: {} });
  await pw.tc(spec, words('qdisc del dev veth1 ingress'));
  assert.not.ok((await sameAsTc()).some((x) => x.kind === 'ingress'));
});

maybe("the kernel's refusal carries its extended ACK text, and nothing changes", async () => {
  await pw.tc(spec, words('qdisc add dev veth0 root handle 1: htb'));
  const before = tcJson(guest, 'qdisc', 'show');
  try {
    await pw.tc(spec, words('qdisc add dev veth0 root handle 2: htb'));
    assert.unreachable('a second root qdisc with add');
  } catch (e) {
    assert.instance(e, PipeworkError);
    assert.is((e as PipeworkError).code, 'KERNEL');
    assert.is((e as PipeworkError).errno, 'EEXIST');
    assert.match((e as Error).message, /kernel: /);
  }
  assert.equal(tcJson(guest, 'qdisc', 'show'), before);
  await pw.tc(spec, words('qdisc del dev veth0 root'));
});

maybe('dry run: the tc command inside the guest, nothing sent', async () => {
  const before = tcJson(guest, 'qdisc', 'show');
  const r = await pw.tc(spec, words('qdisc add dev veth0 root netem loss 30%'), { dryRun: true });
  assert.is(r.command, 'tc qdisc add dev veth0 root netem loss 30%');
  assert.match(r.message, /^would add qdisc netem/);
  assert.equal(tcJson(guest, 'qdisc', 'show'), before);
});

/** Whether this kernel has a qdisc kind: tc's own answer on a scratch veth. */
function kernelHas(kind: string): { ok: boolean; why: string } {
  const probe = scope.create(`probe-${kind.replace('_', '')}`);
  try {
    ip(probe, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
    const r = run('ip', ['netns', 'exec', probe, 'tc', 'qdisc', 'add', 'dev', 'p0', 'root', kind]);
    return { ok: r.status === 0, why: `this kernel has no ${kind} qdisc (tc: ${r.stderr.trim()})` };
  } finally {
    scope.delete(probe);
  }
}

const LACKING: [string, string, (q: any) => void][] = [
  ['netem', 'qdisc add dev veth0 root netem loss 30%', (q) => assert.equal(q.options['loss-random'], { loss: 0.3, correlation: 0 })],
  ['fq_codel', 'qdisc add dev veth0 root fq_codel limit 1024 target 5ms ecn', (q) => assert.is(q.options.limit, 1024)],
  ['prio', 'qdisc add dev veth0 root prio bands 4', (q) => assert.is(q.options.bands, 4)],
];
for (const [kind, line, check] of LACKING) {
  const has = process.getuid?.() === 0 ? kernelHas(kind) : { ok: false, why: 'not root' };
  requireIf(test, has.ok, has.why)(`${kind}: add, show against tc, del (where the kernel has it)`, async () => {
    await pw.tc(spec, words(line));
    check((await sameAsTc()).find((x) => x.kind === kind));
    await pw.tc(spec, words('qdisc del dev veth0 root'));
  });
}

test.run();
