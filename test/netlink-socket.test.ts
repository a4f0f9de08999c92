// NetlinkSocket against the real kernel, in a throwaway namespace
// (pwgold-<pid>-sock): many requests in flight matched by sequence number,
// extended-ACK errors, dumps over several datagrams, interrupted dumps,
// multicast notifications, and a socket that lives in the namespace it was
// opened in. `ip` is the independent view.
//
// rtnetlink answers a request inside sendmsg(), and the socket reads what
// waits right after each send, so left alone it never has more than one
// request outstanding. To put 200 in flight for real, the tests open the
// socket through a Sys of their own (the `sys` option of NetlinkSocket) that
// wraps the real addon socket: recv() reports "nothing yet" while held, so the
// kernel's answers pile up in the socket's receive queue until released. The
// same wrapper counts sends and datagrams, and can set NLM_F_DUMP_INTR on
// what the kernel sent.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Address4, Address6 } from 'ip-address';
import { NLM_F_DUMP_INTR, NLMSG_DONE, NetlinkError, NetlinkSocket, messages, readHeader } from '../src/netlink';
import {
  AF_INET,
  IFLA_IFNAME,
  RTM_GETADDR,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTNLGRP_LINK,
  decodeAddr,
  decodeLink,
  dumpAddrs,
  dumpLinks,
  getLink,
  newLink,
  setLink,
  type Addr,
} from '../src/rtnl';
import { sys, type Sys, type SysSocket } from '../src/sys';
import { NetnsScope, ip, ipJson, runOk } from './helpers/netns';
import { wrapSocket } from './helpers/sys-wrap';

// ---- a Sys that wraps the real one --------------------------------------

interface Datagram {
  length: number;
  /** type, flags, seq of each message */
  messages: Array<{ type: number; flags: number; seq: number }>;
}

class Tap {
  /** While true, recv() says nothing waits (the kernel's answers queue up). */
  held = false;
  /** Every message sent, copied. */
  readonly sent: Buffer[] = [];
  readonly datagrams: Datagram[] = [];
  /** May change a datagram in place before the socket sees it. */
  alter: ((datagram: Buffer) => void) | undefined;

  readonly sys: Sys = {
    name: 'tap',
    openPacket: (ifindex, ethertype, nsFd) => sys().openPacket(ifindex, ethertype, nsFd),
    openFile: (path, flags, nsFd) => sys().openFile(path, flags, nsFd),
    openNetlink: (protocol, nsFd) => this.wrap(sys().openNetlink(protocol, nsFd)),
  };

  sentOfType(type: number): Buffer[] {
    return this.sent.filter((m) => m.readUInt16LE(4) === type);
  }

  private wrap(real: SysSocket): SysSocket {
    return wrapSocket(real, {
      send: (buf) => {
        this.sent.push(Buffer.from(buf));
        return real.send(buf);
      },
      recv: (buf) => {
        if (this.held) return -1;
        const n = real.recv(buf);
        if (n >= 0 && n <= buf.length) {
          const dg = Buffer.from(buf.buffer, buf.byteOffset, n);
          this.alter?.(dg);
          this.datagrams.push({ length: n, messages: [...messages(dg)].map((m) => ({ type: m.readUInt16LE(4), flags: m.readUInt16LE(6), seq: m.readUInt32LE(8) })) });
        }
        return n;
      },
    });
  }
}

// ---- environment ---------------------------------------------------------

const root = process.getuid?.() === 0;
const haveIp = (() => {
  try {
    runOk('ip', ['-V']);
    return true;
  } catch {
    return false;
  }
})();
const whyNot = !root ? 'not root' : !haveIp ? 'ip (iproute2) not installed' : undefined;
const live: (name: string, fn: () => void | Promise<void>) => void =
  whyNot === undefined
    ? (name, fn) => test(name, fn)
    : (name) => {
        console.log(`skipped: ${name}: ${whyNot}`);
        test.skip(name, () => undefined);
      };

let scope: NetnsScope | undefined;
let ns = '';
let nsFd = -1;
const sockets: NetlinkSocket[] = [];
const children: ChildProcess[] = [];
let tmp = '';

function open(options: { tap?: Tap; maxInFlight?: number } = {}): NetlinkSocket {
  const s = new NetlinkSocket({ nsFd, sys: options.tap?.sys, maxInFlight: options.maxInFlight });
  sockets.push(s);
  return s;
}

