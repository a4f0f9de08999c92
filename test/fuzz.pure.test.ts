// Fuzzing every parser of outside bytes with fast-check: netlink datagrams,
// messages and attributes; the link, address, route and nsid decoders (and
// what is read from a link: the macvlan mode, our mark in its alias); the
// socket's dispatch of replies; ARP and neighbour-advertisement frames; the
// Engine API's JSON; argv. Each is total: it returns, or throws the one typed
// error of its kind (ParseError for bytes, a USAGE/UNSUPPORTED PipeworkError
// for argv, a PipeworkError for the engine), never a RangeError or TypeError.
//
// Inputs are random bytes, structured messages with lying lengths, and real
// replies captured from the kernel (test/fixtures/netlink-replies.json, made
// by test/fixtures/capture-netlink.ts) with bytes changed, cut or appended.
//
// In `npm test`: a fixed seed, FUZZ_CASES (default 100,000) cases per parser,
// in the first backend pass only (a *.pure.test.ts makes no system call
// through src/sys; the engine's is a Unix socket of Node's own). The Engine
// API parser is private to src/netns/docker.ts, so it is fuzzed through
// inspectContainer against a local HTTP server on a Unix socket (a request
// per case). `npm run fuzz` runs millions with a fresh seed it prints;
// FUZZ_SEED=<n> replays one.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCommandLine } from '../src/cli/parse';
import { ParseError, PipeworkError } from '../src/errors';
import { NetlinkError, NetlinkSocket, attrMap, attrs, messages, readAck, readDoneExtAck, readHeader, readS32, readString, readU16, readU32, readU8 } from '../src/netlink';
import { inspectContainer } from '../src/netns/docker';
import { decodeArp, decodeEthernet, decodeNeighborAdvert, gratuitousArp, unsolicitedNeighborAdvert } from '../src/packet';
import { parseMark } from '../src/pipework/mark';
import { decodeAddr, decodeLink, decodeMacvlanMode, decodeNsid, decodeRoute, getLink } from '../src/rtnl';
import { FakeNetlink, ack } from './helpers/fake-netlink';

const RUNS = Number(process.env.FUZZ_CASES ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const params = (numRuns = RUNS): fc.Parameters<unknown> => ({ numRuns, seed: SEED, endOnFailure: true });
if (process.env.FUZZ_CASES || process.env.FUZZ_SEED) console.log(`fuzz: ${RUNS} runs per parser, FUZZ_SEED=${SEED}`);

/** Runs f; a throw other than `allowed` fails the property with what was thrown. */
function total(f: () => unknown, allowed: (e: unknown) => boolean = (e) => e instanceof ParseError): void {
  try {
    f();
  } catch (e) {
    if (!allowed(e)) throw new Error(`threw ${(e as Error)?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`);
  }
}

// ---- inputs -------------------------------------------------------------------

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'netlink-replies.json'), 'utf8')) as { datagrams: Array<{ hex: string }> };
const datagrams = fixture.datagrams.map((d) => Buffer.from(d.hex, 'hex'));
const realMessages = datagrams.flatMap((d) => [...messages(d)].map((m) => Buffer.from(m)));

/** A seed with some bytes set, maybe cut short, maybe with bytes appended. */
function mutated(seeds: Buffer[]): fc.Arbitrary<Buffer> {
  return fc
    .record({
      seed: fc.constantFrom(...seeds),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.option(fc.nat(), { freq: 3 }),
      extra: fc.uint8Array({ maxLength: 6 }),
    })
    .map(({ seed, edits, cut, extra }) => {
      const b = Buffer.from(seed);
      for (const [at, v] of edits) if (b.length) b[at % b.length] = v;
      const cutAt = cut === null ? b.length : cut % (b.length + 1);
      return Buffer.concat([b.subarray(0, cutAt), extra]);
    });
}

const TYPES = [1, 2, 3, 4, 16, 17, 20, 21, 24, 25, 88];

/** A netlink message built field by field: a plausible type, a length that may lie, a struct, attributes whose lengths may lie. */
const structured: fc.Arbitrary<Buffer> = fc
  .record({
    type: fc.oneof(fc.constantFrom(...TYPES), fc.integer({ min: 0, max: 0xffff })),
    flags: fc.oneof(fc.constantFrom(0, 0x2, 0x100, 0x200, 0x300, 0x10), fc.integer({ min: 0, max: 0xffff })),
    seq: fc.nat(),
    struct: fc.uint8Array({ maxLength: 24 }),
    attrs: fc.array(
      fc.record({
        type: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 0xffff })),
        payload: fc.uint8Array({ maxLength: 24 }),
        lie: fc.option(fc.integer({ min: 0, max: 0xffff }), { freq: 4 }),
      }),
      { maxLength: 6 },
    ),
    lie: fc.option(fc.integer({ min: 0, max: 400 }), { freq: 4 }),
  })
  .map((m) => {
    const attrBytes = m.attrs.map((a) => {
      const b = Buffer.alloc(4 + ((a.payload.length + 3) & ~3));
      b.writeUInt16LE(a.lie ?? 4 + a.payload.length, 0);
      b.writeUInt16LE(a.type, 2);
      b.set(a.payload, 4);
      return b;
    });
    const body = Buffer.concat([Buffer.from(m.struct), ...attrBytes]);
    const h = Buffer.alloc(16);
    h.writeUInt32LE(m.lie ?? 16 + body.length, 0);
    h.writeUInt16LE(m.type, 4);
    h.writeUInt16LE(m.flags, 6);
    h.writeUInt32LE(m.seq, 8);
    return Buffer.concat([h, body]);
  });

