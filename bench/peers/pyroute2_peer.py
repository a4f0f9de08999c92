"""pyroute2 peer for bench/attach.ts: the same attach (or detach) as the
library's, done with pyroute2 in one Python process.

bench/attach.ts starts this as `ip netns exec <bench host netns> python3
pyroute2_peer.py` and writes a job on stdin:

  {"op": "attach" | "detach", "bridge": "br0", "ifname": "eth1",
   "prefix": 15, "broadcast": "...", "gateway": "...", "mtu": 1500,
   "guests": [{"ns": "<name under /var/run/netns>", "host": "<host veth>", "ip": "..."}]}

and reads one JSON line back: {"ms": <wall time of the loop>}. Python's start
and `import pyroute2` are outside the timed loop, as Node's start and imports
are for the library.

Per attach: open the guest's namespace file, setns into it, create an IPRoute
socket there, setns back (the socket keeps its namespace: the cheapest way to
talk to a guest with pyroute2; NetNS() would fork a proxy process per guest);
one RTM_NEWLINK for the veth pair (host end mtu, master, up; peer eth1 with
mtu and IFLA_NET_NS_FD), a name lookup of eth1 in the guest, the address, link
up, the default route. No gratuitous ARP. Detach: the same socket set-up,
lookup of eth1, RTM_DELLINK.
"""
import json
import os
import sys
import time

from pyroute2 import IPRoute
from pyroute2.netns import setns

NETNS_DIR = '/var/run/netns'


def main():
    job = json.load(sys.stdin)
    host = IPRoute()
    bridge = host.link_lookup(ifname=job['bridge'])
    if not bridge:
        raise SystemExit('bridge %s not found in this namespace' % job['bridge'])
    bridge = bridge[0]
    home = os.open('/proc/self/ns/net', os.O_RDONLY)
    ifname = job['ifname']

    def guest_socket(name):
        fd = os.open(os.path.join(NETNS_DIR, name), os.O_RDONLY)
        try:
            setns(fd, flags=0)
            try:
                return fd, IPRoute()
            finally:
                setns(home, flags=0)
        except BaseException:
            os.close(fd)
            raise

    start = time.perf_counter()
    if job['op'] == 'attach':
        for g in job['guests']:
            fd, gs = guest_socket(g['ns'])
            try:
                host.link('add', ifname=g['host'], kind='veth', mtu=job['mtu'], master=bridge, state='up',
                          peer={'ifname': ifname, 'mtu': job['mtu'], 'net_ns_fd': fd})
                idx = gs.link_lookup(ifname=ifname)[0]
                gs.addr('add', index=idx, address=g['ip'], prefixlen=job['prefix'], broadcast=job['broadcast'])
                gs.link('set', index=idx, state='up')
                gs.route('add', dst='0.0.0.0/0', gateway=job['gateway'], oif=idx)
            finally:
                gs.close()
                os.close(fd)
    elif job['op'] == 'detach':
        for g in job['guests']:
            fd, gs = guest_socket(g['ns'])
            try:
                found = gs.link_lookup(ifname=ifname)
                if found:
                    gs.link('del', index=found[0])
            finally:
                gs.close()
                os.close(fd)
    else:
        raise SystemExit('unknown op %r' % job['op'])
    elapsed = time.perf_counter() - start
    host.close()
    sys.stdout.write(json.dumps({'ms': elapsed * 1000.0}) + '\n')


if __name__ == '__main__':
    main()
