// NetlinkSocket against replies that are wrong: shorter than their header
// says, an NLMSG_ERROR too short to hold its errno, a datagram cut inside a
// message, a subscriber that throws, and ENOBUFS (the kernel dropped replies
// because the receive queue was full). Each must fail the request it belongs
// to with a typed error (ParseError, or code ENOBUFS), never throw out of the
// poll callback, never leave a request hanging, and leave the socket working.
//
// The kernel never sends malformed replies, so those are fed through a fake
// Sys (helpers/fake-netlink.ts). ENOBUFS is also made for real: a socket
// whose receive buffer is shrunk to the minimum, replies held back until
// they overflow it.
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ParseError } from '../src/errors';
import { NetlinkError, NetlinkSocket, SO_RCVBUF, SO_RCVBUFFORCE, SOL_SOCKET, attrMap, readAck, readHeader, readS32, readU16, readU32, readU8 } from '../src/netlink';
import { decodeAddr, decodeLink, decodeNsid, decodeRoute, dumpLinks, getLink } from '../src/rtnl';
import { sys, type Sys } from '../src/sys';
import { FakeNetlink, ack, done, enobufs, nlmsg } from './helpers/fake-netlink';
import { NetnsScope, ipJson } from './helpers/netns';
import { wrapSocket } from './helpers/sys-wrap';

type Outcome = { ok: Buffer[] } | { err: unknown };
const settle = (p: Promise<Buffer[]>): Promise<Outcome> => p.then((ok) => ({ ok }), (err: unknown) => ({ err }));

/** The outcome, or 'hanging' when the promise has not settled after the event loop turned a few times. */
async function soon(p: Promise<Outcome>): Promise<Outcome | 'hanging'> {
  return Promise.race([p, new Promise<'hanging'>((r) => setTimeout(() => r('hanging'), 50))]);
}

function errOf(o: Outcome | 'hanging'): unknown {
  assert.ok(o !== 'hanging', 'the request was left hanging');
  assert.ok('err' in o, 'the request should have failed');
  return o.err;
}

const sockets: NetlinkSocket[] = [];
function fakeSocket(fake: FakeNetlink, maxInFlight?: number): NetlinkSocket {
  const s = new NetlinkSocket({ sys: fake.sys, maxInFlight });
  sockets.push(s);
  return s;
}

// ---- malformed replies ----------------------------------------------------

test('an NLMSG_ERROR of 16 bytes (no room for its errno) rejects its request with ParseError; the poll callback does not throw', async () => {
  const fake = new FakeNetlink();
  const sock = fakeSocket(fake);
  const p = settle(sock.request(getLink({ index: 1 })));
  // the reply comes later, through the poll watcher
  assert.not.throws(() => fake.deliver(nlmsg(2, 0, fake.seq())));
  const e = errOf(await soon(p));
  assert.instance(e, ParseError);
  assert.is((e as ParseError).code, 'MALFORMED');
});

test('the same within send (the kernel answers inside sendmsg): ParseError, and the request does not stay in flight', async () => {
  const fake = new FakeNetlink();
  fake.answer = (m) => fake.queue.push(nlmsg(2, 0, readHeader(m).seq));
  const sock = fakeSocket(fake, 4);
  // more than the in-flight window: a request that stays counted would block the fifth for good
  for (let i = 0; i < 6; i++) assert.instance(errOf(await soon(settle(sock.request(getLink({ index: 1 }))))), ParseError);
  fake.answer = (m) => fake.queue.push(ack(readHeader(m).seq));
  const ok = await soon(settle(sock.request(getLink({ index: 1 }))));
  assert.ok(ok !== 'hanging' && 'ok' in ok, 'the socket still works');
});

test('200 short NLMSG_ERRORs through the poll callback: each request fails, none stays, the socket still answers', async () => {
  const fake = new FakeNetlink();
  const sock = fakeSocket(fake); // default window of 128
  const ps = Array.from({ length: 200 }, () => settle(sock.request(getLink({ index: 1 }))));
  // the first 128 went out; each short error lets one waiting request go
  for (let i = 0; i < 200; i++) fake.deliver(nlmsg(2, 0, fake.seq(i)));
  assert.is(fake.sent.length, 200);
  for (const p of ps) assert.instance(errOf(await soon(p)), ParseError);
  const next = settle(sock.request(getLink({ index: 1 })));
  fake.deliver(ack(fake.seq()));
  const o = await soon(next);
  assert.ok(o !== 'hanging' && 'ok' in o);
});

