// pipework route and rule against iproute2 6.1: for every form of
// test/golden/route-rule-cases.ts, the words read into a request, the `ip`
// command --dry-run prints for it, and the message we send, byte for byte the
// one `ip` sent for that command (test/golden/route-rule-captures.ts). Then,
// live: the captures still hold, and our messages leave the kernel in the
// state iproute2's leave (ip -j of both namespaces).
//
// Compared as the kernel receives them: our flags | NLM_F_REQUEST | NLM_F_ACK
// (| NLM_F_DUMP for a dump), which the socket adds at send time. iproute2
// sends `ip route get` without NLM_F_ACK; our socket always asks for one (the
// reply comes before it), so for get the ACK bit is cleared before comparing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from '../src/netlink';
import { encodeRouteRequest } from '../src/pipework/route';
import { encodeRuleRequest } from '../src/pipework/rule';
import { routeRequest, routeWords, ruleRequest, ruleWords } from '../src/request';
import { RTM_GETROUTE } from '../src/rtnl';
import { CAPTURED } from './golden/route-rule-captures';
import { CASES, setupCommands, type Case } from './golden/route-rule-cases';
import { assertDistFresh, explain, pipework } from './helpers/cli';
import { NetnsScope, ip, ipJson, ipTry } from './helpers/netns';
import { requireRoot } from './helpers/skip';
import { captureIp, have, iproute2Version } from './helpers/strace';

const ETH1 = 2; // its ifindex in the capture namespace

function ours(c: Case): Buffer {
  if (c.object === 'route') {
    const req = routeRequest('netns:x', c.words);
    return encodeRouteRequest(req, req.dev === undefined ? undefined : ETH1);
  }
  return encodeRuleRequest(ruleRequest('netns:x', c.words));
}

function ipLine(c: Case): string {
  const { options, words } = c.object === 'route' ? routeWords(routeRequest('netns:x', c.words)) : ruleWords(ruleRequest('netns:x', c.words));
  return [...options, c.object, ...words].join(' ');
}

function sent(msg: Buffer, c: Case): string {
  const m = Buffer.from(msg);
  const dump = /^(-\d )?(route|rule) (show|flush)/.test(c.ip);
  let flags = m.readUInt16LE(6) | NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK);
  if (m.readUInt16LE(4) === RTM_GETROUTE && !dump) flags &= ~NLM_F_ACK;
  m.writeUInt16LE(flags, 6);
  return m.toString('hex');
}

for (const c of CASES) {
  test(`${c.object} ${c.words.join(' ')} == ip ${c.ip}`, () => {
    assert.is(ipLine(c), c.ip, 'the ip command --dry-run prints');
    const golden = CAPTURED[c.ip];
    assert.ok(golden, `no capture for ${c.ip}`);
    assert.is(sent(ours(c), c), golden);
  });
}

test('every capture has its case, and the cases cover every route and rule command', () => {
  assert.equal(Object.keys(CAPTURED).sort(), CASES.map((c) => c.ip).sort());
  const cmds = new Set(CASES.map((c) => `${c.object} ${c.words.find((w) => !w.startsWith('-'))}`));
  for (const k of ['add', 'del', 'replace', 'change', 'append', 'get', 'show', 'flush']) assert.ok(cmds.has(`route ${k}`), `route ${k}`);
  for (const k of ['add', 'del', 'show']) assert.ok(cmds.has(`rule ${k}`), `rule ${k}`);
});

test('another word order: the same attributes (iproute2 orders them as the words; the kernel reads them by type)', () => {
  const a = routeRequest('x', ['add', '203.0.113.0/24', 'via', '198.51.100.1', 'metric', '5', 'dev', 'eth1']);
  const b = routeRequest('x', ['add', 'metric', '5', 'dev', 'eth1', 'to', '203.0.113.0/24', 'via', '198.51.100.1']);
  assert.equal(encodeRouteRequest(a, ETH1), encodeRouteRequest(b, ETH1));
  const x = ruleRequest('x', ['add', 'lookup', '7', 'from', '198.51.100.0/24', 'pref', '9']);
  const y = ruleRequest('x', ['add', 'priority', '9', 'from', '198.51.100.0/24', 'table', '7']);
  assert.equal(encodeRuleRequest(x), encodeRuleRequest(y));
});

