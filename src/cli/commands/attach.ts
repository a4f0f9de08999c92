// pipework <hostif> [-i cif] [-l lif] [-a 4|6] <guest> <ip>/<len>[@gw] [mac][@vlan]
// The original's main form; the command when the first word is no other's.
import { usage } from '../../errors';
import { attach } from '../../pipework/operations';
import type { AttachResult } from '../../pipework/results';
import { attachRequest, parseDhcpTimeout, show, type AttachRequest, type Family, type IpvlanMode, type MacvlanMode, type OvsDatapath } from '../../request';
import { holdInForeground } from '../foreground';
import { requireAfterFirst, scanArgs } from '../args';
import { formatChange, type Command } from '../command';

const PLACED = ['-i', '-l', '-a'] as const;

function summary(r: AttachResult): string {
  if (r.alreadyInPlace) return `${r.guestSide} is already attached to ${r.guest.kind} ${r.guest.name} as asked (${r.link}): nothing changed`;
  const what = [
    r.addresses.length ? r.addresses.join(', ') : 'no address',
    ...r.routes.filter((x) => x.dst === 'default').map((x) => `default via ${x.via}`),
  ].join(', ');
  return `attached ${r.guestSide} (${r.mac}, ${what}) to ${r.guest.kind} ${r.guest.name}; ${r.link}`;
}

