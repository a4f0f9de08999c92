// Our tc messages against iproute2's own bytes for the same words.
//
// test/golden/tc.json holds what `tc` (iproute2-6.1.0, Debian bookworm) sent
// the kernel for each form below, captured with
//   ip netns exec NS strace -qq -e trace=sendmsg,sendto -e write=all tc ARGS...
// (test/helpers/tc.ts) in a fresh namespace holding veth0 (ifindex 3) and
// its peer veth1 (2, made first), on a kernel whose /proc/net/psched reads
// "000003e8 00000040 000f4240 3b9aca00" (64 ns ticks, hz 1e9: PSCHED_ASSUMED).
// Each is the last RTM_*QDISC / RTM_*TCLASS message tc sent (before it, tc
// dumps the links to find the ifindex). The kernel may refuse the request
// (this one has no netem, prio or fq_codel); the bytes are sent all the same.
// Compared as the kernel receives them: our flags | NLM_F_REQUEST | NLM_F_ACK
// (NLM_F_DUMP for show), seq and pid zeroed on both sides.
//
// PWTC_RECORD=1 rewrites the fixture from a fresh capture; without it, where
// tc and strace are here, a fresh capture must equal the fixture too.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from '../src/netlink';
import { encodeTc } from '../src/pipework/tc';
import { tcRequest } from '../src/request/tc';
import { Clock, PSCHED_ASSUMED, dumpClasses, dumpQdiscs, parsePsched } from '../src/rtnl/tc';
import { NetnsScope, ip } from './helpers/netns';
import { requireIf } from './helpers/skip';
import { have } from './helpers/strace';
import { captureTc, tcVersion } from './helpers/tc';

const FIXTURE = path.join(__dirname, 'golden', 'tc.json');
const IFINDEX: Record<string, number> = { veth0: 3, veth1: 2 };

/** Every supported form, at least once each; kinds, verbs and options. */
export const FORMS: readonly string[] = [
  // the original's README example
  'qdisc add dev veth0 root netem loss 30%',
  // tbf
  'qdisc add dev veth0 root tbf rate 1mbit burst 32kbit latency 400ms',
  'qdisc replace dev veth0 root tbf rate 10mbit burst 10kb limit 3000 peakrate 20mbit mtu 1600 mpu 64 overhead 4',
  'qdisc add dev veth0 root tbf rate 1mbit burst 10k latency 10ms peakrate 2mbit minburst 1540',
  'qdisc add dev veth0 root handle 5: tbf rate 5gbit burst 1mb/8 latency 50ms',
  'qdisc change dev veth0 root tbf rate 256kbit buffer 1600 latency 1s',
  'qdisc add dev veth0 parent 1:10 tbf rate 100mbps maxburst 64k/64 limit 1m',
  // htb
  'qdisc add dev veth0 root handle 1: htb default 10',
  'qdisc change dev veth0 root handle 1: htb default 20 r2q 5 direct_qlen 500',
  'qdisc replace dev veth0 root handle 1: htb',
  'class add dev veth0 parent 1: classid 1:10 htb rate 1mbit ceil 2mbit',
  'class replace dev veth0 parent 1: classid 1:20 htb rate 100kbit ceil 10gbit burst 15k cburst 20k/16 prio 2 quantum 1500 mtu 9000 mpu 64 overhead 8',
  'class change dev veth0 parent 1:1 classid 1:10 htb rate 2mbit',
  'class add dev veth0 root classid 1:1 htb rate 6gbit',
  'class del dev veth0 classid 1:10',
  'class show dev veth0',
  // ingress
  'qdisc add dev veth0 ingress',
  'qdisc del dev veth0 ingress',
  // prio
  'qdisc add dev veth0 root prio',
  'qdisc add dev veth0 parent 1:10 handle 20: prio bands 4 priomap 0 1 2 3 multiqueue',
  // fq_codel
  'qdisc add dev veth1 root fq_codel',
  'qdisc add dev veth1 root fq_codel limit 1024 flows 512 quantum 1514 target 5ms interval 100ms ecn memory_limit 32mb drop_batch 32 ce_threshold 2ms',
  'qdisc replace dev veth1 root fq_codel noecn',
  // netem
  'qdisc add dev veth0 root netem delay 100ms',
  'qdisc add dev veth0 root netem delay 100ms 10ms',
  'qdisc add dev veth0 root netem delay 100ms 10ms 25% loss 1% 50% duplicate 2% corrupt 0.1% reorder 25% 50% gap 5 rate 10mbit limit 2000',
  'qdisc add dev veth0 root netem loss random 5% ecn',
  'qdisc replace dev veth0 root netem duplicate 1% 25%',
  'qdisc change dev veth0 root netem corrupt 5% 10%',
  'qdisc add dev veth0 root netem delay 10ms reorder 30',
  'qdisc add dev veth0 root netem rate 5gbit 14 48 4',
  'qdisc add dev veth0 root netem latency 1s drop 0.5%',
  'qdisc del dev veth0 root netem loss 30%',
  // del and show
  'qdisc del dev veth0 root',
  'qdisc del dev veth0 parent 1:10 handle 20:',
  'qdisc show',
  'qdisc show dev veth1',
];