function cleanup(): void {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of sockets.splice(0)) s.close();
  if (nsFd >= 0) {
    try {
      fs.closeSync(nsFd);
    } catch {
      // closed already
    }
    nsFd = -1;
  }
  scope?.cleanup();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  tmp = '';
}

/** `ip -n ns -batch -` with these lines. */
function batch(lines: string[], force = false): void {
  runOk('ip', ['-n', ns, ...(force ? ['-force'] : []), '-batch', '-'], { input: lines.join('\n') + '\n', timeoutMs: 120_000 });
}

test.before(() => {
  process.once('exit', cleanup);
  if (whyNot !== undefined) return;
  scope = new NetnsScope('pwgold');
  ns = scope.create('sock');
  nsFd = fs.openSync(`/var/run/netns/${ns}`, 'r');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), scope.prefix));
  // 100 bridges that exist before the tests, made by ip
  batch(Array.from({ length: 100 }, (_, i) => `link add e${i} type bridge`));
});
test.after(cleanup);

/** A fixed shuffle, so a failure is repeatable. */
function shuffle<T>(xs: T[], seed = 12345): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

type Outcome = { ok: Buffer[] } | { err: unknown };
const settle = (p: Promise<Buffer[]>): Promise<Outcome> => p.then((ok) => ({ ok }), (err: unknown) => ({ err }));

// ---- many in flight ------------------------------------------------------

live('200 GETLINKs in flight at once: each reply reaches the promise of its sequence number', async () => {
  const tap = new Tap();
  const sock = open({ tap, maxInFlight: 256 });
  const names = shuffle([...Array.from({ length: 100 }, (_, i) => `e${i}`), ...Array.from({ length: 100 }, (_, i) => `n${i}`)]);
  tap.held = true;
  const pending = names.map((name) => settle(sock.request(getLink({ name }))));
  // all 200 written before a single answer was read: they are queued in the kernel
  assert.is(tap.sent.length, 200);
  assert.is(tap.datagrams.length, 0);
  const seqs = tap.sent.map((m) => readHeader(m).seq);
  assert.is(new Set(seqs).size, 200);
  tap.held = false;
  const outcomes = await Promise.all(pending);
  for (const [i, name] of names.entries()) {
    const o = outcomes[i]!;
    if (name.startsWith('e')) {
      assert.ok('ok' in o, `${name}: ${'err' in o ? String(o.err) : ''}`);
      const replies = (o as { ok: Buffer[] }).ok;
      assert.is(replies.length, 1, name);
      assert.is(decodeLink(replies[0]!).name, name);
      assert.is(readHeader(replies[0]!).seq, seqs[i], `${name}: reply carries the request's sequence number`);
    } else {
      assert.ok('err' in o, `${name} should not exist`);
      const e = (o as { err: NetlinkError }).err;
      assert.instance(e, NetlinkError);
      assert.is(e.code, 'ENODEV', name);
    }
  }
  // the answers were really read after the fact, in one go: 100 replies and 200 ACKs/errors
  const read = tap.datagrams.flatMap((d) => d.messages);
  assert.is(read.length, 300);
});

live('200 bridges created in flight through the 128-request window: EEXIST lands on exactly the names that existed', async () => {
  const tap = new Tap();
  const sock = open({ tap }); // default maxInFlight 128
  const names = shuffle([...Array.from({ length: 100 }, (_, i) => `e${i}`), ...Array.from({ length: 100 }, (_, i) => `c${i}`)], 777);
  tap.held = true;
  const pending = names.map((name) => settle(sock.request(newLink({ name, kind: 'bridge' }))));
  assert.is(tap.sent.length, 128, 'the window holds the rest back');
  tap.held = false;
  const outcomes = await Promise.all(pending);
  assert.is(tap.sent.length, 200);
  const failed: string[] = [];
  for (const [i, name] of names.entries()) {
    const o = outcomes[i]!;
    if ('err' in o) {
      const e = o.err as NetlinkError;
      assert.instance(e, NetlinkError);
      assert.is(e.code, 'EEXIST', name);
      assert.is(e.requestType, RTM_NEWLINK);
      failed.push(name);
    } else {
      assert.equal(o.ok, [], `${name}: an ACK, no data`);
    }
  }
  assert.equal(failed.sort(), Array.from({ length: 100 }, (_, i) => `e${i}`).sort());
  const there = new Set(ipJson<Array<{ ifname: string }>>(ns, 'link', 'show').map((l) => l.ifname));
  for (let i = 0; i < 100; i++) assert.ok(there.has(`c${i}`), `c${i} was created`);
});