export const attachCommand: Command<AttachRequest, AttachResult> = {
  op: 'attach',
  usage: [
    'pipework <hostif> [-i cif] [-l lif] [-a 4|6] <guest> <ip>/<len>[@gw] [mac][@vlan]',
    'pipework <hostif> [-i cif] [-l lif] [--dhcp-timeout S] <guest> dhcp[:OPTS] [mac][@vlan]',
    'pipework --direct-phys <nic> [-i cif] [-a 4|6] <guest> <ip>/<len>[@gw] [mac]',
  ],
  options: [
    { flag: '-i', value: 'a guest interface name' },
    { flag: '-l', value: 'a host-side interface name' },
    { flag: '-a', value: 'an address family, 4 or 6' },
    { flag: '--dhcp-timeout', value: 'a number of seconds', inline: true },
    // The original's first-argument-only flag.
    { flag: '--direct-phys' },
  ],
  takesMacvlanMode: true,
  help: `\
Attach: a veth pair whose host end joins <hostif> and whose other end appears
in the guest as <cif>, with the address, the default route and the MAC given,
then announced with a gratuitous ARP (IPv4) or neighbour advertisement (IPv6).

  <hostif>       host interface: an existing Linux bridge, or a missing br* name
                 (a new bridge is created and brought up); an Open vSwitch
                 bridge, or a missing ovs* name (created, see --ovs-datapath);
                 a NIC (a macvlan, or an ipvlan with --ipvlan); an InfiniBand
                 device (IPoIB); dummy (a dummy interface in the guest, no
                 host side); mac:<address> names it by its MAC
  <guest>        the container or namespace: a Docker container name or id, or
                 docker:NAME, lxc:NAME, netns:NAME, pid:PID,
                 path:/proc/PID/ns/net (unprefixed: Docker, LXC, netns, PID)
  <ip>/<len>     address and prefix length, IPv4 or IPv6:
                   198.51.100.33/24   2001:db8::33/64
                 (an IPv4 netmask works too: 198.51.100.33/255.255.255.0)
                 0/0 gives the interface no address
  @gw            default gateway, same family as the address:
                   198.51.100.33/24@198.51.100.1   2001:db8::33/64@fe80::1
  mac            guest-side MAC, unicast: 02:42:c6:33:64:21, or U:<string> for a
                 stable one derived from a name: U:web1.example.com
  @vlan          802.1Q VLAN id 1..4094 (an Open vSwitch port's tag), after
                 the MAC or alone:
                   02:42:c6:33:64:21@10   @10
                 on a NIC: the macvlan hangs on NIC.VID (made if missing); on
                 a bridge: the veth is an untagged port of that VLAN; on an
                 InfiniBand device: a partition key in hex (@8001)
  dhcp[:OPTS]    the address from a DHCP server, by the built-in client; also
                 udhcpc, dhclient, dhcpcd (the same client) and their -f forms
                 (udhcpc-f, dhcp:-f...), which stay in the foreground and renew
                 the lease until detach, SIGTERM, SIGINT, or the guest or the
                 interface goes. OPTS: -f, -x hostname:NAME, -V CLASS, -O OPT,
                 -r ADDR (see README)
  --dhcp-timeout S  give up without a lease after S seconds (default 30); the
                 attach is then rolled back

Attach options (after <hostif>, before <guest>; any order, each at most once):
  -i cif         guest-side interface name (default eth1), 1..15 bytes
                   pipework br1 -i eth2 web1 192.0.2.25/24@192.0.2.1
  -l lif         host-side veth name (default v<cif>pl<pid>)
                   pipework br1 -i eth2 -l hostapp1 web1 192.0.2.25/24
  -a 4|6         address family; must match the address when given
                   pipework br1 -a 6 web1 2001:db8::25/64@2001:db8::1
  (and --macvlan-mode M, a global option, see below)

--direct-phys (first on the line) moves the NIC itself into the guest, renamed
<cif>, with the MAC given; detach gives it back under its name, and gc gives a
NIC whose guest died back its name. A NIC the host uses (a bridge port, one
with addresses) is refused:
  pipework --direct-phys eth2 web1 192.0.2.2/24
  pipework --direct-phys mac:02:00:5e:00:53:c8 -i container0 web1 0/0

Re-running an attach that is already in place changes nothing and exits 0;
the same interface with other parameters is an error naming the difference.
A failure undoes everything the attach did.
`,
  examples: [
    'pipework br1 web1 198.51.100.1/24',
    'pipework br1 -i eth2 web1 198.51.100.25/20@198.51.100.1',
    'pipework br1 web1 0/0',
    'pipework br1 web1 198.51.100.2/24 26:2e:71:98:60:8f',
    'pipework br1 web1 198.51.100.2/24 U:web1.example.com',
    'pipework br1 web1 198.51.100.2/24 @10',
    'pipework br1 web1 dhcp U:web1',
    'pipework br1 web1 dhcp:-f',
    'pipework dummy web1 192.0.2.101/24@192.0.2.1',
  ],

  parse(line, globals) {
    const { positionals: pos, options } = scanArgs(line, this.options);
    const direct = options.get('--direct-phys');
    // The original reads it only as the first argument.
    if (direct && direct.at !== 0) throw usage('--direct-phys must come first, before the host interface: pipework --direct-phys <nic> ...');
    for (const flag of PLACED) {
      const given = options.get(flag);
      if (given) requireAfterFirst(flag, given, pos);
    }
    const [hostIf, guest, address, mac] = pos as (string | undefined)[];
    if (hostIf === undefined) {
      throw usage('missing host interface: pipework <hostif> [-i cif] <guest> <ip>/<len> (see pipework --help)');
    }
    if (pos.length > 4) throw usage(`unexpected argument ${show(pos[4]!)} after ${show(mac!)}`);
    if (guest === undefined) throw usage(`missing guest and address after ${show(hostIf)}`);
    if (address === undefined) {
      throw usage(`missing address after guest ${show(guest)}: e.g. 198.51.100.33/24, or 0/0 for none`);
    }
    return attachRequest({
      hostIf,
      guest,
      guestIf: options.get('-i')?.value,
      hostLinkName: options.get('-l')?.value,
      address,
      // Text from the line: attachRequest refuses anything but 4 and 6 at run time.
      family: options.get('-a')?.value as Family | undefined,
      mac,
      macvlanMode: globals.macvlanMode as MacvlanMode | undefined,
      dhcpTimeoutMs: options.has('--dhcp-timeout') ? parseDhcpTimeout(options.get('--dhcp-timeout')!.value) : undefined,
      directPhys: direct ? true : undefined,
      ovsdb: globals.ovsdb,
      ovsDatapath: globals.ovsDatapath as OvsDatapath | undefined,
      ipvlanMode: globals.ipvlanMode as IpvlanMode | undefined,
    });
  },

  run: (request, ctx) => attach(request, ctx.host, { dryRun: ctx.dryRun, resolve: ctx.resolve, signal: ctx.signal }),

  format: (outcome) => formatChange(outcome, [summary(outcome.result), ...(outcome.result.notes ?? [])].join('\n')),

  linger: (outcome, log) => (outcome.result.lease ? holdInForeground(outcome.result.lease, log) : Promise.resolve(0)),
};
