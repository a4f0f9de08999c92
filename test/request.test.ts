// The library refuses exactly what the command line refuses: the same inputs,
// once as argv through parseCommandLine and once as library options through
// the request builders, give the same code and the same message. Pure: no kernel.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCommandLine } from '../src/cli/parse';
import { PipeworkError } from '../src/errors';
import {
  attachRequest,
  detachRequest,
  showRequest,
  waitRequest,
  type AttachOptions,
  type DetachOptions,
} from '../src/request';
import * as lib from '../src/index';

function failure(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof PipeworkError)) throw e;
    return { code: e.code, message: e.message };
  }
  throw new Error('expected a PipeworkError');
}

const attach = (o: Partial<AttachOptions>): AttachOptions => ({ hostIf: 'br1', guest: 'web1', ...o });
const detach = (o: Partial<DetachOptions>): DetachOptions => ({ guest: 'web1', ...o });

interface Case {
  what: string;
  argv: string[];
  library: () => unknown;
  code?: string;
}

const CASES: Case[] = [
  { what: 'no prefix length', argv: ['br1', 'web1', '198.51.100.33'], library: () => attachRequest(attach({ address: '198.51.100.33' })) },
  { what: 'prefix too long', argv: ['br1', 'web1', '198.51.100.33/33'], library: () => attachRequest(attach({ address: '198.51.100.33/33' })) },
  { what: 'bad IPv4', argv: ['br1', 'web1', '198.51.100.333/24'], library: () => attachRequest(attach({ address: '198.51.100.333/24' })) },
  { what: 'broadcast as address', argv: ['br1', 'web1', '198.51.100.255/24'], library: () => attachRequest(attach({ address: '198.51.100.255/24' })) },
  { what: 'empty address', argv: ['br1', 'web1', ''], library: () => attachRequest(attach({ address: '' })) },
  { what: 'gateway of the other family', argv: ['br1', 'web1', '198.51.100.33/24@2001:db8::1'], library: () => attachRequest(attach({ address: '198.51.100.33/24', gateway: '2001:db8::1' })) },
  { what: 'gateway is the address', argv: ['br1', 'web1', '198.51.100.33/24@198.51.100.33'], library: () => attachRequest(attach({ address: '198.51.100.33/24', gateway: '198.51.100.33' })) },
  { what: 'gateway with no address', argv: ['br1', 'web1', '0/0@198.51.100.1'], library: () => attachRequest(attach({ gateway: '198.51.100.1' })) },
  { what: 'loopback gateway', argv: ['br1', 'web1', '198.51.100.33/24@127.0.0.1'], library: () => attachRequest(attach({ address: '198.51.100.33/24', gateway: '127.0.0.1' })) },
  { what: '-a does not match', argv: ['br1', '-a', '6', 'web1', '198.51.100.33/24'], library: () => attachRequest(attach({ family: 6, address: '198.51.100.33/24' })) },
  { what: '-a neither 4 nor 6', argv: ['br1', '-a', '5', 'web1', '198.51.100.33/24'], library: () => attachRequest(attach({ family: 5 as never, address: '198.51.100.33/24' })) },
  { what: 'short MAC', argv: ['br1', 'web1', '0/0', '02:42:c6:33:64'], library: () => attachRequest(attach({ mac: '02:42:c6:33:64' })) },
  { what: 'multicast MAC', argv: ['br1', 'web1', '0/0', '01:00:5e:00:00:01'], library: () => attachRequest(attach({ mac: '01:00:5e:00:00:01' })) },
  { what: 'VLAN 0', argv: ['br1', 'web1', '0/0', '@0'], library: () => attachRequest(attach({ mac: '@0' })) },
  // (@4095 and @010 could be IPoIB partition keys: refused once the host interface is known, test/vlan.test.ts)
  { what: 'VLAN 40950 as the vlan option', argv: ['br1', 'web1', '0/0', '@40950'], library: () => attachRequest(attach({ vlan: 40950 })) },
  { what: 'VLAN with a leading zero', argv: ['br1', 'web1', '0/0', '@00010'], library: () => attachRequest(attach({ mac: '@00010' })) },
  { what: 'guest interface too long', argv: ['br1', '-i', 'eth0123456789abc', 'web1', '0/0'], library: () => attachRequest(attach({ guestIf: 'eth0123456789abc' })) },
  { what: 'guest interface empty', argv: ['br1', '-i', '', 'web1', '0/0'], library: () => attachRequest(attach({ guestIf: '' })) },
  { what: 'host interface with a slash', argv: ['br/1', 'web1', '0/0'], library: () => attachRequest(attach({ hostIf: 'br/1' })) },
  { what: 'host-side name with %', argv: ['br1', '-l', 'veth%d', 'web1', '0/0'], library: () => attachRequest(attach({ hostLinkName: 'veth%d' })) },
  { what: 'host-side name is the host interface', argv: ['br1', '-l', 'br1', 'web1', '0/0'], library: () => attachRequest(attach({ hostLinkName: 'br1' })) },
  { what: 'empty guest', argv: ['br1', '', '0/0'], library: () => attachRequest(attach({ guest: '' })) },
  { what: 'macvlan mode unknown', argv: ['eth2', '--macvlan-mode', 'source', 'web1', '0/0'], library: () => attachRequest(attach({ hostIf: 'eth2', macvlanMode: 'source' as never })) },
  { what: 'DHCP option unknown', argv: ['br1', 'web1', 'dhclient:-s x'], library: () => attachRequest(attach({ address: 'dhclient:-s x' })) },
  { what: 'host interface by a short MAC', argv: ['mac:02:42:c6:33:64', 'web1', '0/0'], library: () => attachRequest(attach({ hostIf: 'mac:02:42:c6:33:64' })) },
  { what: '-l with --direct-phys', argv: ['--direct-phys', 'eth2', '-l', 'h1', 'web1', '0/0'], library: () => attachRequest(attach({ hostIf: 'eth2', directPhys: true, hostLinkName: 'h1' })) },
  { what: 'detach --all with -i', argv: ['detach', '--all', '-i', 'eth2', 'web1'], library: () => detachRequest(detach({ all: true, guestIf: 'eth2' })) },
  { what: 'detach --all --force', argv: ['detach', '--all', '--force', 'web1'], library: () => detachRequest(detach({ all: true, force: true })) },
  { what: 'detach, bad -i', argv: ['detach', '-i', 'eth:1', 'web1'], library: () => detachRequest(detach({ guestIf: 'eth:1' })) },
  { what: 'show, empty guest', argv: ['show', ''], library: () => showRequest({ guest: '' }) },
  { what: '--wait, bad -i', argv: ['--wait', '-i', 'eth 1'], library: () => waitRequest({ guestIf: 'eth 1' }) },
];