const randomBytes = fc.uint8Array({ maxLength: 160 }).map((u) => Buffer.from(u));
const netlinkBytes = fc.oneof(randomBytes, structured, mutated(realMessages), mutated(datagrams));

// ---- netlink --------------------------------------------------------------------

test('netlink datagrams and messages: messages(), readHeader, readAck, readDoneExtAck are total', () => {
  fc.assert(
    fc.property(fc.oneof(netlinkBytes, fc.array(structured, { maxLength: 4 }).map((ms) => Buffer.concat(ms))), (dg) => {
      total(() => {
        for (const m of messages(dg)) {
          const h = readHeader(m);
          assert.ok(h.length >= 16 && h.length <= dg.length);
        }
      });
      total(() => readHeader(dg));
      total(() => readAck(dg));
      total(() => readDoneExtAck(dg));
    }),
    params(),
  );
});

test('attributes: attrs() stays inside its bounds, attrMap and every reader are total', () => {
  fc.assert(
    fc.property(netlinkBytes, fc.nat(200), (buf, offset) => {
      total(() => {
        for (const a of attrs(buf, offset % (buf.length + 8))) {
          assert.ok(a.value.byteOffset >= buf.byteOffset && a.value.byteOffset + a.value.length <= buf.byteOffset + buf.length);
          for (const r of [readU8, readU16, readU32, readS32, readString]) total(() => r(a.value));
          total(() => attrMap(a.value));
        }
      });
    }),
    params(),
  );
});

for (const [name, decode] of [
  ['decodeLink (and the macvlan mode and the mark read from it)', (m: Buffer) => {
    const l = decodeLink(m);
    decodeMacvlanMode(l.infoData);
    parseMark(l.alias);
  }],
  ['decodeAddr', decodeAddr],
  ['decodeRoute', decodeRoute],
  ['decodeNsid', decodeNsid],
] as const) {
  test(`${name} is total`, () => {
    fc.assert(fc.property(netlinkBytes, (m) => total(() => decode(m))), params());
  });
}

test('what the decoders return from real replies is what they returned before the bytes were changed, or a ParseError', () => {
  // a sanity check of the seeds: every captured reply decodes as its type says
  for (const m of realMessages) {
    const type = readHeader(m).type;
    if (type === 16) assert.ok(decodeLink(m).name.length > 0);
    if (type === 20) assert.ok([4, 16].includes(decodeAddr(m).address.length));
    if (type === 24) decodeRoute(m);
    if (type === 2) readAck(m);
  }
});

test("the socket's dispatch: any reply settles its request (replies, NetlinkError or ParseError), nothing stays pending, nothing throws", async () => {
  const fake = new FakeNetlink();
  const sock = new NetlinkSocket({ sys: fake.sys });
  const pending = (sock as unknown as { pending: Map<number, unknown> }).pending;
  const sub = new FakeNetlink();
  const subscriber = new NetlinkSocket({ sys: sub.sys });
  const subErrors: unknown[] = [];
  subscriber.subscribe([1], (m) => decodeLink(m), (e) => subErrors.push(e));
  await fc.assert(
    fc.asyncProperty(netlinkBytes, fc.boolean(), async (dg, aimed) => {
      const p = sock.request(getLink({ index: 1 })).then(
        () => 'ok',
        (e: unknown) => e,
      );
      const seq = fake.seq();
      // aimed: the datagram's first message carries the request's sequence number
      if (aimed && dg.length >= 12) dg.writeUInt32LE(seq, 8);
      fake.deliver(Buffer.from(dg));
      sub.deliver(Buffer.from(dg));
      // still waiting (or sent again, as after an NLMSG_DONE flagged NLM_F_DUMP_INTR): the kernel's ACK ends it
      for (let i = 0; pending.size > 0 && i < 10; i++) fake.deliver(ack(fake.seq()));
      const outcome = await p;
      assert.ok(outcome === 'ok' || outcome instanceof NetlinkError || outcome instanceof ParseError, String(outcome));
      assert.is(pending.size, 0);
    }),
    params(),
  );
  for (const e of subErrors) assert.ok(e instanceof ParseError, String(e));
  sock.close();
  subscriber.close();
});

// ---- frames ---------------------------------------------------------------------

