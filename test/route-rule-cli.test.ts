// pipework route and rule through the real CLI, in a namespace the test owns:
// malformed lines refused (exit 2, one line naming the word, nothing sent:
// the routes and rules before and after are the same), show/get against
// ip's own output and ip -j, the kernel's extended ACK text, --dry-run,
// flush and its rollback-free completion, and the library.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pipework } from '../src';
import { assertDistFresh, explain, netState, pipework } from './helpers/cli';
import { NetnsScope, ip, ipJson, nsExec } from './helpers/netns';
import { requireRoot } from './helpers/skip';

const maybe = requireRoot(test);
let scope: NetnsScope;
let G = '';

/** Lines refused by parsing alone: [words after `route|rule <guest>`, what the message must name]. */
export const ROUTE_RULE_MALFORMED: Array<[string, string[], string]> = [
  ['route', [], 'route command'],
  ['route', ['frob'], 'frob'],
  ['route', ['add'], 'destination'],
  ['route', ['add', '203.0.113.0/33'], '203.0.113.0/33'],
  ['route', ['add', '203.0.113.0/024'], '203.0.113.0/024'],
  ['route', ['add', '203.0.113.300/24'], '203.0.113.300/24'],
  ['route', ['add', 'fe80::1%eth1/64'], 'fe80::1%eth1/64'],
  ['route', ['add', '203.0.113.0/24', 'via'], 'via'],
  ['route', ['add', '203.0.113.0/24', 'via', 'gw1'], 'gw1'],
  ['route', ['add', '203.0.113.0/24', 'via', '2001:db8::1'], '2001:db8::1'],
  ['route', ['-6', 'add', '203.0.113.0/24'], '203.0.113.0/24'],
  ['route', ['add', '203.0.113.0/24', 'metric', '-1'], '-1'],
  ['route', ['add', '203.0.113.0/24', 'metric', '4294967296'], '4294967296'],
  ['route', ['add', '203.0.113.0/24', 'metric', '010'], '010'],
  ['route', ['add', '203.0.113.0/24', 'table', 'nosuch'], 'nosuch'],
  ['route', ['add', '203.0.113.0/24', 'table', '0'], '0'],
  ['route', ['add', '203.0.113.0/24', 'proto', 'frob'], 'frob'],
  ['route', ['add', '203.0.113.0/24', 'proto', '256'], '256'],
  ['route', ['add', '203.0.113.0/24', 'scope', 'galaxy'], 'galaxy'],
  ['route', ['add', '203.0.113.0/24', 'mtu', '0'], '0'],
  ['route', ['add', '203.0.113.0/24', 'mtu', 'lock', '1400'], 'lock'],
  ['route', ['add', '203.0.113.0/24', 'type', 'local'], 'local'],
  ['route', ['add', 'blackhole', 'unreachable', '203.0.113.0/24'], 'unreachable'],
  ['route', ['add', '203.0.113.0/24', 'dev', 'eth0123456789abc'], 'eth0123456789abc'],
  ['route', ['add', '203.0.113.0/24', 'metric', '1', 'metric', '2'], 'metric'],
  ['route', ['add', '203.0.113.0/24', 'to', '203.0.114.0/24'], 'to'],
  ['route', ['add', '203.0.113.0/24', 'nexthop', 'via', '198.51.100.1'], 'nexthop'],
  ['route', ['get'], 'address'],
  ['route', ['get', '203.0.113.0/24'], '203.0.113.0/24'],
  ['route', ['show', 'table', 'everything'], 'everything'],
  ['route', ['show', 'type', 'frob'], 'frob'],
  ['route', ['flush'], 'flush'],
  ['route', ['show', '203.0.113.0/24'], '203.0.113.0/24'],
  ['rule', [], 'rule command'],
  ['rule', ['flush'], 'flush'],
  ['rule', ['add', 'from'], 'from'],
  ['rule', ['add', 'from', '198.51.100.0/33'], '198.51.100.0/33'],
  ['rule', ['add', 'from', '198.51.100.1', 'to', '2001:db8::/64'], '2001:db8::/64'],
  ['rule', ['add', 'pref', 'high'], 'high'],
  ['rule', ['add', 'fwmark', '0x10/'], '0x10/'],
  ['rule', ['add', 'fwmark', 'mark7'], 'mark7'],
  ['rule', ['add', 'table', '7', 'lookup', '8'], 'lookup'],
  ['rule', ['add', 'table', '7', 'goto', '100'], 'goto'],
  ['rule', ['add', 'iif', 'eth/1'], 'eth/1'],
  ['rule', ['add', 'oif', ''], 'oif'],
  ['rule', ['add', 'from', '198.51.100.1', 'blackhole'], 'blackhole'],
  ['rule', ['del'], 'del'],
  ['rule', ['show', 'table', '1'], 'table'],
];