// ---- errors --------------------------------------------------------------

live("an error carries the kernel's extended-ACK text, and the offset of the attribute it blamed", async () => {
  const sock = open();
  const msg = newLink({ name: 'abcdefghijklmnopqrst', kind: 'bridge' });
  const e1 = await sock.request(msg).then(
    () => undefined,
    (e: unknown) => e as NetlinkError,
  );
  assert.instance(e1, NetlinkError);
  assert.is(e1!.code, 'ERANGE');
  assert.is(e1!.extAck, 'Attribute failed policy validation');
  assert.is(msg.readUInt16LE(e1!.offset! + 2), IFLA_IFNAME, 'the offset points at IFLA_IFNAME in our request');
  assert.match(e1!.message, /\(kernel: Attribute failed policy validation\)/);

  const e2 = await sock.request(setLink({ name: 'e0', mtu: 70000 })).then(
    () => undefined,
    (e: unknown) => e as NetlinkError,
  );
  assert.is(e2!.code, 'EINVAL');
  assert.is(e2!.extAck, 'mtu greater than device maximum');
  assert.is(e2!.offset, undefined);

  // and when the kernel says nothing more, nothing more is claimed
  const e3 = await sock.request(newLink({ name: 'e0', kind: 'bridge' })).then(
    () => undefined,
    (e: unknown) => e as NetlinkError,
  );
  assert.is(e3!.code, 'EEXIST');
  assert.is(e3!.extAck, undefined);
  assert.is(e3!.message, 'EEXIST: file already exists');
});

// ---- dumps ---------------------------------------------------------------

const addrKey = (a: Addr): string => `${a.index} ${a.family} ${a.address.toString('hex')}/${a.prefixLength}`;
const ipAddrKeys = (): string[] =>
  ipJson<any[]>(ns, 'addr', 'show').flatMap((l) =>
    (l.addr_info as any[]).map((a) => {
      const bytes =
        a.family === 'inet' ? Buffer.from(new Address4(a.local).toArray()) : Buffer.from(new Address6(a.local).canonicalForm().replace(/:/g, ''), 'hex');
      return `${l.ifindex} ${a.family === 'inet' ? 2 : 10} ${bytes.toString('hex')}/${a.prefixlen}`;
    }),
  );

const addrKey_ = (m: Buffer): string => addrKey(decodeAddr(m));

const STATIC_ADDRS = 1500;

live('dumps of >32 KiB span several datagrams and list exactly what ip -j lists', async () => {
  // 1500 addresses on e1, from the benchmarking range
  batch(Array.from({ length: STATIC_ADDRS }, (_, k) => `addr add 198.18.${k >> 8}.${(k & 255) + 0}/32 dev e1`));
  const tap = new Tap();
  const sock = open({ tap });

  const before = tap.datagrams.length;
  const links = (await sock.dump(dumpLinks())).map(decodeLink);
  const linkDatagrams = tap.datagrams.slice(before);
  const linkBytes = linkDatagrams.reduce((n, d) => n + d.length, 0);
  assert.ok(linkBytes > 32 * 1024, `link dump of ${linkBytes} bytes`);
  assert.ok(linkDatagrams.length >= 2, `link dump in ${linkDatagrams.length} datagrams`);
  assert.equal(
    links.map((l) => `${l.index} ${l.name}`).sort(),
    ipJson<Array<{ ifindex: number; ifname: string }>>(ns, 'link', 'show').map((l) => `${l.ifindex} ${l.ifname}`).sort(),
  );
  assert.ok(links.length >= 201); // lo, e0-e99, c0-c99

  const mark = tap.datagrams.length;
  const addrs = (await sock.dump(dumpAddrs())).map(decodeAddr);
  const addrDatagrams = tap.datagrams.slice(mark);
  const addrBytes = addrDatagrams.reduce((n, d) => n + d.length, 0);
  assert.ok(addrBytes > 32 * 1024, `address dump of ${addrBytes} bytes`);
  assert.ok(addrDatagrams.length >= 2, `address dump in ${addrDatagrams.length} datagrams`);
  const ours = addrs.map(addrKey).sort();
  assert.is(new Set(ours).size, ours.length, 'no address twice');
  assert.equal(ours, ipAddrKeys().sort());
  assert.ok(ours.length >= STATIC_ADDRS);
  // one dump request each, no retries
  assert.is(tap.sentOfType(RTM_GETADDR).length, 1);
});

