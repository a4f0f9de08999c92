// The addon's sockets: errors shaped like Node's, AF_PACKET closed in the background.
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sys } from '../src/sys';
import { NetnsScope, ip } from './helpers/netns';

const scope = new NetnsScope('pwsys');
let NS = '';

test.before(() => {
  NS = scope.create('a');
  ip(NS, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
});
test.after(() => scope.cleanup());

const socketInode = (fd: number): string | undefined => {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
};

test('errors carry code, negative errno and syscall, as Node system errors do', () => {
  try {
    sys().openPacket(999_999, 0);
    assert.unreachable('bind to a missing ifindex');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    assert.is(err.code, 'ENODEV');
    assert.is(err.errno, -19);
    assert.is(err.syscall, 'bind');
  }
});

test('an AF_PACKET socket made inside a namespace binds to that namespace\'s interface, and closeInBackground releases it', async () => {
  const nsFd = fs.openSync(`/var/run/netns/${NS}`, 'r');
  try {
    const index: number = JSON.parse(ip(NS, '-j', 'link', 'show', 'p0'))[0].ifindex;
    const sock = sys().openPacket(index, 0, nsFd);
    const fd = sock.fd;
    const before = socketInode(fd);
    assert.match(before ?? '', /^socket:\[\d+\]$/);
    sock.closeInBackground();
    assert.is(sock.fd, -1, 'the object lets go at once');
    // The close finishes on its own thread after an RCU grace period: wait for it, boundedly.
    for (let i = 0; i < 200 && socketInode(fd) === before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.is.not(socketInode(fd), before, 'the descriptor was closed');
  } finally {
    fs.closeSync(nsFd);
  }
});

test.run();
