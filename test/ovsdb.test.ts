// The OVSDB JSON-RPC layer without Open vSwitch: the framing splitter and
// message checks (pure), a fuzz run over them with a fixed seed (only
// OvsdbParseError may escape), and the client against a scripted server on a
// unix socket of the test's own. That server is a stand-in on purpose: a real
// ovsdb-server cannot be made to go silent, answer out of order, send a
// keepalive on demand or send garbage; test/ovs.test.ts runs the real one.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PipeworkError } from '../src/errors';
import { JsonStream, MAX_DEPTH, OvsdbClient, OvsdbParseError, classify, ovsdbEndpoint, parseOvsdbEndpoint, transact } from '../src/ovsdb';

const test = suite('ovsdb');
const enc = (s: string) => Buffer.from(s, 'utf8');

// ---- framing --------------------------------------------------------------

test('framing: back-to-back messages in one chunk, one message over many chunks, whitespace between', () => {
  const s = new JsonStream();
  assert.equal(s.push(enc('{"id":1,"result":[],"error":null}{"id":2,"result":{"a":"}"},"error":null}\n ')), [
    { id: 1, result: [], error: null },
    { id: 2, result: { a: '}' }, error: null },
  ]);
  const text = '{"method":"echo","params":["x\\"{[",{"k":[1,2,{"z":"é€😀"}]}],"id":"echo"}';
  const bytes = enc(text);
  const out: unknown[] = [];
  // One byte at a time: braces inside strings, escaped quotes, and UTF-8 sequences cut in the middle.
  for (const b of bytes) out.push(...s.push(Buffer.from([b])));
  assert.equal(out, [JSON.parse(text)]);
});

test('framing: malformed input is an OvsdbParseError naming the problem', () => {
  const cases: [string | Buffer, RegExp][] = [
    ['[1,2]', /expected a JSON object/],
    ['"x"', /expected a JSON object/],
    ['{"a":1]', /not valid JSON/],
    ['{"a":01}', /not valid JSON/],
    [Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), /not valid UTF-8/],
    ['{"a":' + '['.repeat(MAX_DEPTH + 1), /deeper than/],
    ['{"a":1}}', /expected a JSON object/],
  ];
  for (const [input, why] of cases) {
    const s = new JsonStream();
    try {
      s.push(typeof input === 'string' ? enc(input) : input);
      assert.unreachable(`accepted ${String(input)}`);
    } catch (e) {
      assert.instance(e, OvsdbParseError, String(e));
      assert.match((e as Error).message, why);
    }
  }
});

test('messages: request, notification and response told apart; anything else refused', () => {
  assert.equal(classify({ method: 'echo', params: [], id: 'echo' }), { type: 'request', method: 'echo', params: [], id: 'echo' });
  assert.equal(classify({ method: 'update', params: [null, {}], id: null }).type, 'request');
  assert.equal(classify({ result: [{}], error: null, id: 3 }), { type: 'response', id: 3, result: [{}], error: null });
  for (const bad of [null, 3, [], {}, { method: 1, params: [], id: 1 }, { method: 'x', params: {}, id: 1 }, { method: 'x', params: [] }, { result: 1 }]) {
    assert.throws(() => classify(bad), (e: unknown) => e instanceof OvsdbParseError, JSON.stringify(bad));
  }
});