test(`${CASES.length} bad inputs: the CLI and the library refuse them with the same code and message`, () => {
  assert.ok(CASES.length >= 20);
  for (const c of CASES) {
    const cli = failure(() => parseCommandLine(c.argv));
    const library = failure(c.library);
    assert.equal(library, cli, `${c.what}: ${JSON.stringify(c.argv)}`);
    assert.is(cli.code, c.code ?? 'USAGE', c.what);
    assert.not.match(cli.message, /[\r\n]/, c.what);
  }
});

test('[mac][@vlan]: the library keeps the VLAN the CLI keeps (request.vlan), and has a vlan option', () => {
  const viaMac = attachRequest(attach({ mac: '02:42:c6:33:64:21@10' }));
  assert.is(viaMac.vlan, 10);
  assert.is(viaMac.mac, '02:42:c6:33:64:21');
  const cli = parseCommandLine(['br1', 'web1', '0/0', '02:42:c6:33:64:21@10']);
  assert.equal('request' in cli && cli.request, viaMac);
  assert.is(attachRequest(attach({ mac: '@10' })).vlan, 10);
  assert.is(attachRequest(attach({ vlan: 10 })).vlan, 10);
  assert.is(failure(() => attachRequest(attach({ mac: '@10', vlan: 10 }))).code, 'USAGE');
  assert.is(failure(() => attachRequest(attach({ vlan: 10.5 }))).code, 'USAGE');
  // the public entry point exports the same builder
  assert.is(lib.attachRequest, attachRequest);
});

test('the same valid inputs give the same request', () => {
  const pairs: Array<[string[], () => unknown]> = [
    [['br1', '-i', 'eth2', '-l', 'h1', '-a', '4', 'web1', '198.51.100.25/20@198.51.100.1', 'U:web1'],
      () => attachRequest(attach({ guestIf: 'eth2', hostLinkName: 'h1', family: 4, address: '198.51.100.25/20', gateway: '198.51.100.1', mac: 'U:web1' }))],
    [['br1', 'web1', '198.51.100.25/20@198.51.100.1'], () => attachRequest(attach({ address: '198.51.100.25/20@198.51.100.1' }))],
    [['eth2', '--macvlan-mode', 'private', 'web1', '0/0'], () => attachRequest(attach({ hostIf: 'eth2', macvlanMode: 'private' }))],
    [['detach', '--force', 'web1'], () => detachRequest(detach({ force: true }))],
    [['detach', '--all', 'web1'], () => detachRequest(detach({ all: true }))],
    [['show', 'netns:red'], () => showRequest({ guest: 'netns:red' })],
    [['--wait', '-i', 'eth3', '--timeout', '1.5'], () => waitRequest({ guestIf: 'eth3', timeoutMs: 1500 })],
  ];
  for (const [argv, library] of pairs) {
    const cli = parseCommandLine(argv);
    assert.equal('request' in cli && cli.request, library(), JSON.stringify(argv));
  }
});

test('library-only mistakes a typed caller cannot make but a JavaScript one can', () => {
  assert.is(failure(() => attachRequest({ hostIf: 7, guest: 'web1' } as never)).code, 'USAGE');
  assert.is(failure(() => attachRequest({ hostIf: 'br1' } as never)).code, 'USAGE');
  assert.is(failure(() => waitRequest({ timeoutMs: 0 })).code, 'USAGE');
  assert.is(failure(() => waitRequest({ timeoutMs: Number.NaN })).code, 'USAGE');
  assert.is(failure(() => attachRequest(attach({ address: '198.51.100.33/24@198.51.100.1', gateway: '198.51.100.1' }))).code, 'USAGE');
});

test.run();