const MAC = Buffer.from([0x02, 0x42, 0xc0, 0x00, 0x02, 0x0a]);
const frames = [
  gratuitousArp(MAC, '192.0.2.10'),
  unsolicitedNeighborAdvert(MAC, '2001:db8::10'),
  unsolicitedNeighborAdvert(MAC, 'fe80::42:c0ff:fe00:20a'),
];
const frameBytes = fc.oneof(fc.uint8Array({ maxLength: 120 }).map((u) => Buffer.from(u)), mutated(frames));

for (const [name, decode] of [
  ['decodeEthernet', decodeEthernet],
  ['decodeArp', decodeArp],
  ['decodeNeighborAdvert', decodeNeighborAdvert],
] as const) {
  test(`${name} is total on any frame`, () => {
    assert.ok(frames.some((f) => decode(f) !== undefined), 'the seeds decode');
    fc.assert(fc.property(frameBytes, (f) => total(() => decode(f))), params());
  });
}

// ---- argv -----------------------------------------------------------------------

const WORDS = [
  'br1', 'eth1', 'web1', 'netns:web1', 'docker:web1', 'pid:1', 'detach', 'show', 'gc', 'route', 'rule', 'tc', 'dhcp', 'udhcpc',
  '-i', '-l', '-a', '4', '6', '--force', '--all', '--wait', '--timeout', '5', '--timeout=5', '--json', '--dry-run', '--help', '-h',
  '--host-netns', '--host-netns=x', '--macvlan-mode', 'vepa', '--macvlan-mode=bridge', '--direct-phys', '--', '-',
  '198.51.100.33/24', '198.51.100.33/24@198.51.100.1', '2001:db8::33/64', '02:42:c0:00:02:0a', '@10', '02:42:c0:00:02:0a@10',
  'ovsbr0', 'ib0', 'dummy0', 'mac:02:42:c0:00:02:0a', '',
];
const argvArb: fc.Arbitrary<string[]> = fc.array<string>(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...WORDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) }), { maxLength: 9 });

test('parseCommandLine: a request, help, or a USAGE/UNSUPPORTED error with a one-line message', () => {
  fc.assert(
    fc.property(argvArb, (argv) =>
      total(
        () => parseCommandLine(argv),
        (e) => e instanceof PipeworkError && (e.code === 'USAGE' || e.code === 'UNSUPPORTED') && e.message.length > 0,
      ),
    ),
    params(),
  );
});

test('parseMark: any alias is a mark or undefined', () => {
  const alias = fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('pipework:', 'pipework:2:', 'pipework:2:bridge:', 'pipework:2:bridge=br0:netns:x:eth1').chain((p) => fc.string({ maxLength: 30 }).map((s) => p + s)));
  fc.assert(fc.property(alias, (a) => total(() => parseMark(a), () => false)), params());
});

// ---- the Engine API -------------------------------------------------------------

let tmp = '';
let server: http.Server | undefined;
test.after(() => {
  server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the Engine API answer: any body and status gives a ContainerInfo, null, or a PipeworkError', async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pwhard-fuzz-'));
  const socketPath = path.join(tmp, 'docker.sock');
  let next = { status: 200, body: '' };
  server = http.createServer((_req, res) => {
    res.writeHead(next.status, { 'Content-Type': 'application/json' });
    res.end(next.body);
  });
  await new Promise<void>((r) => server!.listen(socketPath, r));
  const anyJson = fc.jsonValue({ maxDepth: 3 });
  const inspectLike = fc.record(
    {
      Id: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }), anyJson),
      Name: fc.oneof(fc.string().map((s) => `/${s}`), anyJson),
      State: fc.oneof(
        fc.record({ Pid: fc.oneof(fc.integer(), fc.double(), anyJson), Status: fc.oneof(fc.constantFrom('running', 'exited'), anyJson), Running: fc.oneof(fc.boolean(), anyJson), Paused: anyJson, Restarting: anyJson }, { requiredKeys: [] }),
        anyJson,
      ),
      message: fc.oneof(fc.string(), anyJson),
    },
    { requiredKeys: [] },
  );
  const body = fc.oneof(inspectLike.map((o) => JSON.stringify(o)), anyJson.map((j) => JSON.stringify(j)), fc.string({ maxLength: 80 }), mutated([Buffer.from(JSON.stringify({ Id: 'a'.repeat(64), Name: '/web1', State: { Pid: 42, Running: true, Status: 'running' } }))]).map((b) => b.toString('latin1')));
  await fc.assert(
    fc.asyncProperty(body, fc.constantFrom(200, 200, 200, 404, 409, 500), async (b, status) => {
      next = { status, body: b };
      try {
        const info = await inspectContainer('web1', socketPath, { timeoutMs: 5000 });
        if (info === null) return;
        assert.type(info.id, 'string');
        assert.type(info.name, 'string');
        assert.type(info.status, 'string');
        assert.ok(Number.isInteger(info.pid) && info.pid >= 0, String(info.pid));
        for (const k of ['running', 'paused', 'restarting'] as const) assert.type(info[k], 'boolean');
      } catch (e) {
        if (!(e instanceof PipeworkError)) throw new Error(`threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
      }
    }),
    params(),
  );
});

test.run();