test('a message whose header claims more bytes than the datagram holds rejects the request of its sequence number', async () => {
  const fake = new FakeNetlink();
  const sock = fakeSocket(fake);
  const a = settle(sock.request(getLink({ index: 1 })));
  const b = settle(sock.request(getLink({ index: 2 })));
  const cut = ack(fake.seq(0), 0);
  cut.writeUInt32LE(200, 0); // 36 bytes sent, 200 claimed
  fake.deliver(cut);
  const e = errOf(await soon(a));
  assert.instance(e, ParseError);
  assert.match((e as Error).message, /200/);
  // the other request is untouched and completes when its answer comes
  fake.deliver(ack(fake.seq(1)));
  const ob = await soon(b);
  assert.ok(ob !== 'hanging' && 'ok' in ob);
});

test('a header claiming fewer than 16 bytes rejects its request; a datagram with a stray tail fails what was in flight', async () => {
  const fake = new FakeNetlink();
  const sock = fakeSocket(fake);
  const a = settle(sock.request(getLink({ index: 1 })));
  fake.deliver(nlmsg(2, 0, fake.seq(), Buffer.alloc(4), 8));
  assert.instance(errOf(await soon(a)), ParseError);
  const b = settle(sock.request(getLink({ index: 1 })));
  fake.deliver(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])); // ten bytes: no header to read a seq from
  assert.instance(errOf(await soon(b)), ParseError);
});

test('a malformed reply inside a dump fails the dump', async () => {
  const fake = new FakeNetlink();
  const sock = fakeSocket(fake);
  const d = settle(sock.dump(dumpLinks()));
  fake.deliver(Buffer.concat([nlmsg(16, 2, fake.seq(), Buffer.alloc(16)), nlmsg(3, 2, fake.seq(), Buffer.alloc(0), 16)]));
  // NLMSG_DONE without its 4-byte error is still a DONE (the kernel's is 20 bytes; older ones 16): the dump ends
  const o = await soon(d);
  assert.ok(o !== 'hanging' && 'ok' in o && o.ok.length === 1);
});

test('a subscriber that throws: the error goes to its onError, not out of the poll callback', async () => {
  const fake = new FakeNetlink();
  const sock = fakeSocket(fake);
  const errors: Error[] = [];
  sock.subscribe([1], () => {
    throw new Error('subscriber bug');
  }, (e) => errors.push(e));
  assert.not.throws(() => fake.deliver(nlmsg(16, 0, 0, Buffer.alloc(16))));
  assert.is(errors.length, 1);
  assert.match(errors[0]!.message, /subscriber bug/);
});

// ---- ENOBUFS ----------------------------------------------------------------

test('ENOBUFS: requests in flight whose replies were lost fail with code ENOBUFS; a dump is sent again and completes; waiting ones go on', async () => {
  const fake = new FakeNetlink();
  const sock = fakeSocket(fake, 2);
  const r = settle(sock.request(getLink({ index: 1 })));
  const d = settle(sock.dump(dumpLinks()));
  const w = settle(sock.request(getLink({ index: 3 }))); // waits for the window
  assert.is(fake.sent.length, 2);
  const dumpSeq = fake.seq(1);
  fake.deliver(enobufs());
  const e = errOf(await soon(r));
  assert.instance(e, NetlinkError);
  assert.is((e as NetlinkError).code, 'ENOBUFS');
  assert.match((e as Error).message, /lost/);
  // the dump went out again with a new sequence number, and the waiting request after it
  assert.is(fake.sent.length, 4);
  const isDump = (m: Buffer): boolean => (readHeader(m).flags & 0x300) === 0x300; // NLM_F_DUMP
  const resent = fake.sent.find((m, i) => i >= 2 && isDump(m))!;
  assert.ok(readHeader(resent).seq !== dumpSeq);
  fake.deliver(Buffer.concat([nlmsg(16, 2, readHeader(resent).seq, Buffer.alloc(16)), done(readHeader(resent).seq)]));
  const od = await soon(d);
  assert.ok(od !== 'hanging' && 'ok' in od && od.ok.length === 1, 'the dump completed after its retry');
  const waitSeq = readHeader(fake.sent.find((m, i) => i >= 2 && !isDump(m))!).seq;
  fake.deliver(ack(waitSeq));
  const ow = await soon(w);
  assert.ok(ow !== 'hanging' && 'ok' in ow, 'the waiting request was not failed');
});

test('ENOBUFS, replies still queued after the error: those requests get their replies; only the lost ones fail', async () => {
  const fake = new FakeNetlink();
  const sock = fakeSocket(fake);
  const a = settle(sock.request(getLink({ index: 1 })));
  const b = settle(sock.request(getLink({ index: 2 })));
  // the kernel reports the overrun first, then the queue still holds a's ACK; b's was dropped
  fake.queue.push(enobufs(), ack(fake.seq(0)));
  fake.onReadable!(0);
  const oa = await soon(a);
  assert.ok(oa !== 'hanging' && 'ok' in oa, 'a had its reply');
  assert.is((errOf(await soon(b)) as NetlinkError).code, 'ENOBUFS');
});