// ---- live ----------------------------------------------------------------

const rootTest = requireRoot(test);
const haveIp = have('ip', ['-V']);
const recaptureOk = haveIp && have('strace', ['-V']) && iproute2Version() === 'iproute2-6.1.0';
const recapture = recaptureOk ? rootTest : (name: string) => {
  process.stderr.write(`  skip: ${name}: needs ip (iproute2-6.1.0, this is ${iproute2Version()}) and strace\n`);
  test.skip(name, () => undefined);
};

let scope: NetnsScope | undefined;
test.before(() => {
  if (process.getuid?.() === 0 && haveIp) scope = new NetnsScope('pwrr');
});
test.after(() => scope?.cleanup());

recapture('the captures are what this iproute2 sends today (strace, fresh namespace)', () => {
  const ns = scope!.create('recap');
  for (const cmd of setupCommands) ip(ns, ...cmd.split(' '));
  assert.is(ipJson<any[]>(ns, 'link', 'show', 'eth1')[0].ifindex, ETH1);
  for (const c of CASES) {
    const m = captureIp(ns, ...c.ip.split(' ')).messages.filter((x) => x.readUInt16LE(4) === c.type);
    const msg = Buffer.from((c.pick === 'first' ? m[0] : m[m.length - 1])!);
    msg.writeUInt32LE(0, 8);
    msg.writeUInt32LE(0, 12);
    assert.is(msg.toString('hex'), CAPTURED[c.ip], c.ip);
  }
});

function state(ns: string): unknown {
  // without each link's own fe80:: address (from its random MAC), and carrier state
  const routes = [...ipJson(ns, '-4', 'route', 'show', 'table', 'all'), ...ipJson(ns, '-6', 'route', 'show', 'table', 'all')].filter((x: any) => !/^fe80::./.test(x.dst) || x.dst === 'fe80::/64');
  return { routes: routes.map(({ flags, ...r }: any) => ({ ...r, flags: flags.filter((f: string) => f !== 'linkdown') })), rules: [...ipJson(ns, 'rule', 'show'), ...ipJson(ns, '-6', 'rule', 'show')] };
}

rootTest('live: every change, made by us in one namespace and by ip in another, leaves the same routes and rules (ip -j)', () => {
  assertDistFresh();
  const mine = scope!.create('mine');
  const theirs = scope!.create('theirs');
  for (const ns of [mine, theirs]) for (const cmd of setupCommands) ip(ns, ...cmd.split(' '));
  let compared = 0;
  for (const c of CASES) {
    if (/^(-\d )?(route|rule) (show|get|flush)/.test(c.ip)) continue;
    const t = ipTry(theirs, ...c.ip.split(' '));
    const r = pipework([c.object, `netns:${mine}`, ...c.words]);
    // the same outcome: both succeed, or both fail (iproute2 exits 2 on a kernel refusal, we 1)
    assert.is(r.status === 0, t.status === 0, `${explain(r)} / ip ${c.ip}: ${t.stderr}`);
    assert.equal(state(mine), state(theirs), `after ${c.ip}`);
    compared++;
  }
  assert.ok(compared >= 35, `${compared} changes compared`);
  const s = state(mine) as { routes: any[]; rules: any[] };
  assert.ok(s.routes.some((x) => x.type === 'unreachable' && x.table === '1000'), 'the unreachable route in table 1000 was made');
  assert.ok(s.routes.some((x) => x.type === 'prohibit'), 'the prohibit route was made');
  assert.ok(s.rules.some((x) => x.priority === 200 && x.fwmask === '0xff' && x.iif === 'eth1'), 'the fwmark rule was made');
});

test.run();
