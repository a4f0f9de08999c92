// Host-side veth names: pipework's v<cif>pl<pid>, always a valid kernel name.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Guest } from '../src/netns';
import { checkInterfaceName } from '../src/request';
import { defaultHostLinkName } from '../src/pipework/names';

const withPid = (pid: number): Guest => ({ kind: 'pid', spec: String(pid), name: String(pid), pid, nsFd: -1, isCurrent: () => true, close() {} });

test("pipework's own form when it fits", () => {
  assert.is(defaultHostLinkName('eth1', withPid(4242)), 'veth1pl4242');
  assert.is(defaultHostLinkName('eth0', withPid(4194304)), 'veth0pl4194304');
});

test('a long guest-side name is replaced by 5 hex digits of its SHA-1, staying within 15 bytes', () => {
  const sha = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 5);
  const a = defaultHostLinkName('container0', withPid(4194304));
  const b = defaultHostLinkName('container1', withPid(4194304));
  assert.is(a, `v${sha('container0')}pl4194304`);
  assert.is.not(a, b, 'two long names in one guest stay distinct');
  for (const n of [a, b]) {
    assert.ok(Buffer.byteLength(n) <= 15, n);
    assert.is(checkInterfaceName(n, 'host'), n, 'valid as the kernel checks');
  }
});

test('a guest without a PID uses its namespace inode in base 36', () => {
  const fd = fs.openSync('/proc/self/ns/net', 'r');
  try {
    const g: Guest = { kind: 'path', spec: 'path:/proc/self/ns/net', name: '/proc/self/ns/net', nsFd: fd, isCurrent: () => true, close() {} };
    assert.is(defaultHostLinkName('eth1', g), `veth1pl${fs.fstatSync(fd).ino.toString(36)}`);
  } finally {
    fs.closeSync(fd);
  }
});

test.run();