// ---- the decoders and readers: ParseError, not RangeError ------------------

test('every decoder and attribute reader throws ParseError on bytes too short for it', () => {
  const short = Buffer.alloc(3);
  for (const [name, f] of [
    ['readU8', () => readU8(Buffer.alloc(0))],
    ['readU16', () => readU16(Buffer.alloc(1))],
    ['readU32', () => readU32(short)],
    ['readS32', () => readS32(short)],
    ['readHeader', () => readHeader(Buffer.alloc(15))],
    ['readAck', () => readAck(nlmsg(2, 0, 1))],
    ['readAck (echoed length past the end)', () => readAck(nlmsg(2, 0x200, 1, Buffer.from([0, 0, 0, 0, 200, 0, 0, 0])))],
    ['decodeLink', () => decodeLink(nlmsg(16, 0, 1, Buffer.alloc(8)))],
    ['decodeAddr', () => decodeAddr(nlmsg(20, 0, 1, Buffer.alloc(4)))],
    ['decodeRoute', () => decodeRoute(nlmsg(24, 0, 1, Buffer.alloc(6)))],
    ['decodeLink (a 2-byte IFLA_MTU)', () => decodeLink(nlmsg(16, 0, 1, Buffer.concat([Buffer.alloc(16), Buffer.from([6, 0, 4, 0, 1, 2, 0, 0])])))],
    ['decodeNsid (a 1-byte NETNSA_NSID)', () => decodeNsid(nlmsg(88, 0, 1, Buffer.concat([Buffer.alloc(4), Buffer.from([5, 0, 1, 0, 7, 0, 0, 0])])))],
  ] as const) {
    try {
      f();
      assert.unreachable(`${name} accepted it`);
    } catch (e) {
      if ((e as Error).name === 'Assertion') throw e;
      assert.instance(e, ParseError, `${name}: ${(e as Error).name}: ${(e as Error).message}`);
    }
  }
  // attribute walks tolerate a malformed tail (the kernel's nla_for_each_attr does too)
  assert.is(attrMap(Buffer.from([8, 0, 1, 0, 1, 2])).size, 0);
});

// ---- ENOBUFS for real -----------------------------------------------------------

const root = process.getuid?.() === 0;
let scope: NetnsScope | undefined;
let nsFd = -1;
test.after(() => {
  for (const s of sockets.splice(0)) s.close();
  if (nsFd >= 0) fs.closeSync(nsFd);
  scope?.cleanup();
});

(root ? test : test.skip)('ENOBUFS on a real socket (a 32 KiB receive buffer, replies held back): nothing hangs, lost replies say ENOBUFS, the socket goes on', async () => {
  scope = new NetnsScope('pwhard');
  const ns = scope.create('nobufs');
  nsFd = fs.openSync(`/var/run/netns/${ns}`, 'r');
  let held = true;
  const tiny: Sys = {
    ...sys(),
    name: 'tiny',
    openNetlink: (protocol, fd) => {
      const real = sys().openNetlink(protocol, fd);
      const w = wrapSocket(real, { recv: (buf) => (held ? -1 : real.recv(buf)) });
      // the socket asks for 4 MiB; it gets 32 KiB (the kernel doubles the 16 KiB asked): room for a few replies
      w.setsockopt = (level, name, value) => real.setsockopt(level, name, level === SOL_SOCKET && (name === SO_RCVBUF || name === SO_RCVBUFFORCE) ? 16384 : value);
      return w;
    },
  };
  const sock = new NetlinkSocket({ sys: tiny, nsFd, maxInFlight: 1000 });
  sockets.push(sock);
  const ps = Array.from({ length: 100 }, () => settle(sock.request(getLink({ name: 'lo' }))));
  held = false;
  const outcomes = await Promise.race([
    Promise.all(ps),
    new Promise<'hanging'>((r) => setTimeout(() => r('hanging'), 10_000)),
  ]);
  assert.ok(outcomes !== 'hanging', 'requests were left hanging');
  const ok = outcomes.filter((o) => 'ok' in o).length;
  const lost = outcomes.filter((o) => 'err' in o);
  console.log(`  real ENOBUFS: ${ok} answered, ${lost.length} lost of 100`);
  assert.ok(lost.length > 0, 'the receive buffer should have overflowed');
  for (const o of lost) assert.is(((o as { err: NetlinkError }).err).code, "ENOBUFS", String((o as { err: Error }).err));
  for (const o of outcomes) if ('ok' in o) assert.is(decodeLink(o.ok[0]!).name, 'lo');
  // the socket still works: a dump lists what ip lists
  const links = (await sock.dump(dumpLinks())).map(decodeLink).map((l) => l.name).sort();
  const theirs = (ipJson(ns, 'link', 'show') as Array<{ ifname: string }>).map((l) => l.ifname).sort();
  assert.equal(links, theirs);
});

test.run();
