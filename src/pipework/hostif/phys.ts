// --direct-phys: the host interface itself (a NIC, an SR-IOV VF) moves into
// the guest, renamed to the guest-side name, with the MAC asked for; its MTU
// is its own. The original does `ip link set NIC netns PID`, then renames it
// and sets the MAC inside the guest; we mark it on the host, then move,
// rename and re-address it in one RTM_NEWLINK (do_setlink() moves it first,
// then applies IFLA_ADDRESS and IFLA_IFNAME in the guest: net/core/rtnetlink.c).
// The move takes the NIC down (__dev_change_net_namespace() closes it), so the
// shared steps bring it up once its address is on.
//
// The mark records its host name (`pipework:2:phys=eth5:...`): detach moves
// it back under that name, down, and clears the mark; a NIC is never deleted.
// When the guest dies first, the kernel hands a physical NIC back to the
// initial namespace under its guest-side name (default_device_exit_net()):
// gc finds it by the mark and gives it its name back (the original's users
// lost NICs that way, its issues #240 and #242).
//
// Refused, with one line: a NIC the host is using (a bridge or bond port, one
// with addresses, one carrying VLAN or macvlan devices): moving it would cut
// the host off; a bridge, a loopback, anything of ours. A veth end may move
// (the tests' NICs are veths); a container's host end is a bridge port, refused as one.
import * as fs from 'node:fs';
import { PipeworkError } from '../../errors';
import { formatIp, formatMac, parseMac } from '../../packet';
import { ARPHRD_LOOPBACK, AF_INET6, IFF_LOOPBACK, RT_SCOPE_LINK, setLink, type Link } from '../../rtnl';
import { netnsArgument, type AttachContext } from '../context';
import { parseMark, type Mark } from '../mark';
import { isGone, type Namespace } from '../namespace';
import { change } from '../plan';
import type { Attachment, Existing, HostIfFound, HostIfKind, KindPlan, Reclaim, Teardown } from './kind';

const phrase = (nic: string): string => `host interface ${nic} moved into the guest`;

