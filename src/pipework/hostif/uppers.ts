// Whether any macvlan or ipvlan hangs on a host link, in whatever namespace:
// what decides that the last guest on a VLAN device we made is gone. The
// kernel keeps a device's upper devices in a list no netlink message shows,
// and sysfs lists only those in the device's own namespace (net/core/dev.c,
// netdev_adjacent_is_neigh_list()); a guest's macvlan lives in the guest.
//
// So we ask the kernel a question only that list answers: we create a
// passthru macvlan on the link, down, in the link's namespace. drivers/net/
// macvlan.c refuses a passthru macvlan on a lower device that has any macvlan
// already, up or down (EINVAL: "only 1 macvlan device can be created in
// passthru mode", port->count), and any macvlan on a device another driver
// holds the receive handler of, an ipvlan's port among them (EBUSY,
// netdev_rx_handler_register()). Accepted, nothing hangs there: the probe is
// deleted at once, never brought up (so it never touched the device's
// promiscuity or addresses). Its name starts with '.' and carries random
// digits: nobody else's, and programs that list interfaces hide it as a dotfile.
import { randomBytes } from 'node:crypto';
import { NetlinkError } from '../../netlink';
import { macvlanData, newLink } from '../../rtnl';
import type { Namespace } from '../namespace';

export async function hasUppers(ns: Namespace, index: number): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    const name = `.pwprobe${randomBytes(3).toString('hex')}`;
    try {
      await ns.sock.request(newLink({ name, link: index, kind: 'macvlan', infoData: macvlanData('passthru') }));
    } catch (e) {
      if (!(e instanceof NetlinkError)) throw e;
      if (e.code === 'EINVAL' || e.code === 'EBUSY') return true;
      if (e.code === 'EEXIST' && attempt < 3) continue;
      throw e;
    }
    const probe = await ns.linkByName(name);
    // Made by us an instant ago with NLM_F_EXCL: whatever has the name is the probe.
    if (probe) await ns.deleteLink({ index: probe.index });
    return false;
  }
}
