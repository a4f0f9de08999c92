// The route and rule forms the golden test covers: the words given to
// `pipework route|rule <guest>`, the `ip` command iproute2 sends the same bytes
// for (what --dry-run prints, without its `ip netns exec` prefix), and which
// message of the capture is the one (RTM_* type; the last of that type, or the
// first: flush's dump comes before its deletions).
import { RTM_DELROUTE, RTM_GETROUTE, RTM_NEWROUTE } from '../../src/rtnl';

const RTM_NEWRULE = 32;
const RTM_DELRULE = 33;
const RTM_GETRULE = 34;

export interface Case {
  object: 'route' | 'rule';
  words: string[];
  ip: string;
  type: number;
  pick?: 'first' | 'last';
}

/** The capture namespace: lo 1, eth1 2 (our side passes oif 2 for `dev eth1`). */
export const setupCommands = [
  'link add eth2 type veth peer name eth1',
  'link set eth1 up',
  'link set eth2 up',
  'addr add 198.51.100.33/24 dev eth1',
  'addr add 2001:db8::5/64 nodad dev eth1',
];

const r = (words: string, type: number, ip?: string, pick?: 'first'): Case => ({
  object: 'route',
  words: words.split(' '),
  ip: ip ?? `${words.startsWith('-') ? `${words.slice(0, 2)} route ${words.slice(3)}` : `route ${words}`}`,
  type,
  pick,
});
const u = (words: string, type: number, ip?: string): Case => ({
  object: 'rule',
  words: words.split(' '),
  ip: ip ?? `${words.startsWith('-') ? `${words.slice(0, 2)} rule ${words.slice(3)}` : `rule ${words}`}`,
  type,
});

export const CASES: Case[] = [
  r('add 203.0.113.0/24 via 198.51.100.1', RTM_NEWROUTE),
  r('add 203.0.118.0/24 via 198.51.100.1 dev eth1 table 100 proto static scope link src 198.51.100.33 metric 5 onlink mtu 1400', RTM_NEWROUTE),
  r('add blackhole 203.0.114.0/24 metric 5', RTM_NEWROUTE),
  r('add unreachable 203.0.116.0/24 table 1000', RTM_NEWROUTE),
  r('add prohibit 2001:db8:2::/48', RTM_NEWROUTE),
  r('add unicast 203.0.119.0/24 dev eth1', RTM_NEWROUTE),
  r('-6 add default via 2001:db8::1 dev eth1', RTM_NEWROUTE),
  r('-4 add default via 198.51.100.1 table 50', RTM_NEWROUTE),
  r('add default via 198.51.100.1', RTM_NEWROUTE),
  r('add 2001:db8:1::/48 dev eth1 metric 9', RTM_NEWROUTE),
  r('add 203.0.115.0/24 dev eth1 table local', RTM_NEWROUTE),
  r('add 203.0.117.0/24 dev eth1 table default proto 42 scope 200', RTM_NEWROUTE, 'route add 203.0.117.0/24 dev eth1 table default proto babel scope site'),
  r('add 2001:db8:3::/48 via 2001:db8::1 src 2001:db8::5 mtu 1300', RTM_NEWROUTE),
  r('replace 203.0.113.0/24 via 198.51.100.1', RTM_NEWROUTE),
  r('change 203.0.113.0/24 via 198.51.100.2', RTM_NEWROUTE),
  r('append 203.0.113.0/24 via 198.51.100.3 metric 7', RTM_NEWROUTE),
  r('del 203.0.113.0/24 via 198.51.100.3 metric 7', RTM_DELROUTE),
  r('del blackhole 203.0.114.0/24', RTM_DELROUTE),
  r('-6 del 2001:db8:1::/48', RTM_DELROUTE),
  r('del default', RTM_DELROUTE),
  r('del 203.0.115.0/24 dev eth1 table local', RTM_DELROUTE),
  r('get 203.0.113.5', RTM_GETROUTE),
  r('get 2001:db8::9', RTM_GETROUTE),
  r('get 203.0.113.5 from 198.51.100.33 oif eth1 mark 7', RTM_GETROUTE),
  r('show', RTM_GETROUTE),
  r('-6 show', RTM_GETROUTE),
  r('show table 100', RTM_GETROUTE),
  r('show table all', RTM_GETROUTE),
  r('show dev eth1 proto kernel scope link type unicast', RTM_GETROUTE),
  r('flush table 100', RTM_GETROUTE, undefined, 'first'),
  u('add from 198.51.100.33/32 table 1', RTM_NEWRULE),
  u('add priority 100 to 203.0.113.0/24 table 1000', RTM_NEWRULE),
  u('add priority 200 from 198.51.100.0/24 to 203.0.113.0/24 fwmark 0x10/0xff iif eth1 oif lo table 254', RTM_NEWRULE),
  u('add priority 300 not from 198.51.100.34/32 table 5', RTM_NEWRULE),
  u('add priority 400 goto 500', RTM_NEWRULE),
  u('add priority 500 fwmark 0x7 table 7', RTM_NEWRULE),
  u('add priority 510 fwmark 0x0/0xffffffff table 11', RTM_NEWRULE),
  u('add priority 520 from 198.51.100.40/32', RTM_NEWRULE),
  u('-6 add from 2001:db8::/64 table 6', RTM_NEWRULE),
  u('add priority 700 from all table 8', RTM_NEWRULE),
  u('-6 add priority 900 to all table 12', RTM_NEWRULE),
  u('add priority 600 iif eth1 table 255', RTM_NEWRULE),
  u('del from 198.51.100.33/32 table 1', RTM_DELRULE),
  u('del priority 100', RTM_DELRULE),
  u('-6 del from 2001:db8::/64 table 6', RTM_DELRULE),
  u('show', RTM_GETRULE),
  u('-6 show', RTM_GETRULE),
];