test.before(() => {
  assertDistFresh();
  if (process.getuid?.() !== 0) return;
  scope = new NetnsScope('pwrr');
  G = scope.create('cli');
  // No DAD: a link-local address leaving "tentative" midway would change the dumps the test compares.
  nsExec(G, 'sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0');
  ip(G, 'link', 'add', 'eth2', 'type', 'veth', 'peer', 'name', 'eth1');
  for (const d of ['eth1', 'eth2']) ip(G, 'link', 'set', d, 'up');
  ip(G, 'addr', 'add', '198.51.100.33/24', 'dev', 'eth1');
  ip(G, 'addr', 'add', '2001:db8::5/64', 'nodad', 'dev', 'eth1');
});
test.after(() => scope?.cleanup());

const rr = (object: string, ...words: string[]) => pipework([object, `netns:${G}`, ...words]);
const rules = () => [...ipJson(G, 'rule', 'show'), ...ipJson(G, '-6', 'rule', 'show')];

maybe(`${ROUTE_RULE_MALFORMED.length} malformed route and rule lines: exit 2, one line naming the word, nothing changed`, () => {
  assert.ok(ROUTE_RULE_MALFORMED.length >= 30);
  ip(G, 'route', 'add', '203.0.113.0/24', 'via', '198.51.100.1');
  const before = { net: netState([G]), rules: rules() };
  for (const [object, words, mentions] of ROUTE_RULE_MALFORMED) {
    for (const json of [false, true]) {
      const r = pipework([...(json ? ['--json'] : []), object, `netns:${G}`, ...words]);
      assert.is(r.status, 2, explain(r));
      if (json) {
        const j = JSON.parse(r.stdout);
        assert.equal([j.ok, j.op, j.error.code], [false, object, 'USAGE'], explain(r));
      } else {
        assert.is(r.errLines.length, 1, explain(r));
        assert.ok(r.errLines[0]!.includes(mentions), `${explain(r)} should name ${mentions}`);
        assert.is(r.stdout, '');
      }
    }
  }
  assert.equal({ net: netState([G]), rules: rules() }, before);
});

maybe('show and get print what ip prints, and --json holds what ip -j holds', () => {
  assert.is(rr('route', 'add', 'blackhole', '203.0.114.0/24', 'metric', '5').status, 0);
  assert.is(rr('route', 'add', '203.0.115.0/24', 'dev', 'eth1', 'table', '100', 'proto', 'static', 'src', '198.51.100.33', 'mtu', '1400').status, 0);
  assert.is(rr('route', 'add', '2001:db8:5::/48', 'via', '2001:db8::1', 'mtu', '1300').status, 0);
  assert.is(rr('rule', 'add', 'not', 'from', '198.51.100.34', 'fwmark', '0x10/0xff', 'iif', 'eth1', 'lookup', '100', 'pref', '300').status, 0);
  assert.is(rr('rule', 'add', 'pref', '400', 'goto', '500').status, 0);
  const views: string[][] = [
    ['route', 'show'], ['route', 'show', 'table', 'all'], ['route', '-6', 'show', 'table', 'all'], ['route', 'show', 'table', '100'],
    ['route', 'show', 'dev', 'eth1', 'proto', 'kernel', 'scope', 'link'], ['route', 'show', 'table', 'local', 'type', 'local'],
    ['route', 'get', '203.0.113.5'], ['route', 'get', '2001:db8:5::1'], ['route', 'get', '198.51.100.33'],
    ['rule', 'show'], ['rule', '-6', 'show'],
  ];
  for (const v of views) {
    const [object, ...words] = v;
    const fam = words[0]?.startsWith('-') ? [words.shift()!] : [];
    const r = rr(object!, ...fam, ...words);
    assert.is(r.status, 0, explain(r));
    assert.is(r.stdout, ip(G, ...fam, object!, ...words), `pipework ${v.join(' ')}`);
    const j = JSON.parse(pipework(['--json', object!, `netns:${G}`, ...fam, ...words]).stdout);
    assert.equal(j.result[object === 'rule' ? 'rules' : 'routes'], ipJson(G, ...fam, object!, ...words), `--json ${v.join(' ')}`);
  }
});