const TC_TYPES = new Set([36, 37, 38, 40, 41, 42]);

function record(): Record<string, string> {
  const scope = new NetnsScope('pwtc');
  try {
    const ns = scope.create('golden');
    ip(ns, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1');
    const out: Record<string, string> = {};
    for (const form of FORMS) {
      const sent = captureTc(ns, form.split(' ')).messages.filter((m) => TC_TYPES.has(m.readUInt16LE(4)));
      const last = sent.at(-1);
      if (!last) throw new Error(`tc sent no tc message for: tc ${form}`);
      out[form] = normalise(last).toString('hex');
    }
    return out;
  } finally {
    scope.cleanup();
  }
}

/** seq and pid zeroed. */
function normalise(m: Buffer): Buffer {
  const b = Buffer.from(m);
  b.writeUInt32LE(0, 8);
  b.writeUInt32LE(0, 12);
  return b;
}

/** Ours, as the socket sends it. */
function ours(form: string): Buffer {
  const req = tcRequest('netns:x', form.split(' '));
  let msg: Buffer;
  if (req.verb === 'show') {
    const ifindex = req.dev ? IFINDEX[req.dev]! : 0;
    msg = Buffer.from(req.object === 'qdisc' ? dumpQdiscs(ifindex) : dumpClasses(ifindex));
    msg.writeUInt16LE(msg.readUInt16LE(6) | NLM_F_REQUEST | NLM_F_DUMP, 6);
  } else {
    msg = Buffer.from(encodeTc(req, IFINDEX[req.dev]!, new Clock(PSCHED_ASSUMED)));
    msg.writeUInt16LE(msg.readUInt16LE(6) | NLM_F_REQUEST | NLM_F_ACK, 6);
  }
  return normalise(msg);
}

const canCapture = tcVersion() === 'iproute2-6.1.0' && have('strace', ['-V']) && process.getuid?.() === 0;
if (process.env.PWTC_RECORD === '1') {
  if (!canCapture) throw new Error('PWTC_RECORD=1 needs root, strace and tc from iproute2-6.1.0');
  fs.writeFileSync(FIXTURE, JSON.stringify(record(), null, 1) + '\n');
}
const golden = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Record<string, string>;

test('the fixture has every form', () => {
  assert.equal(Object.keys(golden).sort(), [...FORMS].sort());
});

for (const form of FORMS) {
  test(`tc ${form}: our bytes are tc's`, () => {
    const want = golden[form];
    assert.ok(want, 'in the fixture');
    assert.is(ours(form).toString('hex'), want);
  });
}

test('the psched the fixture assumes is what this kernel prints, or the test says it is not', () => {
  const here = parsePsched(fs.readFileSync('/proc/net/psched', 'utf8'));
  if (here && JSON.stringify(here) !== JSON.stringify(PSCHED_ASSUMED)) {
    process.stderr.write(`note: this kernel's /proc/net/psched (${JSON.stringify(here)}) differs from the fixture's; fresh captures will differ\n`);
    return;
  }
  assert.equal(here, PSCHED_ASSUMED);
});

const maybe = requireIf(test, canCapture, 'the captures need root, strace and tc from iproute2-6.1.0');
maybe('the fixture is what this iproute2 sends today', () => {
  assert.equal(record(), golden);
});

test.run();