live('NLM_F_DUMP_INTR for real: address dumps while ip adds and removes addresses retry and stay whole', async () => {
  // ip churns addresses on e2 while we dump; the kernel flags a dump
  // interrupted when the address list changed between two of its chunks.
  const file = path.join(tmp, 'churn');
  const lines: string[] = [];
  for (let k = 0; k < 30000; k++) {
    const a = `198.19.${(k >> 8) & 255}.${k & 255}/32`;
    lines.push(`addr add ${a} dev e2`, `addr del ${a} dev e2`);
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const churn = spawn('ip', ['-n', ns, '-force', '-batch', file], { stdio: 'ignore' });
  children.push(churn);

  const tap = new Tap();
  const sock = open({ tap });
  let dumps = 0;
  let retriedAndWhole = 0;
  let gaveUp = 0;
  const started = Date.now();
  try {
    while (Date.now() - started < 5000 && retriedAndWhole < 3) {
      const sendsBefore = tap.sentOfType(RTM_GETADDR).length;
      const interruptedBefore = tap.datagrams.filter((d) => d.messages.some((m) => m.flags & NLM_F_DUMP_INTR)).length;
      dumps++;
      let addrs: Addr[];
      try {
        addrs = (await sock.dump(dumpAddrs(AF_INET))).map(decodeAddr);
      } catch (e) {
        assert.instance(e, NetlinkError);
        assert.is((e as NetlinkError).code, 'EINTR');
        assert.is((e as NetlinkError).extAck, 'dump kept changing');
        assert.is(tap.sentOfType(RTM_GETADDR).length - sendsBefore, 6, 'one dump and five retries');
        gaveUp++;
        continue;
      }
      const sends = tap.sentOfType(RTM_GETADDR).length - sendsBefore;
      const interrupted = tap.datagrams.filter((d) => d.messages.some((m) => m.flags & NLM_F_DUMP_INTR)).length - interruptedBefore;
      if (sends > 1) {
        assert.ok(interrupted >= 1, 'a retry only after an interrupted dump');
        // whole: every static address once, nothing twice from an earlier attempt
        const keys = addrs.map(addrKey);
        assert.is(new Set(keys).size, keys.length, 'no address twice');
        const statics = addrs.filter((a) => a.address[0] === 198 && a.address[1] === 18);
        assert.is(statics.length, STATIC_ADDRS);
        retriedAndWhole++;
      } else {
        assert.is(interrupted, 0, 'an interrupted dump is never returned as is');
      }
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    churn.kill('SIGKILL');
  }
  if (retriedAndWhole === 0) {
    console.log(`  note: in ${dumps} dumps over ${Date.now() - started} ms the kernel never flagged one interrupted that a retry then completed (${gaveUp} gave up); the injected test below covers the retry path`);
  }
});

live('NLM_F_DUMP_INTR injected into a real dump: the socket retries with a new sequence number, at most 5 times', async () => {
  const tap = new Tap();
  const sock = open({ tap });
  const clean = (await sock.dump(dumpAddrs(AF_INET))).map(addrKey_).sort();

  // the first datagram of the first two attempts is marked interrupted
  let markAttempts = 2;
  let attemptSeq = -1;
  tap.alter = (dg) => {
    const seq = dg.readUInt32LE(8);
    if (seq === attemptSeq || markAttempts === 0 || dg.readUInt16LE(4) !== RTM_NEWADDR) return;
    attemptSeq = seq;
    markAttempts--;
    dg.writeUInt16LE(dg.readUInt16LE(6) | NLM_F_DUMP_INTR, 6);
  };
  const sendsBefore = tap.sent.length;
  const got = (await sock.dump(dumpAddrs(AF_INET))).map(addrKey_).sort();
  const sends = tap.sent.slice(sendsBefore);
  assert.is(sends.length, 3, 'two interrupted attempts, then a clean one');
  const seqs = sends.map((m) => readHeader(m).seq);
  assert.is(new Set(seqs).size, 3, 'each attempt has its own sequence number');
  assert.equal(got, clean, 'only the last attempt counts');

  // always interrupted: gives up after the first attempt and 5 retries
  markAttempts = Infinity;
  attemptSeq = -1;
  const mark = tap.sent.length;
  const err = await sock.dump(dumpAddrs(AF_INET)).then(
    () => undefined,
    (e: unknown) => e as NetlinkError,
  );
  assert.instance(err, NetlinkError);
  assert.is(err!.code, 'EINTR');
  assert.is(err!.extAck, 'dump kept changing');
  assert.is(err!.requestType, RTM_GETADDR);
  assert.is(tap.sent.length - mark, 6);
  // the socket is still good afterwards
  tap.alter = undefined;
  assert.equal((await sock.dump(dumpAddrs(AF_INET))).map(addrKey_).sort(), clean);
  // a flag on NLMSG_DONE alone counts too
  let doneMarked = false;
  tap.alter = (dg) => {
    if (doneMarked) return;
    for (const m of messages(dg)) {
      if (readHeader(m).type !== NLMSG_DONE) continue;
      m.writeUInt16LE(m.readUInt16LE(6) | NLM_F_DUMP_INTR, 6);
      doneMarked = true;
    }
  };
  const mark2 = tap.sent.length;
  assert.equal((await sock.dump(dumpAddrs(AF_INET))).map(addrKey_).sort(), clean);
  assert.ok(doneMarked);
  assert.is(tap.sent.length - mark2, 2);
});

// ---- multicast -----------------------------------------------------------

live('subscribe(RTNLGRP_LINK) sees the RTM_NEWLINK for a bridge another socket creates', async () => {
  const watcher = open();
  const seen: Array<{ type: number; name: string }> = [];
  let wake: (() => void) | undefined;
  watcher.subscribe([RTNLGRP_LINK], (msg) => {
    const h = readHeader(msg);
    if (h.type === RTM_NEWLINK) seen.push({ type: h.type, name: decodeLink(msg).name });
    wake?.();
  });
  const maker = open();
  await maker.request(newLink({ name: 'sub0', kind: 'bridge' }));
  const deadline = Date.now() + 5000;
  while (!seen.some((s) => s.name === 'sub0') && Date.now() < deadline) {
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 100);
    });
  }
  wake = undefined;
  assert.ok(
    seen.some((s) => s.name === 'sub0'),
    `saw ${JSON.stringify(seen)}`,
  );
  watcher.close();
});