maybe("the kernel's refusal carries its extended ACK text; a missing dev sends nothing", () => {
  const r = rr('route', 'add', '203.0.116.0/24', 'via', '203.0.117.1');
  assert.is(r.status, 1, explain(r));
  assert.equal(r.errLines, [`pipework: add route 203.0.116.0/24 via 203.0.117.1 in netns ${G} failed: ENETUNREACH: network is unreachable (kernel: Nexthop has invalid gateway)`]);
  const j = JSON.parse(pipework(['--json', 'route', `netns:${G}`, 'add', '203.0.116.0/24', 'via', '203.0.117.1']).stdout);
  assert.equal([j.error.code, j.error.errno], ['KERNEL', 'ENETUNREACH']);
  const before = netState([G]);
  const m = rr('route', 'add', '203.0.116.0/24', 'dev', 'eth9');
  assert.is(m.status, 1, explain(m));
  assert.match(m.errLines[0]!, /Cannot find device "eth9"/);
  assert.equal(netState([G]), before);
});

maybe('--dry-run prints the ip command and changes nothing; flush deletes what show lists', () => {
  const before = netState([G]);
  const d = pipework(['--dry-run', 'route', `netns:${G}`, '-6', 'add', 'default', 'via', '2001:db8::1', 'dev', 'eth1']);
  assert.is(d.stdout.trim(), `ip netns exec ${G} ip -6 route add default via 2001:db8::1 dev eth1`, explain(d));
  const rd = pipework(['--dry-run', 'rule', `netns:${G}`, 'add', 'from', '198.51.100.33/32', 'table', '1']);
  assert.is(rd.stdout.trim(), `ip netns exec ${G} ip rule add from 198.51.100.33/32 table 1`, explain(rd));
  const fd = pipework(['--dry-run', 'route', `netns:${G}`, 'flush', 'table', '100']);
  assert.is(fd.stdout.trim(), `ip netns exec ${G} ip route del 203.0.115.0/24 dev eth1 table 100 proto static scope link src 198.51.100.33 mtu 1400`, explain(fd));
  assert.equal(netState([G]), before);
  const f = rr('route', 'flush', 'table', '100');
  assert.is(f.status, 0, explain(f));
  assert.equal(ipJson(G, 'route', 'show', 'table', '100'), []);
});

maybe("the library: pw.route and pw.rule with words or an object, the original's examples", async () => {
  const pw = new Pipework();
  try {
    await pw.route(`netns:${G}`, ['add', '203.0.120.0/24', 'via', '198.51.100.1']);
    await pw.rule(`netns:${G}`, { command: 'add', from: '198.51.100.33/32', table: 1 });
    assert.ok(ipJson(G, 'route', 'show').some((x: any) => x.dst === '203.0.120.0/24' && x.gateway === '198.51.100.1'));
    assert.ok(ipJson(G, 'rule', 'show').some((x: any) => x.src === '198.51.100.33' && x.table === '1'));
    const got = await pw.route(`netns:${G}`, { command: 'get', to: '203.0.120.7' });
    assert.equal(got.routes, ipJson(G, 'route', 'get', '203.0.120.7'));
    await pw.route(`netns:${G}`, { command: 'del', to: '203.0.120.0/24' });
    assert.ok(!ipJson(G, 'route', 'show').some((x: any) => x.dst === '203.0.120.0/24'));
    try {
      await pw.route(`netns:${G}`, { command: 'add', to: '203.0.120.0/24', metric: -1 });
      assert.unreachable();
    } catch (e) {
      assert.is((e as { code?: string }).code, 'USAGE');
    }
  } finally {
    pw.close();
  }
});

test.run();
