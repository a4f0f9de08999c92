// One JSON contract for every command, through the real CLI binary:
//
//   success  { ok: true,  op, dryRun, result, plan }
//   failure  { ok: false, op, dryRun, error: { code, message, errno? } }
//
// With --json a failure is that object on stdout and nothing on stderr. Exit
// status: 0 success, 2 usage, 3 not supported yet, 1 everything else. Also:
// show opens the host namespace like every command, so a wrong --host-netns
// fails there too.
//
// Namespaces (pwjson-<pid>-*, removed in after): H the host, with bridge br1
// (up, pinned MAC); G a guest.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertDistFresh, explain, pipework, type CliResult } from './helpers/cli';
import { NetnsScope, ip, nsExec } from './helpers/netns';
import { requireRoot } from './helpers/skip';

const maybe = requireRoot(test);
let scope: NetnsScope | undefined;
let H = '';
let G = '';

const SUCCESS_KEYS = ['dryRun', 'ok', 'op', 'plan', 'result'];
const FAILURE_KEYS = ['dryRun', 'error', 'ok', 'op'];

test.before(() => {
  if (process.getuid?.() !== 0) return;
  assertDistFresh();
  scope = new NetnsScope('pwjson');
  H = scope.create('host');
  G = scope.create('guest');
  for (const ns of [H, G]) nsExec(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  ip(H, 'link', 'add', 'br1', 'type', 'bridge');
  ip(H, 'link', 'set', 'br1', 'address', '02:00:00:00:0b:01', 'up');
});

test.after(() => scope?.cleanup());

/** `pipework --json --host-netns H ...argv`. */
const cli = (...argv: string[]) => pipework(['--json', '--host-netns', H, ...argv]);

function success(r: CliResult, op: string, dryRun = false): any {
  assert.is(r.status, 0, explain(r));
  assert.is(r.stderr, '', explain(r));
  const j = JSON.parse(r.stdout);
  assert.equal(Object.keys(j).sort(), SUCCESS_KEYS, explain(r));
  assert.is(j.ok, true);
  assert.is(j.op, op);
  assert.is(j.dryRun, dryRun);
  assert.ok(Array.isArray(j.plan), explain(r));
  assert.ok(j.result && typeof j.result === 'object', explain(r));
  return j;
}

function failure(r: CliResult, op: string | null, code: string, status: number, dryRun = false): any {
  assert.is(r.status, status, explain(r));
  assert.is(r.stderr, '', `nothing on stderr with --json: ${explain(r)}`);
  const j = JSON.parse(r.stdout);
  assert.equal(Object.keys(j).sort(), FAILURE_KEYS, explain(r));
  assert.is(j.ok, false);
  assert.is(j.op, op);
  assert.is(j.dryRun, dryRun);
  assert.is(j.error.code, code, explain(r));
  assert.equal(Object.keys(j.error).sort(), j.error.errno === undefined ? ['code', 'message'] : ['code', 'errno', 'message']);
  assert.is(typeof j.error.message, 'string');
  assert.not.match(j.error.message, /[\r\n]/);
  return j;
}

maybe('attach: success (with its plan), dry run, and failure', () => {
  const dry = success(cli('--dry-run', 'br1', `netns:${G}`, '198.51.100.40/24@198.51.100.1'), 'attach', true);
  assert.ok(dry.plan.length > 0);
  assert.equal(ip(G, 'link', 'show').match(/^\d+: /gm)?.length, 1, 'the dry run made nothing');
  const j = success(cli('br1', `netns:${G}`, '198.51.100.40/24@198.51.100.1'), 'attach');
  assert.is(j.result.guestSide, 'eth1');
  assert.ok(j.plan.length > 0, 'the steps taken');
  assert.ok(j.plan.every((s: any) => typeof s.command === 'string'), JSON.stringify(j.plan));
  failure(cli('nosuchif0', `netns:${G}`, '198.51.100.41/24'), 'attach', 'HOSTIF_NOT_FOUND', 1);
  failure(cli('br1', `netns:${G}`, '198.51.100.41'), 'attach', 'USAGE', 2);
  failure(cli('--dry-run', 'br1', `netns:${G}`, 'dhcp:-s x'), 'attach', 'USAGE', 2, true);
});

maybe('show: success and failure; a missing --host-netns fails show too (HOST_NETNS_NOT_FOUND, exit 1)', () => {
  const j = success(cli('show', `netns:${G}`), 'show');
  assert.ok(j.result.interfaces.some((i: any) => i.name === 'eth1'), JSON.stringify(j.result));
  assert.equal(j.plan, []);
  failure(cli('show', `netns:${scope!.prefix}nope`), 'show', 'GUEST_NOT_FOUND', 1);
  const missingHost = `${scope!.prefix}nohost`;
  failure(pipework(['--json', '--host-netns', missingHost, 'show', `netns:${G}`]), 'show', 'HOST_NETNS_NOT_FOUND', 1);
  const human = pipework(['--host-netns', missingHost, 'show', `netns:${G}`]);
  assert.is(human.status, 1, explain(human));
  assert.is(human.stdout, '');
  assert.equal(human.errLines, [`pipework: --host-netns: network namespace ${missingHost} does not exist`], explain(human));
});

maybe('detach: success and failure', () => {
  success(cli('detach', `netns:${G}`), 'detach');
  assert.equal(ip(G, 'link', 'show').match(/^\d+: /gm)?.length, 1, 'eth1 is gone');
  failure(cli('detach', `netns:${scope!.prefix}nope`), 'detach', 'GUEST_NOT_FOUND', 1);
  failure(cli('detach', '--all', '--force', `netns:${G}`), 'detach', 'USAGE', 2);
});

maybe('gc: success and failure', () => {
  const j = success(cli('gc'), 'gc');
  assert.equal(j.result.removed, []);
  failure(cli('gc', 'extra'), 'gc', 'USAGE', 2);
  failure(pipework(['--json', '--host-netns', `${scope!.prefix}nohost`, 'gc', '--dry-run']), 'gc', 'HOST_NETNS_NOT_FOUND', 1, true);
});

maybe('wait: success and failure (timeout)', () => {
  const j = success(cli('--wait', '-i', 'lo', '--timeout', '5'), 'wait');
  assert.is(j.result.name, 'lo');
  assert.equal(j.plan, []);
  failure(cli('--wait', '-i', 'eth9', '--timeout', '0.2'), 'wait', 'TIMEOUT', 1);
});

maybe('no command named: op null; a command not supported yet: its op, exit 3', () => {
  failure(pipework(['--json']), null, 'USAGE', 2);
  failure(pipework(['--json', '--dry-run']), null, 'USAGE', 2, true);
  // without --json: one line on stderr, nothing on stdout, same exit
  const r = pipework(['tc', `netns:${G}`, 'qdisc', 'add', 'dev', 'eth1', 'root', 'sfq']);
  assert.is(r.status, 3, explain(r));
  assert.is(r.stdout, '');
  assert.equal(r.errLines, ['pipework: pipework tc qdisc add: the sfq qdisc (qdisc kinds supported: tbf, htb, prio, fq_codel, netem, ingress) is not supported yet']);
});

test.run();
