// When the output cannot be written, through the real CLI binary: stdout on
// /dev/full (every write is ENOSPC), a pipe whose reader closed before the
// first byte (EPIPE), stderr on /dev/full. Never an unhandled 'error' event
// with a stack trace: ENOSPC is one line on stderr and exit 1 (the command's
// own status if it had failed), saying that a change made stays; EPIPE is a
// quiet exit 141, as for a tool killed by SIGPIPE (src/cli/stdio.ts). What
// an attach did is there afterwards (`ip -j`), and re-running it is a no-op.
//
// Namespaces pwhard-<pid>-out*: H the host with bridge br1, G a guest.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, ROOT, assertDistFresh } from './helpers/cli';
import { NetnsScope, ip, ipJson, nsExec } from './helpers/netns';
import { requireRoot } from './helpers/skip';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI with stdout (or stderr) on /dev/full. */
function toFull(argv: string[], which: 'stdout' | 'stderr' = 'stdout'): Run {
  const full = fs.openSync('/dev/full', 'w');
  try {
    const r = spawnSync(process.execPath, [BIN, ...argv], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', which === 'stdout' ? full : 'pipe', which === 'stderr' ? full : 'pipe'],
      timeout: 60_000,
    });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  } finally {
    fs.closeSync(full);
  }
}

/** The CLI with stdout a pipe whose reading end is closed before the child starts writing. */
function toClosedPipe(argv: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: '', stderr }));
  });
}

function noCrash(r: Run): void {
  assert.not.match(r.stderr, /Unhandled|node:events|^\s+at /m, `a crash: ${r.stderr}`);
}

test.before(() => assertDistFresh());

test('--help on /dev/full: exit 1, one line naming ENOSPC, no stack trace', () => {
  const r = toFull(['--help']);
  noCrash(r);
  assert.is(r.status, 1);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^pipework: cannot write the output to stdout \(ENOSPC: no space left on device/);
  assert.not.match(lines[0]!, /stays/, 'help changes nothing');
});

test('a usage error with --json on /dev/full keeps its own status (2); stderr on /dev/full too: still 2, no crash', () => {
  const r = toFull(['--json', '--no-such-option']);
  noCrash(r);
  assert.is(r.status, 2);
  assert.is(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
  const e = toFull(['--no-such-option'], 'stderr');
  noCrash(e);
  assert.is(e.status, 2);
  assert.is(e.stdout, '');
});

test('--help into a pipe closed early: exit 141, nothing on stderr', async () => {
  const r = await toClosedPipe(['--help']);
  assert.is(r.stderr, '');
  assert.is(r.status, 141);
});

// ---- a real change whose output is lost ----------------------------------

const maybe = requireRoot(test);
let scope: NetnsScope | undefined;
let H = '';
let G = '';
test.after(() => scope?.cleanup());

function guestLinks(): Array<{ ifname: string; addr_info: Array<{ local: string }> }> {
  return ipJson(G, 'addr', 'show');
}

maybe('attach with stdout on /dev/full: exit 1, one line saying the attach was made and stays; it is there, and a re-run is a no-op', () => {
  scope = new NetnsScope('pwhard');
  H = scope.create('outh');
  G = scope.create('outg');
  for (const ns of [H, G]) nsExec(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  ip(H, 'link', 'add', 'br1', 'type', 'bridge');
  ip(H, 'link', 'set', 'br1', 'up');
  const argv = ['--host-netns', H, 'br1', `netns:${G}`, '198.51.100.50/24'];
  const r = toFull(argv);
  noCrash(r);
  assert.is(r.status, 1, r.stderr);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /ENOSPC/);
  assert.match(lines[0]!, /the attach was made and stays/);
  const eth1 = guestLinks().find((l) => l.ifname === 'eth1');
  assert.ok(eth1, 'eth1 is in the guest');
  assert.equal(eth1!.addr_info.map((a) => a.local), ['198.51.100.50']);
  // the same attach again, output readable this time: nothing left to do
  const again = spawnSync(process.execPath, [BIN, '--json', ...argv], { cwd: ROOT, encoding: 'utf8' });
  assert.is(again.status, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).plan, [], 'the re-run found it done');
});

maybe('detach into a pipe closed early: exit 141, quiet, and the detach was made', async () => {
  const r = await toClosedPipe(['--host-netns', H, 'detach', '-i', 'eth1', `netns:${G}`]);
  assert.is(r.stderr, '');
  assert.is(r.status, 141);
  assert.not.ok(guestLinks().some((l) => l.ifname === 'eth1'), 'eth1 is gone');
});

test.run();
