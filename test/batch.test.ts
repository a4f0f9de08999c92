// pipework --batch and Pipework.batch, live, in throwaway namespaces
// (pwbat-<pid>-*): H the host, with bridge br1; guests g0..g9.
//
// Every outcome is checked through `ip -j` as well as through our output:
// which lines stood, which left nothing, the order lines on one guest ran in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Pipework, type BatchResult } from '../src';
import { parseBatchLine, runBatchLines } from '../src/cli/batch-lines';
import { BulkDetach } from '../src/pipework/bulk-detach';
import { openHost } from '../src/pipework/namespace';
import { BIN, ROOT, assertDistFresh, explain, netState, pipework, type CliResult } from './helpers/cli';
import { NetnsScope, ip, ipJson, nsExec } from './helpers/netns';
import { requireRoot } from './helpers/skip';

const maybe = requireRoot(test);
let scope: NetnsScope | undefined;
let H = '';
const g: string[] = [];
let dir = '';

test.before(() => {
  if (process.getuid?.() !== 0) return;
  assertDistFresh();
  scope = new NetnsScope('pwbat');
  H = scope.create('host');
  for (let i = 0; i < 10; i++) g.push(scope.create(`g${i}`));
  for (const ns of [H, ...g]) nsExec(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  ip(H, 'link', 'add', 'br1', 'type', 'bridge');
  ip(H, 'link', 'set', 'br1', 'up');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pwbat-'));
});

test.after(() => {
  scope?.cleanup();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Removes every guest's eth1 (and so its veth) between tests. */
test.before.each(() => {
  if (!H) return;
  for (const ns of g) spawnSync('ip', ['-n', ns, 'link', 'del', 'eth1']);
});

function batchFile(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

/** `pipework --host-netns H ...argv` with stdin. */
function cliStdin(argv: string[], input: string): CliResult {
  const r = spawnSync(process.execPath, [BIN, '--host-netns', H, ...argv], { cwd: ROOT, encoding: 'utf8', input, timeout: 60_000 });
  return { argv, status: r.status ?? 128, stdout: r.stdout, stderr: r.stderr, errLines: r.stderr.split('\n').filter(Boolean) };
}

const json = (r: CliResult) => r.stdout.trim().split('\n').map((l) => JSON.parse(l));
const addrs = (ns: string) => (ipJson<any[]>(ns, 'addr', 'show', 'dev', 'eth1')[0]?.addr_info ?? []).map((a: any) => `${a.local}/${a.prefixlen}`);
const hasEth1 = (ns: string) => ipJson<any[]>(ns, 'link', 'show').some((l) => l.ifname === 'eth1');
const hostVeths = () => ipJson<any[]>(H, '-d', 'link', 'show').filter((l) => l.linkinfo?.info_kind === 'veth');

maybe('a file: comments, blank lines, quoting, partial failure; results in input order with line numbers', () => {
  const f = batchFile(
    'mixed.txt',
    [
      '# three guests on br1, one that does not exist',
      `br1 netns:${g[0]} 192.0.2.10/24@192.0.2.1`,
      '',
      `pipework br1 -i 'eth1' "netns:${g[1]}" 192.0.2.11/24   # a comment`,
      `br1 netns:${H}-nope 192.0.2.12/24`,
      `br1 netns:${g[2]} 192.0.2.13/24`,
      `show netns:${g[0]}`,
    ].join('\n'),
  );
  const r = pipework(['--json', '--host-netns', H, '--batch', f, '--parallel', '3']);
  assert.is(r.status, 1, explain(r));
  assert.is(r.stderr, '', 'no progress line when stderr is not a TTY, nothing else with --json');
  const out = json(r);
  assert.equal(out.map((o) => o.line), [2, 4, 5, 6, 7]);
  assert.equal(out.map((o) => o.ok), [true, true, false, true, true]);
  assert.equal(out.map((o) => o.op), ['attach', 'attach', 'attach', 'attach', 'show']);
  assert.is(out[2].error.code, 'GUEST_NOT_FOUND');
  // The others stand, as ip sees them.
  assert.equal(addrs(g[0]!), ['192.0.2.10/24']);
  assert.equal(addrs(g[1]!), ['192.0.2.11/24']);
  assert.equal(addrs(g[2]!), ['192.0.2.13/24']);
  assert.is(hostVeths().length, 3);
  assert.ok(out[4].result.interfaces.some((i: any) => i.name === 'eth1'), JSON.stringify(out[4].result));
});

maybe('stdin (-), human output: successes on stdout, failures on stderr, each with its line', () => {
  const r = cliStdin(['--batch', '-'], `br1 netns:${g[3]} 192.0.2.14/24\nbr1 netns:${H}-nope 192.0.2.15/24\n`);
  assert.is(r.status, 1, explain(r));
  assert.match(r.stdout, /^line 1: attached eth1 .* to netns /);
  assert.equal(r.errLines, [`pipework: line 2: network namespace ${H}-nope does not exist`]);
  assert.equal(addrs(g[3]!), ['192.0.2.14/24']);
  const ok = cliStdin(['--batch', '-'], `detach netns:${g[3]}\n`);
  assert.is(ok.status, 0, explain(ok));
  assert.not.ok(hasEth1(g[3]!));
});

maybe('one malformed line refuses the whole file: nothing runs, every bad line named, exit 2', () => {
  const f = batchFile('bad.txt', `br1 netns:${g[0]} 192.0.2.10/24\nbr1 netns:${g[1]}\nbr1 netns:${g[2]} 'unterminated\n`);
  const before = netState([H, g[0]!, g[1]!, g[2]!]);
  const r = pipework(['--host-netns', H, '--batch', f]);
  assert.is(r.status, 2, explain(r));
  assert.is(r.stdout, '');
  assert.equal(r.errLines, [
    `pipework: line 2: missing address after guest netns:${g[1]}: e.g. 198.51.100.33/24, or 0/0 for none`,
    "pipework: line 3: unterminated ' quote at column " + (`br1 netns:${g[2]} `.length + 1),
  ]);
  assert.equal(netState([H, g[0]!, g[1]!, g[2]!]), before);
  const j = pipework(['--json', '--host-netns', H, '--batch', f]);
  assert.is(j.status, 2);
  assert.equal(json(j).map((o) => [o.line, o.ok, o.error.code]), [[2, false, 'USAGE'], [3, false, 'USAGE']]);
  assert.equal(netState([H, g[0]!, g[1]!, g[2]!]), before);
  // A missing file: one line, exit 2.
  const m = pipework(['--host-netns', H, '--batch', path.join(dir, 'none.txt')]);
  assert.is(m.status, 2);
  assert.match(m.errLines[0]!, /cannot read the batch file .*none\.txt: ENOENT/);
});

maybe('a failing line is rolled back alone (DHCP without a server, after its veth was made)', () => {
  const f = batchFile('dhcp.txt', `br1 netns:${g[4]} 192.0.2.16/24\nbr1 --dhcp-timeout 1 netns:${g[5]} dhcp\nbr1 netns:${g[6]} 192.0.2.17/24\n`);
  const r = pipework(['--json', '--host-netns', H, '--batch', f]);
  assert.is(r.status, 1, explain(r));
  const out = json(r);
  assert.equal(out.map((o) => o.ok), [true, false, true]);
  assert.is(out[1].error.code, 'TIMEOUT', JSON.stringify(out[1]));
  assert.not.ok(hasEth1(g[5]!), 'the failed line left no interface in its guest');
  assert.is(hostVeths().length, 2, 'and no host side: only the two good lines');
  assert.equal(addrs(g[4]!), ['192.0.2.16/24']);
  assert.equal(addrs(g[6]!), ['192.0.2.17/24']);
});

maybe('lines on one guest keep their order, at any parallelism', () => {
  // Attach, detach, attach again with another address, then a route: only in this order does it end with .21 and the route.
  const lines = [
    `br1 netns:${g[7]} 192.0.2.20/24`,
    `detach netns:${g[7]}`,
    `br1 netns:${g[7]} 192.0.2.21/24`,
    `route netns:${g[7]} add 203.0.113.0/24 via 192.0.2.1`,
    ...g.slice(0, 6).map((ns, i) => `br1 netns:${ns} 192.0.2.${30 + i}/24`),
  ];
  const r = pipework(['--json', '--host-netns', H, '--batch', batchFile('order.txt', lines.join('\n')), '--parallel', '16']);
  assert.is(r.status, 0, explain(r));
  const out = json(r);
  assert.equal(out.map((o) => o.line), lines.map((_, i) => i + 1));
  assert.equal(addrs(g[7]!), ['192.0.2.21/24']);
  assert.ok(ipJson<any[]>(g[7]!, 'route', 'show').some((x) => x.dst === '203.0.113.0/24' && x.gateway === '192.0.2.1'));
});

maybe('bulk detach: one group deletion for the batch, and only our links go', async () => {
  const pw = new Pipework({ hostNetns: H });
  try {
    const attached = await pw.batchAll(g.map((ns, i) => `br1 netns:${ns} 192.0.2.${40 + i}/24`));
    assert.ok(attached.every((x) => x.ok), JSON.stringify(attached.filter((x) => !x.ok)));
    // A link of someone else's put in the very group the batch will use.
    ip(H, 'link', 'add', 'pwbatforeign', 'type', 'veth', 'peer', 'name', 'pwbatforeignp');
    const host = openHost(H);
    try {
      const globals = { json: false, dryRun: false, help: false };
      const lines = g.slice(0, 5).map((ns, i) => parseBatchLine(`detach netns:${ns}`, i + 1, globals)!);
      const bulk = new BulkDetach(host);
      const group: number = await (bulk as any).groupNumber();
      assert.ok(!ipJson<any[]>(H, '-d', 'link', 'show').some((l) => l.group === String(group)), 'the group is one nobody uses');
      ip(H, 'link', 'set', 'pwbatforeign', 'group', String(group));
      for await (const r of runBatchLines(lines, host, { dryRun: false, bulk })) assert.ok(r.ok, JSON.stringify(r));
      assert.equal(bulk.stats, { groupDeletes: 0, single: 5 }, 'a foreign member: each of ours deleted on its own');
      assert.ok(ipJson<any[]>(H, 'link', 'show').some((l) => l.ifname === 'pwbatforeign'), 'the foreign link stays');
      for (const ns of g.slice(0, 5)) assert.not.ok(hasEth1(ns));
      ip(H, 'link', 'del', 'pwbatforeign');
      // Without a stranger: one RTM_DELLINK for all of them.
      const rest = g.slice(5).map((ns, i) => parseBatchLine(`detach netns:${ns}`, i + 1, globals)!);
      const bulk2 = new BulkDetach(host);
      const results = [];
      for await (const r of runBatchLines(rest, host, { dryRun: false, bulk: bulk2 })) results.push(r);
      assert.ok(results.every((r) => r.ok && (r.value.outcome.result as any).removed), JSON.stringify(results));
      assert.equal(bulk2.stats, { groupDeletes: 1, single: 0 });
      for (const ns of g.slice(5)) assert.not.ok(hasEth1(ns));
      assert.is(hostVeths().length, 0);
    } finally {
      host.close();
    }
  } finally {
    pw.close();
  }
});

maybe('the library: results in order, a malformed line rejects the batch before anything runs', async () => {
  const pw = new Pipework({ hostNetns: H });
  try {
    const before = netState([H, g[0]!]);
    const refused = await pw.batchAll([`br1 netns:${g[0]} 192.0.2.50/24`, ['br1', `netns:${g[1]}`]]).then(
      () => undefined,
      (e: any) => e,
    );
    assert.is(refused?.code, 'USAGE');
    assert.match(refused.message, /nothing was done: line 2: missing address/);
    assert.equal(netState([H, g[0]!]), before);
    const seen: BatchResult[] = [];
    for await (const r of pw.batch([['br1', `netns:${g[0]}`, '192.0.2.50/24'], `# skip`, `br1 netns:${H}-nope 0/0`, `br1 netns:${g[1]} 192.0.2.51/24`], { parallel: 2 })) seen.push(r);
    assert.equal(seen.map((r) => [r.line, r.ok]), [[1, true], [3, false], [4, true]]);
    assert.equal(addrs(g[0]!), ['192.0.2.50/24']);
    assert.equal(addrs(g[1]!), ['192.0.2.51/24']);
  } finally {
    pw.close();
  }
});

maybe('cancel: the running line rolls back, lines not started are ABORTED, finished ones stand', async () => {
  const pw = new Pipework({ hostNetns: H });
  const ac = new AbortController();
  try {
    const lines = [`br1 netns:${g[0]} 192.0.2.60/24`, `br1 --dhcp-timeout 30 netns:${g[1]} dhcp`, `br1 netns:${g[2]} 192.0.2.62/24`, `br1 netns:${g[3]} 192.0.2.63/24`];
    const seen: BatchResult[] = [];
    // Line 2 waits for a DHCP server that never answers; abort while it does.
    const timer = setTimeout(() => ac.abort(new Error('test cancels')), 700);
    for await (const r of pw.batch(lines, { parallel: 1, signal: ac.signal })) seen.push(r);
    clearTimeout(timer);
    assert.equal(seen.map((r) => [r.line, r.ok]), [[1, true], [2, false], [3, false], [4, false]]);
    assert.ok(seen.slice(1).every((r) => !r.ok && r.error.code === 'ABORTED'), JSON.stringify(seen));
    assert.equal(addrs(g[0]!), ['192.0.2.60/24']);
    for (const ns of g.slice(1, 4)) assert.not.ok(hasEth1(ns), `${ns} has nothing`);
    assert.is(hostVeths().length, 1);
  } finally {
    pw.close();
  }
});

maybe('the CLI on SIGINT: the running line rolls back, the rest are reported ABORTED, exit 1', async () => {
  const f = batchFile('int.txt', `br1 netns:${g[0]} 192.0.2.80/24\nbr1 --dhcp-timeout 30 netns:${g[1]} dhcp\nbr1 netns:${g[2]} 192.0.2.82/24\n`);
  const child = spawn(process.execPath, [BIN, '--json', '--host-netns', H, '--batch', f, '--parallel', '1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  // Line 2 waits for a DHCP server that never answers: interrupt it there.
  await new Promise((r) => setTimeout(r, 1500));
  child.kill('SIGINT');
  const status = await new Promise<number | null>((r) => child.on('close', r));
  assert.is(status, 1, stdout);
  const out = stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(out.map((o) => [o.line, o.ok, o.error?.code]), [[1, true, undefined], [2, false, 'ABORTED'], [3, false, 'ABORTED']]);
  assert.match(out[2].error.message, /not run/);
  assert.equal(addrs(g[0]!), ['192.0.2.80/24']);
  assert.not.ok(hasEth1(g[1]!), 'the interrupted line left nothing');
  assert.not.ok(hasEth1(g[2]!));
  assert.is(hostVeths().length, 1);
});

maybe('a progress line on a TTY only', () => {
  const f = batchFile('tty.txt', `br1 netns:${g[8]} 192.0.2.70/24\n`);
  // script(1) gives the child a terminal; its output is the terminal's.
  const cmd = [process.execPath, BIN, '--host-netns', H, '--batch', f].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1\/1, \d+\/s, 0 failed/);
  assert.match(r.stdout, /line 1: attached eth1/);
  const plain = pipework(['--host-netns', H, '--batch', f]);
  assert.is(plain.status, 0, explain(plain));
  assert.not.match(plain.stderr + plain.stdout, /\r|\/s, 0 failed/);
});

test.run();
