// Without privileges, through the real CLI binary run as nobody (setpriv
// --reuid=65534 --regid=65534 --clear-groups, util-linux): one line naming
// the missing capability, exit 1, nothing changed (`ip -j` before and after).
// CAP_SYS_ADMIN is what entering a network namespace needs; with only that
// (an ambient capability), the first change the kernel refuses names
// CAP_NET_ADMIN. Namespaces pwhard-<pid>-priv*: H the host with br1, G a guest.
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, ROOT, assertDistFresh, netState } from './helpers/cli';
import { NetnsScope, ip } from './helpers/netns';
import { requireRoot } from './helpers/skip';

const maybe = requireRoot(test);
let scope: NetnsScope | undefined;
let H = '';
let G = '';

test.before(() => {
  if (process.getuid?.() !== 0) return;
  assertDistFresh();
  scope = new NetnsScope('pwhard');
  H = scope.create('privh');
  G = scope.create('privg');
  ip(H, 'link', 'add', 'br1', 'type', 'bridge');
});
test.after(() => scope?.cleanup());

/** The CLI as nobody, with these ambient capabilities (none by default). */
function asNobody(argv: string[], caps: string[] = []) {
  const capArgs = caps.length ? [`--inh-caps=${caps.map((c) => `+${c}`).join(',')}`, `--ambient-caps=${caps.map((c) => `+${c}`).join(',')}`] : [];
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...capArgs, process.execPath, BIN, ...argv], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stderr.split('\n').filter(Boolean) };
}

function oneLine(r: ReturnType<typeof asNobody>, capability: string): string {
  assert.is(r.status, 1, r.stderr);
  assert.is(r.lines.length, 1, r.stderr);
  const line = r.lines[0]!;
  assert.match(line, new RegExp(`^pipework: .*needs ${capability}, which this process lacks`));
  assert.not.match(line, /Operation not permitted/, 'the bare errno text is replaced');
  return line;
}

maybe('attach with --host-netns, as nobody: one line naming CAP_SYS_ADMIN, exit 1, nothing changed', () => {
  const before = netState([H, G]);
  oneLine(asNobody(['--host-netns', H, 'br1', `netns:${G}`, '198.51.100.60/24']), 'CAP_SYS_ADMIN');
  assert.equal(netState([H, G]), before);
});

maybe('show of a namespace guest, as nobody: CAP_SYS_ADMIN, and the guest is named', () => {
  const line = oneLine(asNobody(['show', `netns:${G}`]), 'CAP_SYS_ADMIN');
  assert.match(line, G);
});

maybe('--json, as nobody: the failure object with code PERMISSION and errno EPERM, nothing on stderr', () => {
  const r = asNobody(['--json', '--host-netns', H, 'show', `netns:${G}`]);
  assert.is(r.status, 1);
  assert.is(r.stderr, '');
  const j = JSON.parse(r.stdout);
  assert.is(j.error.code, 'PERMISSION');
  assert.is(j.error.errno, 'EPERM');
  assert.match(j.error.message, /CAP_SYS_ADMIN/);
});

maybe('as nobody with CAP_SYS_ADMIN only: the kernel refuses the first change, the line names CAP_NET_ADMIN, nothing changed', () => {
  const before = netState([H, G]);
  oneLine(asNobody(['--host-netns', H, 'br1', `netns:${G}`, '198.51.100.60/24'], ['sys_admin']), 'CAP_NET_ADMIN');
  assert.equal(netState([H, G]), before);
});

test.run();
