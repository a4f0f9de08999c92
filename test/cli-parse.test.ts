import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PipeworkError } from '../src/errors';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { helpText, usageLines } from '../src/cli/help';
import { COMMANDS } from '../src/cli/commands';
import { parseCommandLine } from '../src/cli/parse';
import { show } from '../src/request';
import type { GlobalOptions, Request } from '../src/request/types';
import { MALFORMED, UNSUPPORTED_LINES } from './helpers/malformed';

const PLAIN: GlobalOptions = { json: false, dryRun: false };

function request(argv: string[]): Request {
  const parsed = parseCommandLine(argv);
  if (!('request' in parsed)) throw new Error(`expected a request from ${JSON.stringify(argv)}`);
  assert.equal(parsed.options, PLAIN);
  return parsed.request;
}

function usageError(argv: string[]): PipeworkError {
  try {
    parseCommandLine(argv);
  } catch (e) {
    if (e instanceof PipeworkError) return e;
    throw e;
  }
  throw new Error(`expected a usage error from ${JSON.stringify(argv)}`);
}

// ---------------------------------------------------------------------------
// The original pipework README's examples on the bridge path, which must parse
// unchanged, with TEST-NET addresses (RFC 5737) in place of theirs.

test('README: pipework br1 $CONTAINERID 192.168.1.1/24', () => {
  assert.equal(request(['br1', 'web1', '198.51.100.1/24']), {
    op: 'attach',
    hostIf: 'br1',
    guest: 'web1',
    guestIf: 'eth1',
    address: { address: '198.51.100.1', prefixLength: 24, family: 4 },
  });
});

test('README: -i with a gateway', () => {
  assert.equal(request(['br1', '-i', 'eth2', 'web1', '198.51.100.25/20@198.51.100.1']), {
    op: 'attach',
    hostIf: 'br1',
    guest: 'web1',
    guestIf: 'eth2',
    address: { address: '198.51.100.25', prefixLength: 20, family: 4 },
    gateway: '198.51.100.1',
    guestIfGiven: true,
  });
});

test('README: -i and -l', () => {
  assert.equal(request(['br1', '-i', 'eth2', '-l', 'hostapp1', 'web1', '198.51.100.25/20']), {
    op: 'attach',
    hostIf: 'br1',
    guest: 'web1',
    guestIf: 'eth2',
    hostLinkName: 'hostapp1',
    address: { address: '198.51.100.25', prefixLength: 20, family: 4 },
    guestIfGiven: true,
  });
});

test('README: 0/0 makes an interface with no address', () => {
  assert.equal(request(['br1', 'web1', '0/0']), { op: 'attach', hostIf: 'br1', guest: 'web1', guestIf: 'eth1' });
  // and the spelled-out forms
  assert.equal(request(['br1', 'web1', '0.0.0.0/0']), request(['br1', 'web1', '0/0']));
  assert.equal(request(['br1', '-a', '6', 'web1', '::/0']), request(['br1', 'web1', '0/0']));
});

test('README: a MAC after the address', () => {
  assert.equal(request(['br1', 'web1', '198.51.100.2/24', '26:2E:71:98:60:8F']), {
    op: 'attach',
    hostIf: 'br1',
    guest: 'web1',
    guestIf: 'eth1',
    address: { address: '198.51.100.2', prefixLength: 24, family: 4 },
    mac: '26:2e:71:98:60:8f',
  });
});

test('README: U:<string> derives the MAC as the original does', () => {
  const r = request(['br1', 'web1', '198.51.100.2/24', 'U:myhost.foo.com']);
  assert.is(r.op === 'attach' && r.mac, '02:72:6c:cd:9b:8d');
});

test('README: @vlan alone and after a MAC', () => {
  const alone = request(['br1', 'web1', '198.51.100.2/24', '@10']);
  assert.equal(alone, {
    op: 'attach',
    hostIf: 'br1',
    guest: 'web1',
    guestIf: 'eth1',
    address: { address: '198.51.100.2', prefixLength: 24, family: 4 },
    vlan: 10,
  });
  const both = request(['br1', 'web1', '0/0', 'fa:de:b0:99:52:1c@4094']);
  assert.equal(both, { op: 'attach', hostIf: 'br1', guest: 'web1', guestIf: 'eth1', mac: 'fa:de:b0:99:52:1c', vlan: 4094 });
  const derived = request(['br1', 'web1', '0/0', 'U:myhost.foo.com@1']);
  assert.equal(derived.op === 'attach' && [derived.mac, derived.vlan], ['02:72:6c:cd:9b:8d', 1]);
});

