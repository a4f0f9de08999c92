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
import { fuzz } from './ovsdb-fuzz';

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

test('fuzz (fixed seed, 20,000 cases): mutated, spliced and random bytes, cut anywhere: only OvsdbParseError escapes, the cut does not matter', () => {
  const s = fuzz(20_000, 0x0f5db);
  const refused = Object.values(s.refused).reduce((a, b) => a + b, 0);
  // The run exercises both sides: plenty of messages still parse, plenty are refused, for many reasons.
  assert.ok(s.parsed > s.cases / 10 && refused > s.cases / 10, JSON.stringify(s));
  for (const why of ['expected a JSON object', 'not valid JSON', 'not valid UTF-8', 'neither method nor result']) {
    assert.ok(Object.keys(s.refused).some((k) => k.includes(why)), `no case refused for "${why}": ${JSON.stringify(s.refused)}`);
  }
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

test("client: what the peer wrote reaches the user as one line: garbage spanning lines, an error's details with newlines", async () => {
  const srv = await scripted('lines.sock', (m, sock) => {
    if (m.method === 'details') sock.write(JSON.stringify({ id: m.id, result: null, error: { error: 'syntax error', details: 'line one\nline two\u2028three' } }));
    else sock.write('{"id": 1,\n"result": [1,\n]}');
  });
  const db = await OvsdbClient.connect(srv.path);
  try {
    let e = await rejects(db.request('details', []));
    assert.is(e.message, 'Open vSwitch database refused details: syntax error: line one\\u000aline two\\u2028three');
    e = await rejects(db.request('garbage', []));
    db.close();
    assert.is(e.code, 'OVSDB');
    assert.match(e.message, /sent something that is not OVSDB JSON-RPC: message is not valid JSON: .*\\u000a/);
    assert.not.match(e.message, /[\n\r\u2028]/);
    // The CLI's one-line rule, through the same path: classify's refusals name a peer's method escaped.
    assert.throws(() => classify({ method: 'a\nb', params: {}, id: 1 }), (x: unknown) => x instanceof OvsdbParseError && x.message === 'JSON-RPC request a\\u000ab has no params array');
  } finally {
    db.close();
    srv.server.close();
  }
});

test.run();