/** Runs fn with an fd of the host namespace: --host-netns's, or this process's own. */
async function withHostFd<T>(host: Namespace, fn: (fd: number) => Promise<T>): Promise<T> {
  if (host.nsFd !== undefined) return fn(host.nsFd);
  const fd = fs.openSync('/proc/self/ns/net', 'r');
  try {
    return await fn(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The host namespace in an iproute2 `netns` argument, for --dry-run: the
 * name or path --host-netns gave, else PID 1's (the host, when pipework runs
 * there; iproute2 takes a PID).
 */
function hostNetnsArgument(host: Namespace): string {
  return /^ip netns exec (\S+) $/.exec(host.exec)?.[1] ?? /^nsenter --net=(\S+) $/.exec(host.exec)?.[1] ?? '1';
}

/** Why this link must not be moved into a guest, in the user's terms, or undefined. */
async function unfit(host: Namespace, nic: Link): Promise<string | undefined> {
  const name = `host interface ${nic.name}`;
  if (nic.type === ARPHRD_LOOPBACK || (nic.flags & IFF_LOOPBACK) !== 0) return `${name} is a loopback device: --direct-phys moves a NIC`;
  if (nic.kind === 'bridge' || nic.kind === 'openvswitch') return `${name} is a bridge: --direct-phys moves a NIC (without it, a guest gets a port of the bridge)`;
  if (nic.alias?.startsWith('pipework:')) return `${name} is pipework's own (its mark: ${nic.alias}): not moving it`;
  if (nic.master !== undefined) {
    const master = await host.linkByIndex(nic.master);
    return `${name} is a port of ${master?.kind ?? 'device'} ${master?.name ?? `ifindex ${nic.master}`}: moving it would take it out; release it first`;
  }
  // VLAN or macvlan devices on it here (a veth's peer also names it in IFLA_LINK, and is no user of it).
  const uppers = (await host.links()).filter((l) => l.index !== nic.index && l.link === nic.index && l.linkNetnsid === undefined && l.kind !== 'veth');
  if (uppers.length) return `${name} carries ${uppers.map((l) => `${l.kind ?? 'a device'} ${l.name}`).join(', ')}: moving it would cut them off; remove them first`;
  // The kernel adds an IPv6 link-local address to any link that comes up: not the host's use of it.
  const addrs = (await host.addrs(0, nic.index)).filter((a) => a.index === nic.index && !(a.family === AF_INET6 && a.scope === RT_SCOPE_LINK));
  if (addrs.length) {
    const list = addrs.map((a) => `${formatIp(a.address)}/${a.prefixLength}`).join(', ');
    return `${name} has addresses on the host (${list}): moving it would take them from the host; remove them first`;
  }
  return undefined;
}

/**
 * Puts a NIC back as it was before the attach: finds it by our mark (in the
 * guest, or still on the host if the move never happened), moves it back under
 * its name, and restores its MAC, MTU, alias and up/down state.
 */
async function putBack(host: Namespace, guestNs: Namespace, was: Link, alias: string): Promise<void> {
  const inGuest = (await guestNs.links()).find((l) => l.alias === alias);
  if (inGuest) await withHostFd(host, (fd) => guestNs.sock.request(setLink({ index: inGuest.index, nsFd: fd, name: was.name })));
  const back = (await host.links()).find((l) => l.alias === alias);
  // Not in the guest nor on the host with our mark: another attach took it first (its mark replaced ours); not ours to move.
  if (!back) return;
  if (back.name !== was.name) {
    if (back.up) await host.sock.request(setLink({ index: back.index, up: false }));
    await host.sock.request(setLink({ index: back.index, name: was.name }));
  }
  const macDiffers = was.mac && back.mac && !was.mac.equals(back.mac);
  await host.sock.request(
    setLink({
      index: back.index,
      mtu: back.mtu !== was.mtu ? was.mtu : undefined,
      mac: macDiffers ? was.mac : undefined,
      alias: was.alias ?? '',
      up: was.up,
    }),
  );
}

export const phys: HostIfKind = {
  name: 'phys',

  // First in the registry: --direct-phys decides, whatever the interface is (plan refuses what is no NIC).
  claims: (_found, req) => req.directPhys === true,

  markHostName: (found) => found.name,

  async plan(ctx: AttachContext, found: HostIfFound): Promise<KindPlan> {
    const { req, host, guestNs, dev, who } = ctx;
    const nic = found.link;
    if (!nic) throw new PipeworkError('HOSTIF_NOT_FOUND', `host interface ${req.hostIf} does not exist: --direct-phys moves an existing NIC`);
    const why = await unfit(host, nic);
    if (why) throw new PipeworkError('HOSTIF_UNSUPPORTED', why);
    const mtu = nic.mtu;
    ctx.result.link = phrase(nic.name);
    const guestArg = netnsArgument(ctx.guest);
    let marked = false;
    const move = change(
      `move host interface ${nic.name} into ${who} as ${dev}`,
      `${host.ip}link set dev ${nic.name} alias ${ctx.alias}\n` +
        // In the order our request carries them (iproute2 sends them in command-line order).
        `${host.ip}link set dev ${nic.name}${req.mac ? ` address ${req.mac}` : ''} netns ${guestArg} name ${dev}`,
      async () => {
        // Marked first, so that an undo finds it wherever a half-done move left it.
        await host.sock.request(setLink({ index: nic.index, alias: ctx.alias }));
        marked = true;
        await host.sock.request(setLink({ index: nic.index, nsFd: ctx.guest.nsFd, name: dev, mac: req.mac ? parseMac(req.mac) : undefined }));
        // The move renamed it, so whatever has the name in the guest now is it (a clash would have failed the request).
        const moved = await guestNs.linkByName(dev);
        if (!moved) throw new PipeworkError('INTERNAL', `${nic.name} did not appear in ${who} as ${dev}`);
        // A concurrent attach of the same NIC may have re-marked it in between: ours again, so that an undo finds it.
        if (moved.alias !== ctx.alias) await guestNs.sock.request(setLink({ index: moved.index, alias: ctx.alias }));
        Object.assign(ctx.link, { index: moved.index, mac: moved.mac ?? Buffer.alloc(0), mtu });
        ctx.result.mac = formatMac(ctx.link.mac);
      },
      async () => {
        if (marked) await putBack(host, guestNs, nic, ctx.alias);
      },
    );
    return { steps: [move], mtu };
  },

  async existing(ctx: AttachContext, _found: HostIfFound, link: Link): Promise<Existing> {
    const { req } = ctx;
    const was = parseMark(link.alias)?.hostName;
    const differences = was === req.hostIf ? [] : [`it is host interface ${was ?? '(unknown)'} moved in, not ${req.hostIf}`];
    return { differences, link: phrase(was ?? req.hostIf), mtu: link.mtu };
  },

  async teardown(a: Attachment): Promise<Teardown> {
    const name = a.mark.hostName ?? a.link.name;
    const there = await a.host.linkByName(name);
    if (there) {
      throw new PipeworkError('LINK_EXISTS', `${a.who}'s ${a.link.name} is host interface ${name}, moved in, and the host has another ${name} now: cannot give it back`);
    }
    const step = change(
      `move ${a.link.name} back to the host as ${name}`,
      `${a.guestNs.ip}link set dev ${a.link.name} netns ${hostNetnsArgument(a.host)} name ${name}\n${a.host.ip}link set dev ${name} alias ""`,
      async () => {
        try {
          // The move takes it down and its guest addresses and routes along.
          await withHostFd(a.host, (fd) => a.guestNs.sock.request(setLink({ index: a.link.index, nsFd: fd, name })));
        } catch (e) {
          // Someone else moved it first: the goal is reached.
          if (isGone(e)) return;
          throw e;
        }
        const back = await a.host.linkByName(name);
        if (back && back.alias === a.link.alias) await a.host.sock.request(setLink({ index: back.index, alias: '' }));
        a.removed();
      },
    );
    return { steps: [step], givenBack: name };
  },

  async reclaim(host: Namespace, link: Link, mark: Mark, guestGone: () => Promise<boolean | undefined>): Promise<Reclaim> {
    const name = mark.hostName;
    if (name === undefined) return { reason: 'its mark does not say its host name' };
    const clear = (why: string, rename: boolean): Reclaim => ({
      reason: why,
      step: change(
        rename ? `give ${link.name} back its name ${name} (${why})` : `clear pipework's mark on ${name} (${why})`,
        `${rename && link.up ? `${host.ip}link set dev ${link.name} down\n` : ''}${host.ip}link set dev ${link.name}${rename ? ` name ${name}` : ''} alias ""`,
        async () => {
          // The kernel renames only a link that is down (dev_change_name(): EBUSY).
          if (rename && link.up) await host.sock.request(setLink({ index: link.index, up: false }));
          await host.sock.request(setLink({ index: link.index, name: rename ? name : undefined, alias: '' }));
        },
      ),
    });
    if (link.name !== name) {
      // Back on the host under another name: whatever its guest's state, the guest no longer has it.
      if (await host.linkByName(name)) return { reason: `it came back, but the host has another ${name} now` };
      return clear('it came back to the host', true);
    }
    // Under its own name, marked: an attach or a detach of it may be under way; only a gone guest settles it.
    const gone = await guestGone();
    if (gone === undefined) return { reason: `cannot tell whether ${mark.ifname}'s guest is there` };
    return gone ? clear('its guest is gone', false) : { reason: 'its guest is there: an attach or detach may be moving it', kept: true };
  },
};
