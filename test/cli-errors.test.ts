// Failures through the real CLI binary: exit status, exactly one line on
// stderr, nothing (or, with --json, one JSON object) on stdout, and no change
// left behind. "No change" is judged by `ip -j` dumps of every namespace
// involved, and by our own `pipework show --json`, taken before and after.
//
// Namespaces (all pwdock-<pid>-*, removed in after):
//   H   the host: bridge br1, a veth pair vethA/vethB (not a bridge), vethC whose peer gx9 is in G, IPv6 off
//   G   a guest: lo with 2001:db8:1::9/128, a veth pair gx0/gx1, a blackhole route to 203.0.113.77
//   G6  a guest with IPv6 disabled (all and default), as Docker leaves a --net none container

import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertDistFresh, explain, netState, pipework, pipeworkAsync, pipeworkMany, type CliResult } from './helpers/cli';
import { MALFORMED, UNSUPPORTED_LINES, type Malformed } from './helpers/malformed';
import { NetnsScope, addNetns, deleteNetns, ip, ipTry, listNetns, nsExec, uniquePrefix } from './helpers/netns';
import { requireRoot } from './helpers/skip';

const TAG = 'pwdock';
const P = uniquePrefix(TAG);
const maybe = requireRoot(test);

let scope: NetnsScope | undefined;
let H = '';
let G = '';
let G6 = '';
const BR1_MAC = '02:00:00:00:00:01';
let F = ''; // a namespace as `ip netns add` leaves it: lo down, no routes, no IPv4 table yet

