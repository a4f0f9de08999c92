// Sys.openFile and the network sysctls built on it, on the backend in use
// (test/run.mjs runs this file once per backend): a /proc/sys/net file opened
// inside a namespace is that namespace's, the thread comes back, errors have
// one shape, bad keys are refused before anything is opened.
// Oracles: `ip netns exec NS sysctl -w` and `cat`. Namespaces: pwsysctl-<pid>-*.
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PipeworkError } from '../src/errors';
import { readSysctl, writeSysctl } from '../src/netns';
import { sys } from '../src/sys';
import { syscallFailure, throwsUsage } from './helpers/assert';
import { NETNS_DIR, NetnsScope, ip, ipTry, nsExec } from './helpers/netns';
import { requireIf } from './helpers/skip';

const isRoot = process.getuid?.() === 0;
const hasIpv6 = fs.existsSync('/proc/sys/net/ipv6/conf');
const maybe = requireIf(test, isRoot && hasIpv6, isRoot ? 'this kernel has no IPv6 (/proc/sys/net/ipv6)' : 'not running as root');

/** A veth end that lives only in the test's namespace, never in this process's. */
const IF = 'pwsysctl0';
const KEY = `net/ipv6/conf/${IF}/disable_ipv6`;
const PROC = `/proc/sys/${KEY}`;

let scope: NetnsScope | undefined;
let NS = '';
let nsFd = -1;

test.before(() => {
  if (!isRoot || !hasIpv6) return;
  scope = new NetnsScope('pwsysctl');
  NS = scope.create('a');
  ip(NS, 'link', 'add', IF, 'type', 'veth', 'peer', 'name', 'pwsysctl1');
  nsFd = fs.openSync(`${NETNS_DIR}/${NS}`, 'r');
});
test.after(() => {
  if (nsFd >= 0) fs.closeSync(nsFd);
  scope?.cleanup();
});

const threadNs = () => fs.readlinkSync('/proc/thread-self/ns/net');
const processNs = () => fs.readlinkSync('/proc/self/ns/net');

function pipeworkFailure(fn: () => unknown): PipeworkError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, PipeworkError, String(e));
    return e as PipeworkError;
  }
  throw new Error('expected a failure');
}