test('the scenario: pipework br1 -i eth0 test <ip>/24@<gw>', () => {
  assert.equal(request(['br1', '-i', 'eth0', 'test', '203.0.113.33/24@203.0.113.1']), {
    op: 'attach',
    hostIf: 'br1',
    guest: 'test',
    guestIf: 'eth0',
    address: { address: '203.0.113.33', prefixLength: 24, family: 4 },
    gateway: '203.0.113.1',
    guestIfGiven: true,
  });
});

// ---------------------------------------------------------------------------
// Options

test('-i, -l and -a in the original order and in any other order', () => {
  const expected = request(['br1', '-i', 'eth2', '-l', 'hostapp1', '-a', '4', 'web1', '192.0.2.7/24']);
  for (const order of [
    ['-l', 'hostapp1', '-i', 'eth2', '-a', '4'],
    ['-a', '4', '-l', 'hostapp1', '-i', 'eth2'],
    ['-a', '4', '-i', 'eth2', '-l', 'hostapp1'],
  ]) {
    assert.equal(request(['br1', ...order, 'web1', '192.0.2.7/24']), expected);
  }
});

test('global options anywhere on the line', () => {
  const bare = request(['br1', 'web1', '192.0.2.7/24']);
  for (const argv of [
    ['--json', '--dry-run', '--host-netns', 'pw-test', 'br1', 'web1', '192.0.2.7/24'],
    ['br1', '--json', 'web1', '--host-netns=pw-test', '192.0.2.7/24', '--dry-run'],
    ['br1', 'web1', '192.0.2.7/24', '--dry-run', '--host-netns', 'pw-test', '--json', '--json'],
  ]) {
    assert.equal(parseCommandLine(argv), {
      options: { json: true, dryRun: true, hostNetns: 'pw-test' },
      request: bare,
    });
  }
  // between -i and the other local options too
  assert.equal(
    parseCommandLine(['br1', '-i', 'eth2', '--json', '-l', 'h1', 'web1', '192.0.2.7/24']),
    { options: { json: true, dryRun: false }, request: request(['br1', '-i', 'eth2', '-l', 'h1', 'web1', '192.0.2.7/24']) },
  );
  assert.equal(parseCommandLine(['--host-netns', '/run/netns/pw-test', 'show', 'web1']).options, {
    json: false,
    dryRun: false,
    hostNetns: '/run/netns/pw-test',
  });
});

test('--help and -h win over the rest of the line', () => {
  assert.equal(parseCommandLine(['--help']), { options: PLAIN, help: true });
  assert.equal(parseCommandLine(['-h']), { options: PLAIN, help: true });
  assert.equal(parseCommandLine(['br1', '--json', 'web1', '-h']), { options: { json: true, dryRun: false }, help: true });
  assert.equal(parseCommandLine(['br1', '-x', '198.51.100.33/33', '--help']), { options: PLAIN, help: true });
  // after --, -h is a name
  assert.equal(request(['br1', '--', '-h', '192.0.2.7/24']), {
    op: 'attach',
    hostIf: 'br1',
    guest: '-h',
    guestIf: 'eth1',
    address: { address: '192.0.2.7', prefixLength: 24, family: 4 },
  });
});

test('-- ends options', () => {
  assert.equal(request(['br1', '-i', 'eth2', '--', '-odd', '192.0.2.7/24']), {
    op: 'attach',
    hostIf: 'br1',
    guest: '-odd',
    guestIf: 'eth2',
    address: { address: '192.0.2.7', prefixLength: 24, family: 4 },
    guestIfGiven: true,
  });
  assert.equal(request(['detach', '--', '--json']), { op: 'detach', guest: '--json', guestIf: 'eth1' });
  // local options after -- are positional, so this is one argument too many
  assert.match(usageError(['br1', '--', '-i', 'eth2', 'web1', '192.0.2.7/24']).message, '192.0.2.7/24');
});

test('detach and show', () => {
  assert.equal(request(['detach', 'web1']), { op: 'detach', guest: 'web1', guestIf: 'eth1' });
  assert.equal(request(['detach', '-i', 'eth2', 'web1']), { op: 'detach', guest: 'web1', guestIf: 'eth2' });
  assert.equal(request(['show', 'netns:red']), { op: 'show', guest: 'netns:red' });
  assert.equal(parseCommandLine(['--json', 'show', 'pid:123']), {
    options: { json: true, dryRun: false },
    request: { op: 'show', guest: 'pid:123' },
  });
});

