// tc's arithmetic and our decoders, without a kernel: units, printing, the
// psched clock, and the kinds this kernel lacks (netem, prio, fq_codel),
// decoded from the bytes the golden test proves equal to tc's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeTc } from '../src/pipework/tc';
import { tcRequest, type TcClassRequest, type TcQdiscRequest } from '../src/request/tc';
import { parsePercent, parseRate, parseSize, parseTime } from '../src/request/tc-units';
import { Clock, PSCHED_ASSUMED, decodeTc, formatG, formatRate, formatSize, formatTime, parsePsched, viewClass, viewQdisc } from '../src/rtnl/tc';

const clock = new Clock(PSCHED_ASSUMED);
const decoded = (line: string) => {
  const req = tcRequest('x', line.split(' ')) as TcQdiscRequest;
  const q = decodeTc(encodeTc(req, 2, clock));
  q.info = 1; // as the kernel reports a lone qdisc
  return viewQdisc(q, 'eth0', clock);
};

test('units as tc reads them', () => {
  assert.is(parseRate('1mbit'), 125000);
  assert.is(parseRate('32kbit'), 4000);
  assert.is(parseRate('1MBps'), 1000000);
  assert.is(parseRate('1Kibit'), 128);
  assert.is(parseRate('8'), 1);
  assert.is(parseRate('1mbs'), undefined);
  assert.is(parseSize('32kbit'), 4096);
  assert.is(parseSize('1.5k'), 1536);
  assert.is(parseSize('5gb'), undefined);
  assert.is(parseTime('400ms'), 400000);
  assert.is(parseTime('1.5s'), 1500000);
  assert.is(parseTime('7'), 7);
  assert.is(parsePercent('30%'), 0.3);
  assert.is(parsePercent('101%'), undefined);
});

test('printing as tc prints', () => {
  assert.is(formatRate(125000), '1Mbit');
  assert.is(formatRate(4000), '32Kbit');
  assert.is(formatRate(187), '1496bit');
  assert.is(formatSize(4096), '4Kb');
  assert.is(formatSize(1600), '1600b');
  assert.is(formatTime(400000), '400ms');
  assert.is(formatTime(1500000), '1.5s');
  assert.is(formatG(0.3), '0.3');
  assert.is(formatG(1e-7), '1e-07');
  assert.is(formatG(123456789), '1.23457e+08');
});

test('psched: parsed as tc reads it; the tick and hz change what tc computes', () => {
  assert.equal(parsePsched('000003e8 00000040 000f4240 3b9aca00\n'), PSCHED_ASSUMED);
  assert.is(parsePsched('garbage'), undefined);
  assert.is(clock.tickInUsec, 15.625);
  // A kernel without high-resolution timers at HZ 250: htb's default burst is rate/hz + mtu.
  const lowres = new Clock({ ...PSCHED_ASSUMED, hz: 250 });
  const req = tcRequest('x', 'class add dev eth0 parent 1: classid 1:10 htb rate 100mbit'.split(' ')) as TcClassRequest;
  const burst = (c: Clock): unknown => viewClass(decodeTc(encodeTc(req, 2, c)), 'eth0', c).view.options.burst;
  assert.is(burst(clock), 1600);
  assert.is(burst(lowres), 12500000 / 250 + 1600);
});

test('netem decoded (the original README example and a full one)', () => {
  const a = decoded('qdisc add dev eth0 root netem loss 30%');
  assert.equal(a.view.options, { limit: 1000, 'loss-random': { loss: 0.3, correlation: 0 }, ecn: false, gap: 0 });
  assert.is(a.line, 'qdisc netem 0: dev eth0 root limit 1000 loss 30%');
  const b = decoded('qdisc add dev eth0 root netem delay 100ms 10ms 25% loss 1% duplicate 2% reorder 25% 50% rate 10mbit');
  assert.equal(b.view.options.delay, { delay: 0.1, jitter: 0.01, correlation: 0.25 });
  assert.equal(b.view.options.reorder, { reorder: 0.25, correlation: 0.5 });
  assert.equal(b.view.options.rate, { rate: 1250000, packetoverhead: 0, cellsize: 0, celloverhead: 0 });
  assert.is(b.view.options.gap, 1);
  assert.match(b.line, /delay 100ms {2}10ms 25% loss 1% duplicate 2% reorder 25% 50% rate 10Mbit gap 1$/);
});

test('prio and fq_codel decoded', () => {
  const p = decoded('qdisc add dev eth0 root prio bands 4 priomap 0 1 2 3 multiqueue');
  assert.equal(p.view.options, { bands: 4, priomap: [0, 1, 2, 3, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1], multiqueue: true });
  const f = decoded('qdisc add dev eth0 root fq_codel limit 1024 target 5ms interval 100ms ecn memory_limit 32mb');
  assert.equal(f.view.options, { limit: 1024, target: 5000, interval: 100000, memory_limit: 33554432, ecn: true });
  assert.is(f.line, 'qdisc fq_codel 0: dev eth0 root limit 1024p target 5ms interval 100ms memory_limit 32Mb ecn');
});

test('tbf decoded as tc prints it', () => {
  const t = decoded('qdisc add dev eth0 root tbf rate 1mbit burst 32kbit latency 400ms');
  assert.equal(t.view.options, { rate: 125000, burst: 4096, lat: 400000 });
  assert.is(t.line, 'qdisc tbf 0: dev eth0 root rate 1Mbit burst 4Kb lat 400ms');
});

test.run();
