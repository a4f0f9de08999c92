// Command lines the parser must refuse with a USAGE error (exit 2) whose one
// line names `mentions` (and, in UNSUPPORTED_LINES, the forms it refuses as
// not supported yet, exit 3). Shared by test/cli-parse.test.ts (the parser alone)
// and the CLI integration test (the real binary, which must leave the host
// unchanged). Every entry is refused by parsing alone, whatever the host holds;
// none contains --help or -h, which would win over the error.
//
// Addresses are TEST-NET ones; interface and guest names are ones no test
// creates.

export interface Malformed {
  argv: string[];
  /** A substring the error message must contain: the offending token. */
  mentions: string;
}

export const MALFORMED: Malformed[] = [
  // the address
  { argv: ['br1', 'web1', '198.51.100.33'], mentions: '198.51.100.33/24' },
  { argv: ['br1', 'web1', '2001:db8::33'], mentions: '2001:db8::33/64' },
  { argv: ['br1', 'web1', '198.51.100.33/33'], mentions: '33' },
  { argv: ['br1', 'web1', '2001:db8::33/129'], mentions: '129' },
  { argv: ['br1', 'web1', '198.51.100.33/'], mentions: '198.51.100.33/' },
  { argv: ['br1', 'web1', '198.51.100.33/24x'], mentions: '24x' },
  { argv: ['br1', 'web1', '198.51.100.33/024'], mentions: '024' },
  { argv: ['br1', 'web1', '198.51.100.33/255.0.255.0'], mentions: '255.0.255.0' },
  { argv: ['br1', 'web1', '198.51.100.333/24'], mentions: '198.51.100.333' },
  { argv: ['br1', 'web1', '198.051.100.33/24'], mentions: '198.051.100.33' },
  { argv: ['br1', 'web1', 'fe80::1%eth0/64'], mentions: 'fe80::1%eth0' },
  { argv: ['br1', 'web1', 'web2'], mentions: 'web2' },
  { argv: ['br1', 'web1', '0.0.0.0/24'], mentions: '0.0.0.0/24' },
  { argv: ['br1', 'web1', '224.0.0.5/24'], mentions: '224.0.0.5/24' },
  { argv: ['br1', 'web1', 'ff02::1/64'], mentions: 'ff02::1/64' },
  { argv: ['br1', 'web1', '::1/128'], mentions: '::1/128' },
  { argv: ['br1', 'web1', '198.51.100.255/24'], mentions: '198.51.100.255/24' },
  { argv: ['br1', 'web1', ''], mentions: 'address is empty' },
  { argv: ['br1', 'web1', '198.51.100.33/24@198.51.100.1@198.51.100.2'], mentions: '198.51.100.33/24@198.51.100.1@198.51.100.2' },
  // -a
  { argv: ['br1', '-a', '5', 'web1', '198.51.100.33/24'], mentions: '5' },
  { argv: ['br1', '-a', '6', 'web1', '198.51.100.33/24'], mentions: '198.51.100.33/24' },
  { argv: ['br1', '-a', '4', 'web1', '2001:db8::33/64'], mentions: '2001:db8::33/64' },
  { argv: ['br1', '-a', 'inet6', 'web1', '2001:db8::33/64'], mentions: 'inet6' },
  // the gateway
  { argv: ['br1', 'web1', '198.51.100.33/24@2001:db8::1'], mentions: '2001:db8::1' },
  { argv: ['br1', 'web1', '2001:db8::33/64@198.51.100.1'], mentions: '198.51.100.1' },
  { argv: ['br1', 'web1', '198.51.100.33/24@198.51.100.300'], mentions: '198.51.100.300' },
  { argv: ['br1', 'web1', '198.51.100.33/24@'], mentions: '198.51.100.33/24@' },
  { argv: ['br1', 'web1', '198.51.100.33/24@198.51.100.33'], mentions: '198.51.100.33' },
  { argv: ['br1', 'web1', '198.51.100.33/24@198.51.100.1/24'], mentions: '198.51.100.1/24' },
  { argv: ['br1', 'web1', '198.51.100.33/24@198.51.100.255'], mentions: '198.51.100.255' },
  { argv: ['br1', 'web1', '198.51.100.33/24@224.0.0.1'], mentions: '224.0.0.1' },
  { argv: ['br1', 'web1', '0/0@198.51.100.1'], mentions: '198.51.100.1' },
  // MAC and VLAN
  { argv: ['br1', 'web1', '198.51.100.33/24', '02:42:c6:33:64'], mentions: '02:42:c6:33:64' },
  { argv: ['br1', 'web1', '198.51.100.33/24', '02:42:c6:33:64:zz'], mentions: '02:42:c6:33:64:zz' },
  { argv: ['br1', 'web1', '198.51.100.33/24', '01:00:5e:00:00:01'], mentions: '01:00:5e:00:00:01' },
  { argv: ['br1', 'web1', '198.51.100.33/24', '@0'], mentions: '0' },
  // (@4095 and @010 could be IPoIB partition keys: refused once the host interface is known, test/vlan.test.ts)
  { argv: ['br1', 'web1', '198.51.100.33/24', '@40950'], mentions: '40950' },
  { argv: ['br1', 'web1', '198.51.100.33/24', '02:42:c6:33:64:21@'], mentions: '02:42:c6:33:64:21@' },
  { argv: ['br1', 'web1', '198.51.100.33/24', '@ten'], mentions: 'ten' },
  { argv: ['br1', 'web1', '198.51.100.33/24', '@00010'], mentions: '00010' },
  // interface names
  { argv: ['br1', '-i', 'eth0123456789abc', 'web1', '198.51.100.33/24'], mentions: 'eth0123456789abc' },
  { argv: ['br0123456789abcd', 'web1', '198.51.100.33/24'], mentions: 'br0123456789abcd' },
  { argv: ['br1', '-l', 'veth/1', 'web1', '198.51.100.33/24'], mentions: 'veth/1' },
  { argv: ['br1', '-i', 'eth 1', 'web1', '198.51.100.33/24'], mentions: '"eth 1"' },
  { argv: ['br1', '-i', '..', 'web1', '198.51.100.33/24'], mentions: '..' },
  { argv: ['br1', '-i', 'eth%d', 'web1', '198.51.100.33/24'], mentions: 'eth%d' },
  { argv: ['br1', '-l', 'br1', 'web1', '198.51.100.33/24'], mentions: 'br1' },
  // options
  { argv: ['br1', '-i', 'eth1', '-i', 'eth2', 'web1', '198.51.100.33/24'], mentions: '-i' },
  { argv: ['br1', '-i', '', 'web1', '198.51.100.33/24'], mentions: '-i' },
  { argv: ['br1', 'web1', '198.51.100.33/24', '-i'], mentions: '-i' },
  { argv: ['br1', 'web1', '-i', 'eth2', '198.51.100.33/24'], mentions: '-i' },
  { argv: ['-i', 'eth2', 'br1', 'web1', '198.51.100.33/24'], mentions: '-i' },
  { argv: ['br1', '-i', '-l', 'hostapp1', 'web1', '198.51.100.33/24'], mentions: '-l' },
  { argv: ['br1', '-x', 'web1', '198.51.100.33/24'], mentions: '-x' },
  { argv: ['--frobnicate', 'br1', 'web1', '198.51.100.33/24'], mentions: '--frobnicate' },
  { argv: ['br1', 'web1', '198.51.100.33/24', '--host-netns'], mentions: '--host-netns' },
  { argv: ['--host-netns', '--json', 'br1', 'web1', '198.51.100.33/24'], mentions: '--json' },
  { argv: ['--host-netns=', 'br1', 'web1', '198.51.100.33/24'], mentions: '--host-netns' },
  { argv: ['--host-netns', 'a', '--host-netns', 'b', 'br1', 'web1', '198.51.100.33/24'], mentions: '--host-netns' },
  // too few, too many
  { argv: [], mentions: 'host interface' },
  { argv: ['--json'], mentions: 'host interface' },
  { argv: ['br1'], mentions: 'br1' },
  { argv: ['br1', 'web1'], mentions: 'web1' },
  { argv: ['br1', '', '198.51.100.33/24'], mentions: 'guest' },
  { argv: ['br1', 'web1', '198.51.100.33/24', '02:42:c6:33:64:21', 'extra'], mentions: 'extra' },
  // detach and show
  { argv: ['detach'], mentions: 'detach' },
  { argv: ['detach', 'web1', 'web2'], mentions: 'web2' },
  { argv: ['detach', '-l', 'hostapp1', 'web1'], mentions: '-l' },
  { argv: ['detach', '-i', 'eth0123456789abc', 'web1'], mentions: 'eth0123456789abc' },
  { argv: ['show'], mentions: 'show' },
  { argv: ['show', 'web1', 'eth1'], mentions: 'eth1' },
  { argv: ['show', '-i', 'eth1', 'web1'], mentions: '-i' },
  // --wait
  { argv: ['--wait', '--timeout', '0'], mentions: '0' },
  { argv: ['--wait', '--timeout', '0.000'], mentions: '0.000' },
  { argv: ['--wait', '--timeout', 'abc'], mentions: 'abc' },
  { argv: ['--wait', '--timeout', '-1'], mentions: '-1' },
  { argv: ['--wait', '--timeout', '1e3'], mentions: '1e3' },
  { argv: ['--wait', '--timeout=', '-i', 'eth1'], mentions: '--timeout' },
  { argv: ['--wait', '--timeout'], mentions: '--timeout' },
  { argv: ['--wait', '--timeout', '5', '--timeout', '6'], mentions: '--timeout' },
  { argv: ['--wait', 'eth1'], mentions: 'eth1' },
  { argv: ['--wait', '-i', 'eth1', 'web1'], mentions: 'web1' },
  { argv: ['--wait', 'br1', 'web1', '198.51.100.33/24'], mentions: 'br1' },
  { argv: ['--wait', '-l', 'hostapp1'], mentions: '-l' },
  { argv: ['--wait', '-i', 'eth0123456789abc'], mentions: 'eth0123456789abc' },
  { argv: ['--wait', '-i'], mentions: '-i' },
  { argv: ['--wait', '--wait'], mentions: '--wait' },
  { argv: ['--wait', '--dry-run'], mentions: '--dry-run' },
  { argv: ['br1', 'web1', '198.51.100.33/24', '--timeout', '5'], mentions: '--timeout' },
  // detach --all and gc
  { argv: ['br1', '--all', 'web1', '198.51.100.33/24'], mentions: '--all' },
  { argv: ['detach', '--all', '-i', 'eth1', 'web1'], mentions: '-i' },
  { argv: ['detach', '--all', '--all', 'web1'], mentions: '--all' },
  { argv: ['gc', 'web1'], mentions: 'web1' },
  { argv: ['gc', '-i', 'eth1'], mentions: '-i' },
  // --macvlan-mode and --force
  { argv: ['eth2', '--macvlan-mode', 'nope', 'web1', '198.51.100.33/24'], mentions: 'nope' },
  { argv: ['eth2', '--macvlan-mode=', 'web1', '198.51.100.33/24'], mentions: '--macvlan-mode' },
  { argv: ['eth2', 'web1', '198.51.100.33/24', '--macvlan-mode'], mentions: '--macvlan-mode' },
  { argv: ['--macvlan-mode', 'vepa', '--macvlan-mode', 'vepa', 'eth2', 'web1', '0/0'], mentions: '--macvlan-mode' },
  { argv: ['detach', '--macvlan-mode', 'vepa', 'web1'], mentions: '--macvlan-mode' },
  { argv: ['--macvlan-mode=private', 'show', 'web1'], mentions: '--macvlan-mode' },
  { argv: ['br1', 'web1', '198.51.100.33/24', '--force'], mentions: '--force' },
  { argv: ['detach', '--all', '--force', 'web1'], mentions: '--force' },
  { argv: ['detach', '--force', '--force', 'web1'], mentions: '--force' },
  { argv: ['show', '--force', 'web1'], mentions: '--force' },
  // route and rule: the command line itself (their words: ROUTE_RULE_MALFORMED in test/route-rule-cli.test.ts)
  { argv: ['route'], mentions: 'route' },
  { argv: ['rule'], mentions: 'rule' },
  { argv: ['route', 'web1', 'add', '203.0.113.0/24', 'via', '198.51.100.300'], mentions: '198.51.100.300' },
  { argv: ['rule', 'web1', 'add', 'from', '198.51.100.33/33', 'table', '1'], mentions: '198.51.100.33/33' },
  // --direct-phys (first on the line only, as the original reads it) and mac:<address>
  { argv: ['br1', '--direct-phys', 'web1', '0/0'], mentions: '--direct-phys' },
  { argv: ['eth2', 'web1', '0/0', '--direct-phys'], mentions: '--direct-phys' },
  { argv: ['--direct-phys', '--direct-phys', 'eth2', 'web1', '0/0'], mentions: '--direct-phys' },
  { argv: ['--direct-phys', 'eth2', '-l', 'h1', 'web1', '0/0'], mentions: '-l' },
  { argv: ['detach', '--direct-phys', 'web1'], mentions: '--direct-phys' },
  { argv: ['mac:02:42:c6:33:64', 'web1', '0/0'], mentions: 'mac:02:42:c6:33:64' },
  { argv: ['mac:', 'web1', '0/0'], mentions: 'mac:' },
  { argv: ['--direct-phys', 'mac:zz:42:c6:33:64:21', 'web1', '0/0'], mentions: 'mac:zz:42:c6:33:64:21' },
];

/**
 * Forms of the original this version recognises and refuses as not supported
 * yet: code UNSUPPORTED (exit 3), one line naming the feature.
 */
export const UNSUPPORTED_LINES: Malformed[] = [
  { argv: ['tc', 'web1', 'qdisc', 'add', 'dev', 'eth1', 'root', 'sfq'], mentions: 'sfq' },
];
