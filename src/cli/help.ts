// The text `pipework --help` prints. Kept in step with src/cli/parse.ts: every
// option the parser accepts is here, with an example.

const HELP = `\
pipework: plumb an extra network interface into a running container, over
rtnetlink (no ip, docker or arping is run).

Usage:
  pipework <hostif> [-i cif] [-l lif] [-a 4|6] <guest> <ip>/<len>[@gw] [mac][@vlan]
  pipework detach [-i cif] <guest>
  pipework detach --all <guest>
  pipework show <guest>
  pipework gc
  pipework --wait [-i cif] [--timeout S]
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
  detach --all <guest>
                 remove every interface pipework added to the guest (those
                 carrying its mark, the alias pipework:<kind>:<id>:<cif>)
                   pipework detach --all web1
                 Detaching what is not there succeeds and says so.
  show <guest>   list the guest's interfaces and addresses
                   pipework show web1
  gc             remove the host-side veths pipework made whose guest is gone
                 (container removed or stopped, netns or process gone); with
                 --dry-run only list them
                   pipework gc --dry-run

Re-running an attach that is already in place changes nothing and exits 0;
the same interface with other parameters is an error naming the difference.
A failure undoes everything the attach did.

Wait (run it inside the container, e.g. first thing in its entry point):
  --wait [-i cif] [--timeout S]
                 return once <cif> (default eth1) exists and is up: admin up,
                 carrier on (what the original read from
                 /sys/class/net/<cif>/carrier) and operational state up, or
                 unknown for drivers without one (lo, tun). It sleeps on link
                 notifications from the kernel; nothing polls.
                   pipework --wait
                   pipework --wait -i eth2 --timeout 30
                 --timeout S: give up after S seconds (decimals allowed, e.g.
                 0.5) with exit 1; without it the wait never ends, as the
                 original's. With --host-netns NS it waits inside NS instead.

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

Not supported yet: dhcp, udhcpc, dhclient, dhcpcd; route, rule, tc;
--direct-phys; mac:<hostif-mac>.

Exit status:
  0  success
  1  the operation failed; what it had changed is rolled back; --wait timed out
  2  usage error: the command line was rejected and nothing was done
`;

/** The full --help text, ending with a newline. */
export function helpText(): string {
  return HELP;
}
