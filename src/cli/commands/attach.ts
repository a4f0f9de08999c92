// pipework <hostif> [-i cif] [-l lif] [-a 4|6] <guest> <ip>/<len>[@gw] [mac][@vlan]
// The original's main form; the command when the first word is no other's.
import { unsupported, usage } from '../../errors';
import { attach } from '../../pipework/operations';
import type { AttachResult } from '../../pipework/results';
import { attachRequest, show, type AttachRequest, type Family, type IpvlanMode, type MacvlanMode } from '../../request';
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
  usage: ['pipework <hostif> [-i cif] [-l lif] [-a 4|6] <guest> <ip>/<len>[@gw] [mac][@vlan]'],
  options: [
    { flag: '-i', value: 'a guest interface name' },
    { flag: '-l', value: 'a host-side interface name' },
    { flag: '-a', value: 'an address family, 4 or 6' },
    // The original's first-argument-only flag: recognised, so that it is refused as a feature, not as an unknown option.
    { flag: '--direct-phys' },
  ],
  takesMacvlanMode: true,
  help: `\
Attach: a veth pair whose host end joins <hostif> and whose other end appears
in the guest as <cif>, with the address, the default route and the MAC given,
then announced with a gratuitous ARP (IPv4) or neighbour advertisement (IPv6).

  <hostif>       host interface: an existing Linux bridge, or a missing br* name
                 (a new bridge is created and brought up); a NIC (a macvlan,
                 or an ipvlan with --ipvlan); an InfiniBand device (IPoIB)
  <guest>        the container or namespace: a Docker container name or id, or
                 docker:NAME, netns:NAME, pid:PID, path:/proc/PID/ns/net
  <ip>/<len>     address and prefix length, IPv4 or IPv6:
                   198.51.100.33/24   2001:db8::33/64
                 (an IPv4 netmask works too: 198.51.100.33/255.255.255.0)
                 0/0 gives the interface no address
  @gw            default gateway, same family as the address:
                   198.51.100.33/24@198.51.100.1   2001:db8::33/64@fe80::1
  mac            guest-side MAC, unicast: 02:42:c6:33:64:21, or U:<string> for a
                 stable one derived from a name: U:web1.example.com
  @vlan          802.1Q VLAN id 1..4094, after the MAC or alone:
                   02:42:c6:33:64:21@10   @10
                 on a NIC: the macvlan hangs on NIC.VID (made if missing); on
                 a bridge: the veth is an untagged port of that VLAN; on an
                 InfiniBand device: a partition key in hex (@8001)

Attach options (after <hostif>, before <guest>; any order, each at most once):
  -i cif         guest-side interface name (default eth1), 1..15 bytes
                   pipework br1 -i eth2 web1 192.0.2.25/24@192.0.2.1
  -l lif         host-side veth name (default v<cif>pl<pid>)
                   pipework br1 -i eth2 -l hostapp1 web1 192.0.2.25/24
  -a 4|6         address family; must match the address when given
                   pipework br1 -a 6 web1 2001:db8::25/64@2001:db8::1
  (and --macvlan-mode M, a global option, see below)

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
  ],

  parse(line, globals) {
    const { positionals: pos, options } = scanArgs(line, this.options);
    if (options.has('--direct-phys')) throw unsupported('--direct-phys (moving the host interface itself into the guest)');
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
      ipvlanMode: globals.ipvlanMode as IpvlanMode | undefined,
    });
  },

  run: (request, ctx) => attach(request, ctx.host, { dryRun: ctx.dryRun, resolve: ctx.resolve }),

  format: (outcome) => formatChange(outcome, [summary(outcome.result), ...(outcome.result.notes ?? [])].join('\n')),
};