// ---- namespaces ----------------------------------------------------------

live('a socket opened with nsFd lives in that namespace: what it creates is there, not on the host', async () => {
  const name = `pg${process.pid.toString(36)}`; // unique enough for a read-only look at the host
  const sock = open();
  await sock.request(newLink({ name, kind: 'bridge' }));
  const [reply] = await sock.request(getLink({ name }));
  const index = decodeLink(reply!).index;
  const inNs = ipJson<Array<{ ifindex: number; ifname: string }>>(ns, 'link', 'show', 'dev', name);
  assert.equal(
    inNs.map((l) => [l.ifindex, l.ifname]),
    [[index, name]],
  );
  const onHost = ipJson<Array<{ ifname: string }>>(null, 'link', 'show').map((l) => l.ifname);
  assert.not.ok(onHost.includes(name), 'not on the host');
  // a socket without nsFd is the host's, and cannot see it
  const hostSock = new NetlinkSocket();
  sockets.push(hostSock);
  const err = await hostSock.request(getLink({ name })).then(
    () => undefined,
    (e: unknown) => e as NetlinkError,
  );
  assert.is(err?.code, 'ENODEV');
  // and the namespace's socket dumps the namespace's links
  const nsLinks = (await sock.dump(dumpLinks())).map((m) => decodeLink(m).name).sort();
  assert.equal(nsLinks, ip(ns, '-o', 'link', 'show').trim().split('\n').map((l) => l.split(': ')[1]!.split('@')[0]!).sort());
});

test.run();