// ---------------------------------------------------------------------------
// --wait

test('README: pipework --wait -i ib0; --wait alone waits for eth1, forever', () => {
  assert.equal(request(['--wait', '-i', 'ib0']), { op: 'wait', guestIf: 'ib0' });
  assert.equal(request(['--wait']), { op: 'wait', guestIf: 'eth1' });
});

test('--wait: --timeout in seconds, decimals allowed, to milliseconds; options in any order', () => {
  assert.equal(request(['--wait', '-i', 'eth2', '--timeout', '5']), { op: 'wait', guestIf: 'eth2', timeoutMs: 5000 });
  assert.equal(request(['--wait', '--timeout=0.5']), { op: 'wait', guestIf: 'eth1', timeoutMs: 500 });
  assert.equal(request(['--timeout', '.25', '-i', 'eth2', '--wait']), { op: 'wait', guestIf: 'eth2', timeoutMs: 250 });
  assert.equal(request(['--wait', '--timeout', '2.']), { op: 'wait', guestIf: 'eth1', timeoutMs: 2000 });
  assert.equal(request(['--wait', '--timeout', '0.57']), { op: 'wait', guestIf: 'eth1', timeoutMs: 570 });
  // less than a millisecond is still a timeout, not none
  assert.equal(request(['--wait', '--timeout', '0.0001']), { op: 'wait', guestIf: 'eth1', timeoutMs: 1 });
  assert.equal(parseCommandLine(['--json', '--host-netns', 'red', '--wait', '-i', 'eth3']), {
    options: { json: true, dryRun: false, hostNetns: 'red' },
    request: { op: 'wait', guestIf: 'eth3' },
  });
  // after --, --wait is a name, not the option
  assert.match(usageError(['br1', '--', '--wait']).message, '--wait');
});

test('--wait refusals name the culprit', () => {
  assert.match(usageError(['--wait', '--timeout', '0']).message, 'more than 0');
  assert.match(usageError(['--wait', '--timeout', 'abc']).message, 'abc');
  assert.match(usageError(['--wait', '-i', 'eth1', 'extra']).message, 'extra');
  assert.match(usageError(['br1', 'web1', '0/0', '--timeout', '1']).message, '--timeout applies only to --wait');
  assert.match(usageError(['--wait', '-a', '4']).message, '--wait does not take -a');
});

// ---------------------------------------------------------------------------
// Addresses

function address(token: string, ...locals: string[]) {
  const r = request(['br1', ...locals, 'web1', token]);
  if (r.op !== 'attach') throw new Error('not an attach');
  return { address: r.address, gateway: r.gateway };
}

test('IPv6: inferred family, canonical compressed lower-case form', () => {
  assert.equal(address('2001:DB8:0:0:0:0:0:33/64@2001:0db8::1'), {
    address: { address: '2001:db8::33', prefixLength: 64, family: 6 },
    gateway: '2001:db8::1',
  });
  assert.equal(address('2001:db8:0:0:1:0:0:1/128', '-a', '6').address, {
    address: '2001:db8::1:0:0:1',
    prefixLength: 128,
    family: 6,
  });
  assert.equal(address('2001:db8::33/64@FE80::1').gateway, 'fe80::1');
  assert.equal(address('2001:db8::33/0').address?.prefixLength, 0);
});

test('IPv4: a dotted netmask in place of the length, edge lengths', () => {
  assert.equal(address('192.0.2.7/255.255.255.0').address, { address: '192.0.2.7', prefixLength: 24, family: 4 });
  assert.equal(address('192.0.2.7/255.255.255.255').address?.prefixLength, 32);
  assert.equal(address('192.0.2.7/0.0.0.0').address?.prefixLength, 0);
  assert.equal(address('192.0.2.7/32').address?.prefixLength, 32);
  assert.equal(address('192.0.2.7/0').address?.prefixLength, 0);
  // /31 and /32 have no broadcast address: the all-ones host is a host
  assert.equal(address('192.0.2.255/31').address?.address, '192.0.2.255');
  assert.equal(address('192.0.2.255/32').address?.address, '192.0.2.255');
  // a gateway outside the subnet is allowed: pipework adds a host route to it
  assert.equal(address('192.0.2.7/24@203.0.113.1').gateway, '203.0.113.1');
  // -a 4 spelled out
  assert.equal(address('192.0.2.7/24', '-a', '4').address?.family, 4);
});

