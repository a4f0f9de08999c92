// attachFilter (SO_ATTACH_FILTER) on both backends: the kernel queues only
// what the program accepts; a malformed program is EINVAL.
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { udpPortFilter } from '../src/dhcp/filter';
import { ETH_P_IP, gratuitousArp, udpFrame } from '../src/packet';
import { sys } from '../src/sys';
import { NetnsScope, ip } from './helpers/netns';

const scope = new NetnsScope('pwdhcpf');
let NS = '';
test.before(() => {
  NS = scope.create('a');
  ip(NS, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
  ip(NS, 'link', 'set', 'p0', 'up');
  ip(NS, 'link', 'set', 'p1', 'up');
});
test.after(() => scope.cleanup());

const index = (dev: string): number => JSON.parse(ip(NS, '-j', 'link', 'show', dev))[0].ifindex;
const mac = Buffer.from([2, 0, 0x5e, 0, 0, 1]);
const frame = (port: number) =>
  udpFrame({ srcMac: mac, dstMac: Buffer.alloc(6, 0xff), srcIp: Buffer.from([192, 0, 2, 1]), dstIp: Buffer.from([255, 255, 255, 255]), srcPort: 67, dstPort: port, payload: Buffer.from(`to ${port}`) });

test(`${sys().name}: a socket with the DHCP client filter receives UDP to port 68 and nothing else`, async () => {
  const nsFd = fs.openSync(`/var/run/netns/${NS}`, 'r');
  const rx = sys().openPacket(index('p1'), ETH_P_IP, nsFd);
  const tx = sys().openPacket(index('p0'), 0, nsFd);
  try {
    rx.attachFilter(udpPortFilter(68));
    const buf = Buffer.alloc(2048);
    while (rx.recv(buf) >= 0); // what arrived before the filter
    tx.send(frame(69));
    tx.send(gratuitousArp(mac, '192.0.2.1'));
    tx.send(frame(68));
    tx.send(frame(5353));
    const got: string[] = [];
    for (let i = 0; i < 100 && got.length < 1; i++) {
      for (let n = rx.recv(buf); n >= 0; n = rx.recv(buf)) got.push(buf.subarray(n - 5, n).toString());
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 50));
    for (let n = rx.recv(buf); n >= 0; n = rx.recv(buf)) got.push(buf.subarray(n - 5, n).toString());
    assert.equal(got, ['to 68']);
  } finally {
    rx.close();
    tx.close();
    fs.closeSync(nsFd);
  }
});

test(`${sys().name}: an empty, ragged or invalid program is EINVAL from setsockopt`, () => {
  const sock = sys().openPacket(0, 0);
  try {
    for (const p of [Buffer.alloc(0), Buffer.alloc(12), Buffer.from([0x06, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0])]) {
      try {
        sock.attachFilter(p);
        assert.unreachable(`program ${p.toString('hex')} accepted`);
      } catch (e) {
        assert.is((e as NodeJS.ErrnoException).code, 'EINVAL');
        assert.is((e as NodeJS.ErrnoException).syscall, 'setsockopt');
      }
    }
  } finally {
    sock.close();
  }
});

test.run();