test.before(() => {
  if (process.getuid?.() !== 0) return;
  assertDistFresh();
  scope = new NetnsScope(TAG); // deletes pwdock-* leftovers of processes that are gone
  H = scope.create('ehost');
  G = scope.create('eguest');
  G6 = scope.create('enov6');
  // No IPv6 in H: no link-local addresses appearing on br1 while we compare.
  nsExec(H, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  ip(H, 'link', 'add', 'br1', 'type', 'bridge');
  // A bridge whose MAC was never set takes its ports' lowest, and 00:00:00:00:00:00
  // once the last one leaves: pin it, or every port that comes and goes changes it.
  ip(H, 'link', 'set', 'br1', 'address', BR1_MAC, 'up');
  ip(H, 'link', 'add', 'vethA', 'type', 'veth', 'peer', 'name', 'vethB');
  ip(H, 'link', 'add', 'vethC', 'type', 'veth', 'peer', 'name', 'gx9', 'netns', G);
  ip(G, 'addr', 'add', '2001:db8:1::9/128', 'dev', 'lo');
  ip(G, 'link', 'add', 'gx0', 'type', 'veth', 'peer', 'name', 'gx1');
  ip(G, 'route', 'add', 'blackhole', '203.0.113.77/32');
  nsExec(G6, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  F = scope.name('efresh');
  deleteNetns(F);
  addNetns(F);
});

test.after(() => {
  if (scope) for (const ns of [H, G, G6, F]) if (ns) scope.delete(ns);
});

/** Everything a failed command must leave as it was. */
async function snapshot(): Promise<unknown> {
  const shown = async (ns: string) => {
    const r = await pipeworkAsync(['show', '--json', `netns:${ns}`]);
    assert.is(r.status, 0, explain(r));
    return JSON.parse(r.stdout).result;
  };
  const [sg, sg6] = await Promise.all([shown(G), shown(G6)]);
  return {
    ip: netState([H, G, G6]),
    show: { G: sg, G6: sg6 },
    // no namespace of ours appeared or went
    namespaces: listNetns().filter((n) => n.startsWith(P)).sort(),
  };
}

function fmt(r: CliResult): string {
  return explain(r);
}

// ---- the malformed table ---------------------------------------------------

/**
 * The table's command lines, aimed at our namespaces: the guest web1 becomes
 * netns:G, and `--host-netns H` goes first unless the entry is about
 * --host-netns itself; those keep their own (broken) --host-netns, and their
 * br1 becomes a name that can never be created, so that even a parser that let
 * them through could not touch this machine's own namespace.
 */
function aimed(m: Malformed): { argv: string[]; mentions: string } {
  const ownHost = m.argv.some((a) => a.startsWith('--host-netns'));
  const map = (a: string) => (a === 'web1' ? `netns:${G}` : ownHost && a === 'br1' ? 'nosuchif0' : a);
  return {
    argv: [...(ownHost ? [] : ['--host-netns', H]), ...m.argv.map(map)],
    mentions: m.mentions === 'web1' ? `netns:${G}` : m.mentions,
  };
}

/**
 * Problems with one refused run ('' when none). jsonOut: stdout must be the
 * JSON error and stderr empty; false: one line on stderr and empty stdout;
 * 'either': one of the two.
 */
function refusalProblems(r: CliResult, mentions: string, jsonOut: boolean | 'either', code: 'USAGE' | 'UNSUPPORTED' = 'USAGE'): string[] {
  const p: string[] = [];
  const status = code === 'USAGE' ? 2 : 3;
  if (r.status !== status) p.push(`exit ${r.status}, want ${status}`);
  if (jsonOut === false || (jsonOut === 'either' && r.stdout === '')) {
    if (r.errLines.length !== 1 || !r.stderr.endsWith('\n')) p.push(`${r.errLines.length} stderr lines, want 1`);
    const line = r.errLines[0] ?? '';
    if (!line.startsWith('pipework: ')) p.push('stderr does not start with "pipework: "');
    if (!line.includes(mentions)) p.push(`stderr does not mention ${JSON.stringify(mentions)}`);
    if (r.stdout !== '') p.push('stdout not empty');
  } else {
    if (r.stderr !== '') p.push('stderr not empty with --json');
    try {
      const j = JSON.parse(r.stdout);
      if (j.ok !== false) p.push('JSON ok is not false');
      if (j.error?.code !== code) p.push(`JSON error.code ${j.error?.code}, want ${code}`);
      if (typeof j.error?.message !== 'string' || !j.error.message.includes(mentions)) p.push(`JSON error.message does not mention ${JSON.stringify(mentions)}`);
      if (/[\r\n]/.test(j.error?.message ?? '')) p.push('JSON error.message is not one line');
    } catch {
      p.push('stdout is not JSON');
    }
  }
  return p;
}

maybe(`the ${MALFORMED.length} malformed command lines: exit 2, one line naming the fault, empty stdout, nothing changed`, async () => {
  assert.ok(MALFORMED.length >= 80, `the table has ${MALFORMED.length} entries`);
  const before = await snapshot();
  const lines = MALFORMED.map(aimed);
  const results = await pipeworkMany(lines.map((l) => l.argv));
  const bad: string[] = [];
  results.forEach((r, i) => {
    const { argv, mentions } = lines[i]!;
    // --json as an option asks for JSON; as the value of --host-netns it is ambiguous.
    const at = argv.indexOf('--json');
    const jsonOut = at < 0 ? false : argv[at - 1] === '--host-netns' ? 'either' : true;
    const p = refusalProblems(r, mentions, jsonOut);
    if (p.length) bad.push(`${p.join('; ')}: ${fmt(r)}`);
  });
  assert.equal(bad, [], `${bad.length} of ${MALFORMED.length} entries misbehaved:\n${bad.join('\n')}`);
  assert.equal(await snapshot(), before, 'the malformed lines changed something');
});

maybe('--json first on every malformed line: one JSON object {ok:false, error:{code:USAGE}} on stdout, nothing on stderr, exit 2', async () => {
  const before = await snapshot();
  const lines = MALFORMED.map(aimed);
  const results = await pipeworkMany(lines.map((l) => ['--json', ...l.argv]));
  const bad: string[] = [];
  results.forEach((r, i) => {
    const p = refusalProblems(r, lines[i]!.mentions, true);
    if (p.length) bad.push(`${p.join('; ')}: ${fmt(r)}`);
  });
  assert.equal(bad, [], `${bad.length} entries misbehaved:\n${bad.join('\n')}`);
  // One in full, to pin the shape.
  const r = pipework(['--json', '--host-netns', H, 'br1', `netns:${G}`, '198.51.100.33']);
  assert.is(r.status, 2, fmt(r));
  const j = JSON.parse(r.stdout);
  assert.equal(Object.keys(j).sort(), ['dryRun', 'error', 'ok', 'op']);
  assert.equal(Object.keys(j.error).sort(), ['code', 'message']);
  assert.is(j.ok, false);
  assert.is(j.op, 'attach');
  assert.is(j.dryRun, false);
  assert.is(j.error.code, 'USAGE');
  assert.match(j.error.message, /198\.51\.100\.33\/24/);
  assert.is(r.stderr, '');
  assert.equal(await snapshot(), before);
});

maybe(`the ${UNSUPPORTED_LINES.length} not-supported-yet forms: exit 3, one line naming the feature (or, with --json, the JSON error alone), nothing changed`, async () => {
  const before = await snapshot();
  const lines = UNSUPPORTED_LINES.map(aimed);
  const plain = await pipeworkMany(lines.map((l) => l.argv));
  const json = await pipeworkMany(lines.map((l) => ['--json', ...l.argv]));
  const bad: string[] = [];
  lines.forEach((l, i) => {
    for (const [r, jsonOut] of [[plain[i]!, false], [json[i]!, true]] as const) {
      const p = refusalProblems(r, l.mentions, jsonOut, 'UNSUPPORTED');
      if (!jsonOut && !/ is not supported yet$/.test(r.errLines[0] ?? '')) p.push('the line does not end with "is not supported yet"');
      if (p.length) bad.push(`${p.join('; ')}: ${fmt(r)}`);
    }
  });
  assert.equal(bad, [], `${bad.length} runs misbehaved:\n${bad.join('\n')}`);
  assert.equal(await snapshot(), before);
});

// ---- refused after parsing, before any change -------------------------------

interface Failure {
  what: string;
  argv: () => string[];
  status: 1 | 2 | 3;
  error: () => RegExp;
  /** Exact name of links that must not exist in H afterwards. */
  absentInHost?: string[];
}

const PLANNING: Failure[] = [
  { what: 'missing netns guest', argv: () => ['br1', `netns:${P}nope`, '198.51.100.33/24'], status: 1, error: () => new RegExp(`^pipework: network namespace ${P}nope does not exist$`) },
  { what: 'unprefixed guest that is nothing', argv: () => ['br1', `${P}nothing`, '198.51.100.33/24'], status: 1, error: () => new RegExp(`no (container, )?network namespace or process named ${P}nothing`) }, // without an engine: '..., and Docker is not reachable'
  { what: 'a PID no process can have', argv: () => ['br1', 'pid:4194305', '198.51.100.33/24'], status: 1, error: () => /^pipework: no process with PID 4194305$/ },
  { what: 'path: that is not a namespace', argv: () => ['br1', 'path:/etc/hostname', '198.51.100.33/24'], status: 1, error: () => /not a network namespace/ },
  { what: 'host interface missing, not br*', argv: () => ['nosuchif', `netns:${G}`, '198.51.100.33/24'], status: 1, error: () => /^pipework: host interface nosuchif does not exist/, absentInHost: ['nosuchif'] },
  { what: "host interface the host end of a guest's veth", argv: () => ['vethC', `netns:${G}`, '198.51.100.33/24'], status: 1, error: () => /^pipework: host interface vethC is one end of a veth whose other end is in another namespace/ },
  { what: 'host interface lo', argv: () => ['lo', `netns:${G}`, '198.51.100.33/24'], status: 1, error: () => /^pipework: host interface lo is a loopback device/ },
  { what: 'a missing ovs* name, no Open vSwitch database there', argv: () => ['--ovsdb', `unix:/nonexistent/${P}db.sock`, 'ovsbr0', `netns:${G}`, '198.51.100.33/24'], status: 1, error: () => /^pipework: Open vSwitch database at unix:\/nonexistent\/\S+db\.sock is not reachable: no such socket \(is ovsdb-server running\?\)$/, absentInHost: ['ovsbr0'] },
  { what: 'guest already has lo', argv: () => ['brNEW', '-i', 'lo', `netns:${G}`, '198.51.100.33/24'], status: 1, error: () => new RegExp(`^pipework: netns ${G} already has an interface lo$`), absentInHost: ['brNEW'] },
  { what: 'guest already has gx0', argv: () => ['br1', '-i', 'gx0', `netns:${G}`, '198.51.100.33/24'], status: 1, error: () => /already has an interface gx0$/ },
  { what: '-l names a link that exists in H', argv: () => ['br1', '-l', 'vethB', `netns:${G}`, '198.51.100.33/24'], status: 1, error: () => /^pipework: host interface vethB already exists$/ },
  { what: '-l exists, bridge to create', argv: () => ['brNEW', '-l', 'vethB', `netns:${G}`, '198.51.100.33/24'], status: 1, error: () => /vethB already exists/, absentInHost: ['brNEW'] },
  { what: 'detach -i lo: not ours', argv: () => ['detach', '-i', 'lo', `netns:${G}`], status: 1, error: () => /^pipework: netns \S+'s lo was not made by pipework \(it carries no pipework mark\): not removing it; --force would$/ },
  { what: 'detach --force -i lo: the kernel refuses to delete lo', argv: () => ['detach', '--force', '-i', 'lo', `netns:${G}`], status: 1, error: () => /^pipework: delete lo in netns \S+ failed: (EOPNOTSUPP|ENOTSUP)/ },
  { what: 'detach from a missing guest', argv: () => ['detach', `netns:${P}nope`], status: 1, error: () => /does not exist/ },
  { what: 'show of a missing guest', argv: () => ['show', `netns:${P}nope`], status: 1, error: () => /does not exist/ },
  // @4095 could be an IPoIB partition key: refused as a VLAN id once brNEW is known to be a bridge
  { what: 'VLAN 4095 on a bridge', argv: () => ['brNEW', `netns:${G}`, '198.51.100.33/24', '@4095'], status: 2, error: () => /^pipework: VLAN id 4095 in @4095 is out of range: 1\.\.4094$/, absentInHost: ['brNEW'] },
  { what: 'all-zero MAC', argv: () => ['brNEW', `netns:${G}`, '198.51.100.33/24', '00:00:00:00:00:00'], status: 2, error: () => /00:00:00:00:00:00/, absentInHost: ['brNEW'] },
  { what: 'broadcast MAC', argv: () => ['brNEW', `netns:${G}`, '198.51.100.33/24', 'ff:ff:ff:ff:ff:ff'], status: 2, error: () => /ff:ff:ff:ff:ff:ff/, absentInHost: ['brNEW'] },
  { what: "MAC equal to the bridge's own", argv: () => ['br1', `netns:${G}`, '198.51.100.33/24', BR1_MAC], status: 1, error: () => new RegExp(`^pipework: MAC ${BR1_MAC} is bridge br1's own address$`) },
  { what: 'loopback gateway', argv: () => ['brNEW', `netns:${G}`, '198.51.100.33/24@127.0.0.1'], status: 2, error: () => /127\.0\.0\.1/, absentInHost: ['brNEW'] },
];

function check(f: Failure, r: CliResult): void {
  assert.is(r.status, f.status, `${f.what}: ${fmt(r)}`);
  assert.is(r.errLines.length, 1, `${f.what}: ${fmt(r)}`);
  assert.ok(r.stderr.endsWith('\n'), `${f.what}: ${fmt(r)}`);
  assert.match(r.errLines[0]!, f.error(), `${f.what}: ${fmt(r)}`);
  assert.is(r.stdout, '', `${f.what}: ${fmt(r)}`);
  for (const name of f.absentInHost ?? []) assert.is.not(ipTry(H, 'link', 'show', name).status, 0, `${f.what}: ${name} left in H`);
}

maybe(`${PLANNING.length} failures found while resolving or planning: right exit, one line, nothing changed`, async () => {
  const before = await snapshot();
  for (const f of PLANNING) {
    const argv = f.argv()[0] === 'show' ? f.argv() : ['--host-netns', H, ...f.argv()];
    check(f, pipework(argv));
    assert.equal(await snapshot(), before, `${f.what} changed something`);
  }
});

maybe('--host-netns that is missing or not a namespace: exit 1, one line naming the option, nothing changed', async () => {
  const before = await snapshot();
  check(
    { what: 'missing host netns', argv: () => [], status: 1, error: () => new RegExp(`^pipework: --host-netns: .*${P}nohost does not exist$`) },
    pipework(['--host-netns', `${P}nohost`, 'br1', `netns:${G}`, '198.51.100.33/24']),
  );
  check(
    { what: 'host netns a plain file', argv: () => [], status: 1, error: () => /^pipework: --host-netns: \/etc\/hostname is not a network namespace/ },
    pipework(['--host-netns', '/etc/hostname', 'br1', `netns:${G}`, '198.51.100.33/24']),
  );
  assert.equal(await snapshot(), before);
});

// ---- failing after changes were made: rollback ------------------------------

/** `ip monitor link` in H, known to be listening, that can be told to flush and stop. */
async function monitorHost(): Promise<{ stop(): Promise<string> }> {
  const child: ChildProcess = spawn('ip', ['-n', H, 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  // Readiness and flushing: a marker link that the monitor must report being deleted.
  const marker = async (name: string) => {
    ip(H, 'link', 'add', name, 'type', 'bridge');
    ip(H, 'link', 'delete', name);
    for (let i = 0; i < 500 && !new RegExp(`Deleted .*\\b${name}\\b`).test(out); i++) await new Promise((r) => setTimeout(r, 10));
    if (!new RegExp(`Deleted .*\\b${name}\\b`).test(out)) {
      child.kill('SIGKILL');
      throw new Error(`ip monitor never reported ${name}: ${out}`);
    }
  };
  await marker('pwmark0');
  const start = out.length;
  return {
    stop: async () => {
      await marker('pwmark1');
      child.kill('SIGKILL');
      const seen = out.slice(start);
      const end = seen.indexOf('pwmark1');
      return end < 0 ? seen : seen.slice(0, seen.lastIndexOf('\n', end) + 1);
    },
  };
}

const ROLLBACK: Failure[] = [
  {
    what: 'a gateway that only a blackhole route reaches: the on-link route clashes, existing bridge',
    argv: () => ['br1', `netns:${G}`, '198.51.100.33/24@203.0.113.77'],
    status: 1,
    error: () => /^pipework: add on-link route to gateway 203\.0\.113\.77 via eth1 failed: EEXIST/,
  },
  {
    what: 'a gateway that only a blackhole route reaches, bridge to create',
    argv: () => ['brNEW', `netns:${G}`, '198.51.100.33/24@203.0.113.77'],
    status: 1,
    error: () => /EEXIST/,
    absentInHost: ['brNEW'],
  },
  {
    what: "IPv6 gateway that is the guest's own address (kernel: not a local address), bridge to create",
    argv: () => ['brNEW', '-i', 'eth7', `netns:${G}`, '2001:db8::33/64@2001:db8:1::9'],
    status: 1,
    error: () => /^pipework: set default route via 2001:db8:1::9 on eth7 failed: EINVAL.*Gateway can not be a local address/,
    absentInHost: ['brNEW'],
  },
];

maybe('failures after the bridge and the veth were made: both rolled back, one line, nothing left', async () => {
  for (const f of ROLLBACK) {
    const before = await snapshot();
    const mon = await monitorHost();
    const r = pipework(['--host-netns', H, ...f.argv()]);
    const events = await mon.stop();
    check(f, r);
    assert.equal(await snapshot(), before, `${f.what} left something behind`);
    // It did get as far as making things: the veth (and the bridge) appeared, then went.
    const made = events.split('\n').filter((l) => /^\d+: /.test(l));
    const gone = events.split('\n').filter((l) => /^Deleted /.test(l));
    assert.ok(made.some((l) => /^\d+: veth\w*pl\w+@/.test(l)), `${f.what}: no veth was created:\n${events}`);
    assert.ok(gone.some((l) => /veth\w*pl\w+@/.test(l)), `${f.what}: the veth was not deleted:\n${events}`);
    if (f.argv()[0] === 'brNEW') {
      assert.ok(made.some((l) => /^\d+: brNEW:/.test(l)), `${f.what}: brNEW was never created:\n${events}`);
      assert.ok(gone.some((l) => /^Deleted \d+: brNEW:/.test(l)), `${f.what}: brNEW was not deleted:\n${events}`);
    }
  }
});

maybe('--json on operational failures: exit 1, {ok:false, op, dryRun, error:{code, errno?, message}}, nothing on stderr', async () => {
  const before = await snapshot();
  const missing = pipework(['--json', '--host-netns', H, 'br1', `netns:${P}nope`, '198.51.100.33/24']);
  assert.is(missing.status, 1, fmt(missing));
  const j1 = JSON.parse(missing.stdout);
  assert.is(j1.ok, false);
  assert.is(j1.error.code, 'GUEST_NOT_FOUND');
  assert.equal(Object.keys(j1.error).sort(), ['code', 'message'], 'no errno when there is none');
  assert.is(missing.stderr, '');

  const kernel = pipework(['--json', '--host-netns', H, 'brNEW', `netns:${G}`, '198.51.100.33/24@203.0.113.77']);
  assert.is(kernel.status, 1, fmt(kernel));
  const j2 = JSON.parse(kernel.stdout);
  assert.is(j2.ok, false);
  assert.is(j2.error.code, 'KERNEL');
  assert.is(j2.error.errno, 'EEXIST');
  assert.match(j2.error.message, /^add on-link route to gateway 203\.0\.113\.77 via eth1 failed: EEXIST/);
  assert.is(kernel.stderr, '', fmt(kernel));
  assert.equal(await snapshot(), before);
});

maybe('--dry-run of an attach that would create a bridge changes nothing', async () => {
  const before = await snapshot();
  const r = pipework(['--dry-run', '--host-netns', H, 'brNEW', `netns:${G}`, '198.51.100.33/24@198.51.100.1']);
  assert.is(r.status, 0, fmt(r));
  assert.is(r.stderr, '');
  assert.match(r.stdout, new RegExp(`^ip netns exec ${H} ip link add brNEW up type bridge$`, 'm'));
  assert.match(r.stdout, /route replace default via 198\.51\.100\.1 dev eth1$/m);
  assert.equal(await snapshot(), before);
});

// Not an error case any more: before, the kernel refused the address (EACCES,
// "IPv6 is disabled on this device") and the attach rolled back.
maybe('IPv6 into a guest with IPv6 disabled: enabled on the new interface alone (--dry-run shows it), then detach leaves nothing', async () => {
  const before = await snapshot();
  const dry = pipework(['--dry-run', '--host-netns', H, 'br1', `netns:${G6}`, '2001:db8::33/64']);
  assert.is(dry.status, 0, fmt(dry));
  assert.match(dry.stdout, new RegExp(`^ip netns exec ${G6} sysctl -w net\\.ipv6\\.conf\\.eth1\\.disable_ipv6=0$`, 'm'));
  assert.equal(await snapshot(), before, '--dry-run changed nothing');
  const r = pipework(['--host-netns', H, 'br1', `netns:${G6}`, '2001:db8::33/64']);
  assert.is(r.status, 0, fmt(r));
  const sysctl = (key: string) => nsExec(G6, 'cat', `/proc/sys/net/ipv6/conf/${key}/disable_ipv6`).trim();
  assert.is(sysctl('eth1'), '0');
  assert.is(sysctl('all'), '1', 'the rest of the guest keeps IPv6 off');
  assert.is(sysctl('default'), '1');
  const addrs = JSON.parse(nsExec(G6, 'ip', '-j', '-6', 'addr', 'show', 'dev', 'eth1'));
  assert.ok(addrs[0].addr_info.some((a: any) => a.local === '2001:db8::33' && a.prefixlen === 64), JSON.stringify(addrs));
  const d = pipework(['--host-netns', H, 'detach', `netns:${G6}`]);
  assert.is(d.status, 0, fmt(d));
  assert.equal(await snapshot(), before);
});

// Not an error case: the control for "show works on what we compare with".
// A namespace fresh from `ip netns add` has no IPv4 main table until a route
// exists; a strict-checked RTM_GETROUTE dump for table main then gets ENOENT
// ("ipv4: FIB table does not exist"), which `ip route` never shows.
maybe('show of a fresh namespace (lo never up, no routes at all) succeeds and lists lo', async () => {
  const r = pipework(['show', '--json', `netns:${F}`]);
  assert.is(r.status, 0, fmt(r));
  const j = JSON.parse(r.stdout);
  assert.equal(j.result.interfaces.map((i: any) => [i.name, i.up]), [['lo', false]]);
  assert.equal(j.result.routes, []);
});

test.run();