test('an empty MAC argument means no MAC, as in the original', () => {
  assert.equal(request(['br1', 'web1', '192.0.2.7/24', '']), request(['br1', 'web1', '192.0.2.7/24']));
});

test('no prefix length: the hint matches the family and keeps the gateway', () => {
  assert.match(usageError(['br1', 'web1', '198.51.100.33']).message, '198.51.100.33/24');
  assert.match(usageError(['br1', 'web1', '198.51.100.33@198.51.100.1']).message, '198.51.100.33/24@198.51.100.1');
  assert.match(usageError(['br1', 'web1', '2001:db8::33']).message, '2001:db8::33/64');
});

// ---------------------------------------------------------------------------
// Malformed lines

test(`MALFORMED: ${MALFORMED.length} lines, each a one-line USAGE error naming the culprit`, () => {
  assert.ok(MALFORMED.length >= 25);
  for (const { argv, mentions } of MALFORMED) {
    const e = usageError(argv);
    const where = `${JSON.stringify(argv)} -> ${JSON.stringify(e.message)}`;
    assert.is(e.code, 'USAGE', where);
    assert.ok(e.message.length > 0 && !/[\r\n\u2028\u2029]/.test(e.message), `one line: ${where}`);
    assert.ok(e.message.includes(mentions), `mentions ${JSON.stringify(mentions)}: ${where}`);
  }
});

test(`UNSUPPORTED_LINES: ${UNSUPPORTED_LINES.length} forms of the original refused as not supported yet, one line, code UNSUPPORTED`, () => {
  for (const { argv, mentions } of UNSUPPORTED_LINES) {
    let e: unknown;
    try {
      parseCommandLine(argv);
    } catch (x) {
      e = x;
    }
    const where = `${JSON.stringify(argv)} -> ${(e as Error)?.message}`;
    assert.instance(e, PipeworkError, where);
    const err = e as PipeworkError;
    assert.is(err.code, 'UNSUPPORTED', where);
    assert.match(err.message, / is not supported yet$/, where);
    assert.not.match(err.message, /[\r\n]|invalid|not a valid/, where);
    assert.ok(err.message.includes(mentions), `mentions ${JSON.stringify(mentions)}: ${where}`);
  }
});

test('--macvlan-mode: anywhere before --, either spelling, for an attach only', () => {
  const want = { op: 'attach', hostIf: 'eth2', guest: 'web1', guestIf: 'eth1', address: { address: '192.0.2.7', prefixLength: 24, family: 4 }, macvlanMode: 'vepa' };
  for (const argv of [
    ['--macvlan-mode', 'vepa', 'eth2', 'web1', '192.0.2.7/24'],
    ['eth2', 'web1', '--macvlan-mode=vepa', '192.0.2.7/24'],
    ['eth2', 'web1', '192.0.2.7/24', '--macvlan-mode', 'vepa'],
  ]) {
    assert.equal(request(argv), want, JSON.stringify(argv));
  }
  for (const mode of ['bridge', 'private', 'vepa', 'passthru']) {
    const r = request(['eth2', '--macvlan-mode', mode, 'web1', '0/0']);
    assert.is(r.op === 'attach' && r.macvlanMode, mode);
  }
  assert.match(usageError(['detach', '--macvlan-mode', 'vepa', 'web1']).message, '--macvlan-mode applies only to attach');
  // after --, it is a name
  assert.match(usageError(['eth2', 'web1', '--', '--macvlan-mode']).message, '--macvlan-mode');
});

test('detach --force: one interface even without the mark; only with detach, not with --all', () => {
  assert.equal(request(['detach', '--force', '-i', 'eth2', 'web1']), { op: 'detach', guest: 'web1', guestIf: 'eth2', force: true });
  assert.equal(request(['detach', 'web1', '--force']), { op: 'detach', guest: 'web1', guestIf: 'eth1', force: true });
  assert.equal(request(['detach', '--all', 'web1']), { op: 'detach', guest: 'web1', guestIf: 'eth1', all: true });
  assert.match(usageError(['br1', '--force', 'web1', '0/0']).message, '--force applies only to detach');
  assert.match(usageError(['detach', '--all', '--force', 'web1']).message, '--force');
});

test('MALFORMED entries never ask for help', () => {
  for (const { argv } of MALFORMED) {
    const zone = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
    assert.not.ok(zone.includes('--help') || zone.includes('-h'), JSON.stringify(argv));
  }
});