maybe(`${sys().name}: openFile opens /proc/sys/net inside the namespace, close-on-exec, and the thread comes back`, () => {
  assert.is(ipTry(null, 'link', 'show', IF).status === 0, false, `${IF} must not exist in this process's namespace`);
  assert.not.ok(fs.existsSync(PROC), `${PROC} must not exist here`);
  const before = threadNs();
  const fd = sys().openFile(PROC, fs.constants.O_RDONLY, nsFd);
  try {
    assert.is(threadNs(), before);
    assert.is(before, processNs());
    assert.match(fs.readFileSync(fd, 'utf8'), /^[01]\n$/);
    const flags = /^flags:\s+([0-7]+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!;
    assert.ok((parseInt(flags, 8) & 0o2000000) !== 0, `O_CLOEXEC not set: flags ${flags}`);
  } finally {
    fs.closeSync(fd);
  }
});

maybe(`${sys().name}: readSysctl sees what sysctl -w set in the namespace; writeSysctl changes it there and only there`, () => {
  nsExec(NS, 'sysctl', '-q', '-w', `net.ipv6.conf.${IF}.disable_ipv6=1`);
  assert.is(readSysctl(nsFd, KEY), '1');
  writeSysctl(nsFd, KEY, 0);
  assert.is(nsExec(NS, 'cat', PROC), '0\n');
  assert.is(readSysctl(nsFd, KEY), '0');
  writeSysctl(nsFd, KEY, '1');
  assert.is(nsExec(NS, 'cat', PROC), '1\n');
  assert.is(threadNs(), processNs());

  // The same key in this process's own namespace: not there, so not touched.
  const own = pipeworkFailure(() => readSysctl(undefined, KEY));
  assert.is(own.code, 'KERNEL');
  assert.is(own.errno, 'ENOENT');
  assert.is(own.message, `cannot read sysctl ${KEY}: ENOENT (no such sysctl in that network namespace)`);
  assert.is(pipeworkFailure(() => writeSysctl(undefined, KEY, 0)).errno, 'ENOENT');
  assert.not.ok(fs.existsSync(PROC));

  // A key both namespaces have: lo. Written in the namespace, read back here unchanged.
  const LO = 'net/ipv6/conf/lo/disable_ipv6';
  const mine = fs.readFileSync(`/proc/sys/${LO}`, 'utf8').trim();
  const theirs = mine === '1' ? '0' : '1';
  writeSysctl(nsFd, LO, theirs);
  assert.is(nsExec(NS, 'cat', `/proc/sys/${LO}`).trim(), theirs);
  assert.is(readSysctl(undefined, LO), mine);
  assert.is(fs.readFileSync(`/proc/sys/${LO}`, 'utf8').trim(), mine);
});

maybe(`${sys().name}: a missing interface fails with one error shape`, () => {
  const missing = '/proc/sys/net/ipv6/conf/pwsysctl9/disable_ipv6';
  // The addon's shape, which the ffi backend copies: this file runs once per backend.
  assert.equal(syscallFailure(() => sys().openFile(missing, fs.constants.O_RDONLY, nsFd)), {
    code: 'ENOENT',
    errno: -2,
    syscall: 'open',
    message: 'ENOENT: No such file or directory, open',
  });
  assert.equal(syscallFailure(() => sys().openFile('/proc/sys/net/x\0y', fs.constants.O_RDONLY, nsFd)), {
    code: 'EINVAL',
    errno: -22,
    syscall: 'open',
    message: 'EINVAL: Invalid argument, open',
  });
  const e = pipeworkFailure(() => readSysctl(nsFd, 'net/ipv6/conf/pwsysctl9/disable_ipv6'));
  assert.is(e.code, 'KERNEL');
  assert.is(e.errno, 'ENOENT');
  assert.is((e.cause as NodeJS.ErrnoException).syscall, 'open');
  assert.is((e.cause as NodeJS.ErrnoException).errno, -2);
  assert.is(threadNs(), processNs());
});

maybe(`${sys().name}: the kernel's refusals carry its errno; a handle that is not a namespace is setns EINVAL`, () => {
  const bad = pipeworkFailure(() => writeSysctl(nsFd, KEY, 'seven'));
  assert.is(bad.code, 'KERNEL');
  assert.is(bad.errno, 'EINVAL');
  assert.match(bad.message, `cannot write seven to sysctl ${KEY}: EINVAL`);
  const notNs = fs.openSync('/dev/null', 'r');
  try {
    assert.equal(syscallFailure(() => sys().openFile(PROC, fs.constants.O_RDONLY, notNs)), {
      code: 'EINVAL',
      errno: -22,
      syscall: 'setns',
      message: 'EINVAL: Invalid argument, setns',
    });
    assert.is(pipeworkFailure(() => readSysctl(notNs, KEY)).errno, 'EINVAL');
  } finally {
    fs.closeSync(notNs);
  }
  assert.is(threadNs(), processNs());
});

test('bad keys and values are USAGE errors, refused before anything is opened', () => {
  const opened: string[] = [];
  const recorder = {
    name: 'recorder',
    openNetlink: () => assert.unreachable('openNetlink') as never,
    openPacket: () => assert.unreachable('openPacket') as never,
    openFile: (path: string) => {
      opened.push(path);
      throw Object.assign(new Error('ENOENT: No such file or directory, open'), { code: 'ENOENT', errno: -2, syscall: 'open' });
    },
  };
  const keys: Array<[string, string]> = [
    ['', 'empty'],
    ['/net/ipv6/conf/eth1/disable_ipv6', 'leading /'],
    ['/proc/sys/net/ipv6/conf/eth1/disable_ipv6', 'leading /'],
    ['net/ipv6/conf/../../../kernel/hostname', '..'],
    ['net/ipv6/conf/./eth1/disable_ipv6', '.'],
    ['net/ipv6//conf/eth1/disable_ipv6', 'empty component'],
    ['net/ipv6/conf/eth1/', 'empty component'],
    ['kernel/hostname', 'start with net/'],
    ['net', 'start with net/'],
    ['net/ipv6/conf/eth 1/disable_ipv6', 'interface-name characters'],
    ['net/ipv6/conf/eth1:0/disable_ipv6', 'interface-name characters'],
    ['net/ipv6/conf/eth1/disable_ipv6\n', 'interface-name characters'],
    ['net/ipv6/conf/eth\x001/disable_ipv6', 'interface-name characters'],
    ['net/ipv6/conf/éth1/disable_ipv6', 'interface-name characters'],
    [`net/${'x'.repeat(256)}`, 'longer than 255'],
  ];
  for (const [key, mention] of keys) {
    throwsUsage(() => readSysctl(undefined, key, recorder), mention);
    throwsUsage(() => writeSysctl(undefined, key, '1', recorder), mention);
  }
  for (const value of ['', '1\n0', '1\0', Number.NaN, Infinity]) {
    throwsUsage(() => writeSysctl(undefined, KEY, value, recorder), 'not a value to write');
  }
  assert.equal(opened, [], 'a refused key or value was opened');
  // Keys with the characters interface names may hold are opened (and fail here only because the recorder says ENOENT).
  const good = ['net/ipv4/conf/eth0.10/forwarding', 'net/ipv6/conf/br-1_a@x+y/disable_ipv6', 'net/ipv4/ip_forward'];
  for (const key of good) assert.is(pipeworkFailure(() => readSysctl(undefined, key, recorder)).errno, 'ENOENT', key);
  assert.equal(opened, good.map((k) => `/proc/sys/${k}`));
});

test.run();
