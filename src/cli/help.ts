// The text `pipework --help` prints. Kept in step with src/cli/parse.ts: every
// option the parser accepts is here, with an example.

const HELP = `\
pipework: plumb an extra network interface into a running container, over
rtnetlink (no ip, docker or arping is run).

Usage:
  pipework <hostif> [-i cif] [-l lif] [-a 4|6] <guest> <ip>/<len>[@gw] [mac][@vlan]
  pipework detach [-i cif] <guest>
  pipework show <guest>
  pipework --help

Attach: a veth pair whose host end joins <hostif> and whose other end appears
in the guest as <cif>, with the address, the default route and the MAC given,
then announced with a gratuitous ARP (IPv4) or neighbour advertisement (IPv6).

  <hostif>       host interface: an existing Linux bridge, or a missing br* name
                 (a new bridge is created and brought up)
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

Attach options (after <hostif>, before <guest>; any order, each at most once):
  -i cif         guest-side interface name (default eth1), 1..15 bytes
                   pipework br1 -i eth2 web1 192.0.2.25/24@192.0.2.1
  -l lif         host-side veth name (default v<cif>pl<pid>)
                   pipework br1 -i eth2 -l hostapp1 web1 192.0.2.25/24
  -a 4|6         address family; must match the address when given
                   pipework br1 -a 6 web1 2001:db8::25/64@2001:db8::1

Other commands:
  detach [-i cif] <guest>
                 remove the guest's interface <cif> (default eth1) and its veth
                   pipework detach -i eth2 web1
  show <guest>   list the guest's interfaces and addresses
                   pipework show web1

Global options (anywhere on the line, before --):
  --host-netns NS, --host-netns=NS
                 treat network namespace NS (a name from ip netns, or a path)
                 as the host: bridges and host-side ends live there
                   pipework --host-netns test1 br1 web1 203.0.113.7/24
  --json         print the result, or the error, as JSON
                   pipework --json show web1
  --dry-run      print the steps that would be taken and change nothing
                   pipework --dry-run br1 web1 198.51.100.33/24
  -h, --help     print this text and exit 0
  --             end of options: every later argument is positional, for a
                 guest whose name starts with '-'
                   pipework br1 -i eth1 -- -odd 198.51.100.33/24

Examples:
  pipework br1 web1 198.51.100.1/24
  pipework br1 -i eth2 web1 198.51.100.25/20@198.51.100.1
  pipework br1 web1 0/0
  pipework br1 web1 198.51.100.2/24 26:2e:71:98:60:8f
  pipework br1 web1 198.51.100.2/24 U:web1.example.com
  pipework br1 web1 198.51.100.2/24 @10

Not supported yet: dhcp, udhcpc, dhclient, dhcpcd; route, rule, tc; --wait;
--direct-phys; mac:<hostif-mac>.

Exit status:
  0  success
  1  the operation failed; what it had changed is rolled back
  2  usage error: the command line was rejected and nothing was done
`;

/** The full --help text, ending with a newline. */
export function helpText(): string {
  return HELP;
}