test('control characters in arguments cannot break the line', () => {
  const e = usageError(['br1', 'web1', '198.51.100.33/2\n4']);
  assert.not.match(e.message, '\n');
  assert.match(e.message, '"2\\u000a4"');
  assert.is(show('eth1'), 'eth1');
  assert.is(show(''), '""');
  assert.is(show('a b'), '"a b"');
  assert.is(show('a\u2028"b'), '"a\\u2028\\"b"');
  const name = usageError(['br1', '-i', 'eth\t1', 'web1', '198.51.100.33/24']);
  assert.match(name.message, '"eth\\u00091"');
});

test('interface names follow the kernel: 15 bytes counted in UTF-8, no colon, no 0xa0 byte', () => {
  assert.is(address('192.0.2.7/24', '-i', 'eth0123456789ab').address?.family, 4); // 15 bytes
  assert.match(usageError(['br1', '-i', 'ethé1234567890a', 'web1', '192.0.2.7/24']).message, '16 bytes');
  assert.match(usageError(['br1', '-i', 'eth:1', 'web1', '192.0.2.7/24']).message, "':'");
  // U+00E0 is c3 a0 in UTF-8, and the kernel's isspace() takes 0xa0
  assert.match(usageError(['br1', '-i', 'eth\u00e0', 'web1', '192.0.2.7/24']).message, 'white space');
  assert.is(request(['br1', '-i', 'eth\u00e9', 'web1', '192.0.2.7/24']).op, 'attach');
});

// ---------------------------------------------------------------------------
// Help

test('help text: usage lines, every option with an example, exit codes', () => {
  const text = helpText();
  for (const needle of [
    'pipework <hostif> [-i cif] [-l lif] [-a 4|6] <guest> <ip>/<len>[@gw] [mac][@vlan]',
    'pipework show <guest>',
    'pipework br1 -i eth2 web1',
    'pipework br1 -i eth2 -l hostapp1 web1',
    'pipework br1 -a 6 web1',
    '--host-netns NS',
    'pipework --host-netns',
    'pipework --json',
    'pipework --dry-run',
    '-h, --help',
    'U:',
    '@10',
    '0/0',
    '0  success',
    '1  the operation failed',
    '2  usage error',
    '3  not supported yet',
    '--macvlan-mode M',
    'pipework --macvlan-mode vepa eth2',
    'pipework detach [-i cif] [--force] <guest>',
    'pipework detach --force -i eth2 web1',
  ]) {
    assert.ok(text.includes(needle), needle);
  }
  // only documentation addresses
  for (const m of text.matchAll(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/g)) {
    assert.ok(/^(192\.0\.2|198\.51\.100|203\.0\.113)\.|^255\./.test(m[0]), m[0]);
  }
  // the Usage block is every command module's usage lines, in the table's order
  const block = text.slice(text.indexOf('Usage:\n') + 7, text.indexOf('\n\n', text.indexOf('Usage:\n')));
  assert.equal(block.split('\n').map((l) => l.trim()), [...COMMANDS.flatMap((c) => c.usage), 'pipework --help']);
  // the not-supported-yet list names every feature refused with exit 3
  const notYet = text.slice(text.indexOf('Not supported yet')).split('\n\n')[0]!.replace(/\s+/g, ' ');
  // every form of the original is implemented now: no such paragraph
  assert.is(text.indexOf('Not supported yet'), -1, notYet);
  for (const f of [] as string[]) {
    assert.ok(notYet.includes(f), `${f} in ${notYet}`);
  }
  // 80 columns, but for the usage lines, which are the original's grammar
  for (const l of text.split('\n')) assert.ok(l.length <= 80 || block.includes(l.trim()), `help line longer than 80 columns: ${l}`);
  // every example in the help text parses
  for (const line of text.split('\n')) {
    const m = /^\s+(pipework (?!<|--help|--direct-phys <|detach \[|show <|--wait \[|route <|rule <|tc <|--batch FILE).*)$/.exec(line);
    if (m) {
      const parsed = parseCommandLine(m[1]!.trim().split(/\s+/).slice(1));
      assert.ok(parsed, line);
    }
  }
});

test("README: the Command line section's usage block is exactly the help's Usage lines", () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Command line\n'));
  const block = /```\n([\s\S]*?)\n```/.exec(section);
  assert.ok(block, 'a code block in the Command line section');
  assert.equal(block![1]!.split('\n'), usageLines());
  const help = helpText();
  for (const l of usageLines()) assert.ok(help.includes(`\n  ${l}\n`), l);
});

test.run();