/** A small fixed-seed generator (mulberry32), so that a failing case is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SAMPLES = [
  '{"id":1,"result":[{"rows":[{"_uuid":["uuid","0d7a5b8e-1f3c-4b5e-9d8a-2c6f7e8d9a0b"],"name":"ovsbr0","ports":["set",[["uuid","a"],["uuid","b"]]]}]}],"error":null}',
  '{"method":"echo","params":[],"id":"echo"}',
  '{"id":2,"result":[{"error":"constraint violation","details":"Transaction causes multiple rows in \\"Bridge\\" table to have identical values (\\"ovs0\\")"}],"error":null}',
  '{"id":3,"result":null,"error":"unknown database"}',
  '{"method":"update","params":[null,{"Interface":{"x":{"new":{"external_ids":["map",[["pipework.interface","veth1"]]]}}}}],"id":null}',
];

test('fuzz (fixed seed): mutated, spliced and random bytes, cut anywhere: only OvsdbParseError escapes', () => {
  const iterations = Number(process.env.PIPEWORK_FUZZ_ITERATIONS ?? 3000);
  const r = rng(0x0f5db);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const special = enc('{}[]"\\:, \n\xff\u00e9');
  let parsed = 0;
  let refused = 0;
  for (let i = 0; i < iterations; i++) {
    let bytes: Buffer;
    const how = r();
    if (how < 0.15) bytes = Buffer.from(Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256)));
    else {
      bytes = Buffer.from(enc(Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(SAMPLES)).join(r() < 0.5 ? '' : '\n')));
      for (let m = Math.floor(r() * 4); m > 0; m--) {
        const at = Math.floor(r() * bytes.length);
        const op = r();
        if (op < 0.4) bytes[at] = r() < 0.5 ? pick([...special]) : Math.floor(r() * 256);
        else if (op < 0.7) bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + Math.floor(r() * 8))]);
        else bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([pick([...special])]), bytes.subarray(at)]);
      }
    }
    const s = new JsonStream();
    try {
      let at = 0;
      while (at < bytes.length) {
        const n = 1 + Math.floor(r() * 40);
        for (const m of s.push(bytes.subarray(at, at + n))) {
          try {
            classify(m);
            parsed++;
          } catch (e) {
            if (!(e instanceof OvsdbParseError)) throw e;
            refused++;
          }
        }
        at += n;
      }
    } catch (e) {
      if (!(e instanceof OvsdbParseError)) {
        assert.unreachable(`case ${i} (${bytes.toString('hex')}) threw ${(e as Error)?.constructor?.name}: ${String(e)}`);
      }
      refused++;
    }
  }
  // The run exercises both sides: plenty of messages still parse, plenty are refused.
  assert.ok(parsed > iterations / 10 && refused > iterations / 10, `parsed ${parsed}, refused ${refused}`);
});

test('endpoint: unix:/path only; --ovsdb, then PIPEWORK_OVSDB, then the default socket', () => {
  assert.is(parseOvsdbEndpoint('unix:/run/ovs/db.sock'), '/run/ovs/db.sock');
  for (const bad of ['tcp:127.0.0.1:6640', 'unix:relative', '/run/db.sock', '', 'unix:']) {
    assert.throws(() => parseOvsdbEndpoint(bad), (e: unknown) => e instanceof PipeworkError && e.code === 'USAGE', bad);
  }
  assert.equal(ovsdbEndpoint('unix:/a', 'unix:/b'), { path: '/a', explicit: true });
  assert.equal(ovsdbEndpoint(undefined, 'unix:/b'), { path: '/b', explicit: true });
  assert.equal(ovsdbEndpoint(undefined, ''), { path: '/var/run/openvswitch/db.sock', explicit: false });
  assert.throws(() => ovsdbEndpoint(undefined, 'tcp:x'), /PIPEWORK_OVSDB/);
});

// ---- the client against a scripted server ----------------------------------

let dir: string;
test.before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pwovs-rpc-'));
});
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A unix-socket server that hands each parsed request to `on`, which writes what it likes. */
async function scripted(name: string, on: (msg: any, sock: net.Socket) => void): Promise<{ path: string; server: net.Server; got: any[] }> {
  const p = path.join(dir, name);
  const got: any[] = [];
  const server = net.createServer((sock) => {
    const s = new JsonStream();
    sock.on('data', (d) => {
      for (const m of s.push(d)) {
        got.push(m);
        on(m, sock);
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(p, r));
  return { path: p, server, got };
}

async function rejects(p: Promise<unknown>): Promise<PipeworkError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, PipeworkError, String(e));
    return e as PipeworkError;
  }
  throw new assert.Assertion({ message: 'resolved, expected a rejection' } as never);
}

test('client: pipelined requests answered out of order, each matched by id; echo answered with its params', async () => {
  const held: any[] = [];
  const srv = await scripted('order.sock', (m, sock) => {
    if (m.method === 'list_dbs') {
      held.push(m);
      if (held.length === 3) {
        sock.write(JSON.stringify({ method: 'echo', params: ['ka', 1], id: 'echo-7' }));
        for (const h of held.reverse()) sock.write(JSON.stringify({ id: h.id, result: [`db${h.id}`], error: null }));
      }
    }
  });
  const db = await OvsdbClient.connect(srv.path);
  try {
    const answers = await Promise.all([db.request('list_dbs', []), db.request('list_dbs', []), db.request('list_dbs', [])]);
    assert.equal(answers, [['db1'], ['db2'], ['db3']]);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(srv.got.find((m) => m.id === 'echo-7'), { result: ['ka', 1], error: null, id: 'echo-7' });
  } finally {
    db.close();
    srv.server.close();
  }
});

test("client: the server's error text, one line; a failing operation's error and details; the server closing fails what is pending", async () => {
  const srv = await scripted('err.sock', (m, sock) => {
    if (m.params[0] === 'nope') sock.write(JSON.stringify({ id: m.id, result: null, error: 'unknown database' }));
    else if (m.method === 'transact') {
      sock.write(JSON.stringify({ id: m.id, error: null, result: [{}, { error: 'constraint violation', details: 'Transaction causes multiple rows in "Bridge" table to have identical values' }, null] }));
    } else sock.end();
  });
  const db = await OvsdbClient.connect(srv.path);
  try {
    let e = await rejects(db.request('get_schema', ['nope']));
    assert.is(e.code, 'OVSDB');
    assert.is(e.message, 'Open vSwitch database refused get_schema: unknown database');
    e = await rejects(transact(db, 'add port p1 to bridge ovs0', [{ op: 'comment' }, { op: 'insert' }, { op: 'mutate' }]));
    assert.is(e.code, 'OVSDB');
    assert.is(e.message, 'Open vSwitch database refused to add port p1 to bridge ovs0: constraint violation: Transaction causes multiple rows in "Bridge" table to have identical values');
    e = await rejects(db.request('hang_up', []));
    assert.is(e.code, 'OVSDB_UNREACHABLE');
    assert.match(e.message, /closed the connection/);
    // And the connection stays failed: a later request fails at once, the same way.
    assert.is((await rejects(db.request('list_dbs', []))).message, e.message);
  } finally {
    db.close();
    srv.server.close();
  }
});

test('client: a silent server is bounded; garbage is a protocol error; a missing socket says so', async () => {
  const srv = await scripted('silent.sock', (m, sock) => {
    if (m.method === 'garbage') sock.write('{"id": 1, "result": [1,]}');
  });
  let db = await OvsdbClient.connect(srv.path, { timeoutMs: 200 });
  const t0 = Date.now();
  let e = await rejects(db.request('list_dbs', []));
  assert.is(e.code, 'OVSDB_UNREACHABLE');
  assert.match(e.message, /no answer to list_dbs within 200 ms/);
  assert.ok(Date.now() - t0 < 5000);
  db.close();
  db = await OvsdbClient.connect(srv.path);
  e = await rejects(db.request('garbage', []));
  assert.is(e.code, 'OVSDB');
  assert.match(e.message, /sent something that is not OVSDB JSON-RPC: message is not valid JSON/);
  db.close();
  srv.server.close();
  e = await rejects(OvsdbClient.connect(path.join(dir, 'none.sock')));
  assert.is(e.code, 'OVSDB_UNREACHABLE');
  assert.is(e.errno, 'ENOENT');
  assert.match(e.message, /^Open vSwitch database at unix:\S+none\.sock is not reachable: no such socket \(is ovsdb-server running\?\)$/);
});

test.run();
