// SIGINT and SIGTERM during an attach, through the real CLI: the step in
// flight finishes, what was done rolls back, the exit status is 130 or 143
// with one line; a second signal exits at once. The attach is held in its
// DHCP step (a bridge with no server on it), which is where a user's Ctrl-C
// lands in practice: the veth and the bridge exist by then.
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, ROOT, assertDistFresh, netState } from './helpers/cli';
import { NetnsScope, ip, ipTry } from './helpers/netns';
import { requireRoot } from './helpers/skip';

const scope = new NetnsScope('pwsig');
const maybe = requireRoot(test);
let H = '';

test.before(() => {
  if (process.getuid?.() !== 0) return;
  assertDistFresh();
  H = scope.create('host');
  // No IPv6 on the host side: no link-local addresses coming and going while we compare.
  ip(H, 'link', 'add', 'br0', 'address', '02:00:00:00:51:01', 'type', 'bridge');
  ip(H, 'link', 'set', 'br0', 'up');
});
test.after(() => scope.cleanup());

/** Starts an attach that waits for a DHCP server that never answers; resolves once the guest's eth1 is up. */
async function stuckAttach(G: string, hostIf: string): Promise<{ child: ReturnType<typeof spawn>; done: Promise<{ status: number; stderr: string; ms: number }> }> {
  const child = spawn(process.execPath, [BIN, '--host-netns', H, hostIf, `netns:${G}`, 'dhcp', '--dhcp-timeout', '30'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let signalledAt = 0;
  const done = new Promise<{ status: number; stderr: string; ms: number }>((resolve) =>
    child.on('close', (code, sig) => resolve({ status: code ?? (sig === 'SIGKILL' ? 137 : 128), stderr, ms: Date.now() - signalledAt })),
  );
  for (let i = 0; i < 300; i++) {
    const r = ipTry(G, '-j', 'link', 'show', 'dev', 'eth1');
    if (r.status === 0 && /"UP"/.test(r.stdout)) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  assert.is(ipTry(G, 'link', 'show', 'dev', 'eth1').status, 0, 'the attach got as far as the DHCP step');
  const kill = child.kill.bind(child);
  child.kill = (s?: NodeJS.Signals | number) => {
    signalledAt ||= Date.now();
    return kill(s);
  };
  return { child, done };
}

for (const [sig, status] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
  maybe(`${sig} mid-attach: rolled back (veth and a bridge made for it gone), exit ${status}, one line`, async () => {
    const G = scope.create(`g${status}`);
    const before = netState([H, G]);
    const { child, done } = await stuckAttach(G, `brs${status}`);
    child.kill(sig);
    const r = await done;
    assert.is(r.status, status, r.stderr);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.is(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`^pipework: aborted during "[^"]+" \\(interrupted by ${sig}\\); what was done is rolled back$`));
    assert.ok(r.ms < 5000, `took ${r.ms} ms to stop`);
    assert.equal(netState([H, G]), before, 'nothing left: no veth, no bridge, nothing in the guest');
    assert.is(ipTry(H, 'link', 'show', 'dev', `brs${status}`).status, 1);
  });
}

maybe('a second signal exits at once (143), without waiting for the rollback', async () => {
  const G = scope.create('twice');
  const { child, done } = await stuckAttach(G, 'br0');
  child.kill('SIGTERM');
  child.kill('SIGTERM');
  const r = await done;
  assert.is(r.status, 143, r.stderr);
  assert.ok(r.ms < 5000, `took ${r.ms} ms`);
});

test.run();
