// The steps every attach shares once the guest link exists, whatever kind made
// it: the addresses, the link up (and marked), the gateway, the announcement.
// They read the attach's context when they run, so the addresses may come
// from a source that learns them at run time; their commands for --dry-run are
// rendered from the context too.
import { PipeworkError } from '../errors';
import { NetlinkError } from '../netlink';
import { ipBytes, ipv4Broadcast, samePrefix } from '../packet';
import { AF_INET, AF_INET6, IFA_F_NODAD, RT_SCOPE_LINK, RT_TABLE_MAIN, RTN_UNICAST, delRoute, newAddr, newRoute, setLink, type Route } from '../rtnl';
import type { AddressSpec, Family } from '../request/types';
import { readSysctl, writeSysctl } from '../netns';
import { announcementFrame, sendFrame } from './announce';
import type { AttachContext } from './context';
import { isGone } from './namespace';
import type { RouteSummary } from './results';
import { change, check, type Step } from './plan';

const cidr = (a: AddressSpec): string => `${a.address}/${a.prefixLength}`;
const af = (family: Family): number => (family === 4 ? AF_INET : AF_INET6);

/** A process can exit between resolution and now: its namespace then lives on only through our handle, and would take the link along when closed. */
export function confirmGuest(ctx: AttachContext): Step {
  return check(`confirm ${ctx.who} is still there`, async () => {
    if (!ctx.guest.isCurrent()) throw new PipeworkError('GUEST_NOT_RUNNING', `${ctx.who} is gone: its process exited`);
  });
}

/**
 * Docker sets disable_ipv6=1 in a `--net none` container (all, default, and
 * so every new link), and the kernel then refuses an IPv6 address (EACCES,
 * "IPv6 is disabled on this device"). Asking for one means wanting IPv6 on
 * that link: it is enabled there alone (net.ipv6.conf.<cif>.disable_ipv6=0,
 * written from inside the guest's namespace), the rest of the guest stays as
 * it was, and the result says so. Nothing to undo: the setting goes with the link.
 */
export function enableIpv6Step(ctx: AttachContext): Step {
  const key = `net/ipv6/conf/${ctx.dev}/disable_ipv6`;
  return change(`enable IPv6 on ${ctx.dev}`, `${ctx.guestNs.exec}sysctl -w net.ipv6.conf.${ctx.dev}.disable_ipv6=0`, async () => {
    if (readSysctl(ctx.guest.nsFd, key) === '0') return;
    writeSysctl(ctx.guest.nsFd, key, 0);
    ctx.result.notes.push(`enabled IPv6 on ${ctx.dev} (${ctx.who} had it disabled)`);
  });
}

export function addressStep(ctx: AttachContext): Step {
  return {
    title: `add address ${ctx.addresses.map(cidr).join(', ') || '(none)'} to ${ctx.dev}`,
    role: 'change',
    command: () =>
      ctx.addresses
        .map((a) => {
          const brd = a.family === 4 ? ipv4Broadcast(ipBytes(a.address).bytes, a.prefixLength) : undefined;
          const lft = ctx.addressLifetime === undefined ? '' : ` valid_lft ${ctx.addressLifetime} preferred_lft ${ctx.addressLifetime}`;
          return `${ctx.guestNs.ip}addr add ${cidr(a)}${brd ? ` broadcast ${brd.join('.')}` : ''}${a.family === 6 ? ' nodad' : ''} dev ${ctx.dev}${lft}`;
        })
        .join('\n'),
    run: async () => {
      for (const a of ctx.addresses) {
        const local = ipBytes(a.address).bytes;
        await ctx.guestNs.sock.request(
          newAddr({
            index: ctx.link.index,
            family: af(a.family),
            address: local,
            prefixLength: a.prefixLength,
            broadcast: a.family === 4 ? ipv4Broadcast(local, a.prefixLength) : undefined,
            // The announcement claims the address at once, so IPv6 skips DAD (see README).
            flags: a.family === 6 ? IFA_F_NODAD : 0,
            validLifetime: ctx.addressLifetime,
          }),
        );
        ctx.result.addresses.push(cidr(a));
      }
    },
    // No undo: the link's removal takes its addresses along.
  };
}

/** Brings the guest link up and marks it (the kernel ignores an alias in the creating request). */
export function upStep(ctx: AttachContext): Step {
  return change(`bring ${ctx.dev} up`, `${ctx.guestNs.ip}link set ${ctx.dev} up`, async () => {
    await ctx.guestNs.sock.request(setLink({ index: ctx.link.index, up: true, alias: ctx.alias }));
  });
}

/**
 * The gateway, as pipework sets it: an on-link host route to it first when
 * nothing reaches it yet (its `ip route get GW || ip route add GW/32 dev CIF`),
 * then `ip route replace default via GW`. The decision is the kernel's answer
 * at run time (planned from the same question for --dry-run); a link-local
 * IPv6 gateway is on the link by definition and never gets one.
 */
export async function gatewaySteps(ctx: AttachContext): Promise<{ steps: Step[]; planned(): RouteSummary[] }> {
  if (ctx.late) return { steps: [lateRoutesStep(ctx)], planned: () => [] };
  return plannedGatewaySteps(ctx);
}

/**
 * For a source that learns its gateway at run time: one step that, when it
 * runs, plans the gateway steps above from what was learnt and runs them
 * (their undo in reverse), then adds the source's other routes (DHCP option
 * 121: `ip route replace DST/LEN via GW dev CIF`, or on the link for 0.0.0.0).
 * Its command is what it did, once it ran; nothing at plan time.
 */
function lateRoutesStep(ctx: AttachContext): Step {
  let inner: Step[] = [];
  const extra: string[] = [];
  const done: Step[] = [];
  return {
    title: `set the routes learnt on ${ctx.dev}`,
    role: 'change',
    command: () => [...inner.map((s) => s.command()), ...extra].filter((c) => c !== '').join('\n'),
    run: async (signal) => {
      inner = (await plannedGatewaySteps(ctx)).steps;
      for (const s of inner) {
        done.push(s);
        await s.run(signal);
      }
      for (const r of ctx.routes ?? []) {
        const onLink = r.gateway === '0.0.0.0';
        const spec = { family: AF_INET, dst: ipBytes(r.dst).bytes, dstLength: r.prefixLength, gateway: onLink ? undefined : ipBytes(r.gateway).bytes, oif: ctx.link.index };
        await ctx.guestNs.sock.request(newRoute(spec, true));
        extra.push(`${ctx.guestNs.ip}route replace ${r.prefixLength === 0 ? 'default' : `${r.dst}/${r.prefixLength}`}${onLink ? '' : ` via ${r.gateway}`} dev ${ctx.dev}`);
        ctx.result.routes.push({ dst: r.prefixLength === 0 ? 'default' : `${r.dst}/${r.prefixLength}`, via: onLink ? undefined : r.gateway, dev: ctx.dev });
      }
    },
    // Routes of the link go with it; a replaced default route is put back by its own undo.
    undo: async () => {
      for (const s of done.reverse()) await s.undo?.();
    },
  };
}

async function plannedGatewaySteps(ctx: AttachContext): Promise<{ steps: Step[]; planned(): RouteSummary[] }> {
  const gateway = ctx.gateway;
  const address = ctx.addresses[0];
  if (gateway === undefined || address === undefined) return { steps: [], planned: () => [] };
  const family = address.family;
  const gw = ipBytes(gateway).bytes;
  const hostLen = family === 4 ? 32 : 128;
  const linkLocal = family === 6 && gw[0] === 0xfe && (gw[1]! & 0xc0) === 0x80;
  const inPrefix = ctx.addresses.some((a) => samePrefix(ipBytes(a.address).bytes, gw, a.prefixLength));

  /** Where the guest reaches the gateway now: 'link' (ours, directly), another ifindex, or 'none'. */
  const reach = async (): Promise<{ via: 'link' | 'none' } | { via: 'other'; oif: number }> => {
    if (linkLocal || inPrefix) return { via: 'link' };
    const r = await ctx.guestNs.routeTo(af(family), gw);
    // A local address, a blackhole or a prohibit route reach nothing: the on-link route is what pipework adds then.
    if (!r || r.oif === undefined || r.type !== RTN_UNICAST) return { via: 'none' };
    return r.oif === ctx.link.index ? { via: 'link' } : { via: 'other', oif: r.oif };
  };
  // Planned from the guest as it is, for --dry-run; decided again when the step runs.
  let found = await reach();
  const other = (): string | undefined => (found.via === 'other' ? `ifindex ${found.oif}` : undefined);

  const onLink: Step = {
    title: `add on-link route to gateway ${gateway} via ${ctx.dev}`,
    role: 'change',
    command: () => (found.via === 'none' ? `${ctx.guestNs.ip}route add ${gateway}/${hostLen} dev ${ctx.dev}` : ''),
    run: async () => {
      found = await reach();
      if (found.via !== 'none') return;
      await ctx.guestNs.sock.request(newRoute({ family: af(family), dst: gw, dstLength: hostLen, oif: ctx.link.index, scope: RT_SCOPE_LINK }));
      ctx.result.routes.push({ dst: `${gateway}/${hostLen}`, dev: ctx.dev });
    },
  };

  // What `route replace` overwrote, to put back on undo (detach does not: see README).
  let replaced: Route[] = [];
  let ours: Parameters<typeof newRoute>[0] | undefined;
  const setDefault: Step = {
    title: `set default route via ${gateway}${found.via === 'other' ? '' : ` on ${ctx.dev}`}`,
    role: 'change',
    command: () => `${ctx.guestNs.ip}route replace default via ${gateway}${found.via === 'other' ? '' : ` dev ${ctx.dev}`}`,
    run: async () => {
      // `replace` overwrites the first default route of the same metric (0 for
      // IPv4; IPv6 gives a route without one 1024, IP6_RT_PRIO_USER).
      const metric = family === 4 ? 0 : 1024;
      replaced = (await defaults(ctx, family)).filter((r) => (r.metric ?? 0) === metric).slice(0, 1);
      // Reached through another interface: the kernel picks the device, as pipework's `route replace default via GW`.
      ours = { family: af(family), dstLength: 0, gateway: gw, oif: found.via === 'other' ? undefined : ctx.link.index };
      await ctx.guestNs.sock.request(newRoute(ours, true));
      const dev = found.via === 'other' ? ((await ctx.guestNs.linkByIndex(found.oif))?.name ?? other()!) : ctx.dev;
      ctx.result.routes.push({ dst: 'default', via: gateway, dev });
    },
    undo: async () => {
      if (!ours) return;
      try {
        await ctx.guestNs.sock.request(delRoute(ours));
      } catch (e) {
        // Gone with the link already: fine.
        if (!(isGone(e) || (e instanceof NetlinkError && e.code === 'ESRCH'))) throw e;
      }
      for (const r of replaced) {
        await ctx.guestNs.sock.request(
          newRoute({ family: r.family, dstLength: 0, gateway: r.gateway, oif: r.oif, table: r.table, metric: r.metric, scope: r.scope, protocol: r.protocol }),
        );
      }
    },
  };
  return {
    steps: linkLocal || inPrefix ? [setDefault] : [onLink, setDefault],
    planned: () => [
      ...(found.via === 'none' ? [{ dst: `${gateway}/${hostLen}`, dev: ctx.dev }] : []),
      { dst: 'default', via: gateway, dev: found.via === 'other' ? other()! : ctx.dev },
    ],
  };
}

async function defaults(ctx: AttachContext, family: Family): Promise<Route[]> {
  return (await ctx.guestNs.routes(af(family))).filter((r) => r.dstLength === 0 && r.table === RT_TABLE_MAIN && r.type === RTN_UNICAST);
}

/** The frame `arping -A` sends (IPv4) or an unsolicited neighbour advertisement (IPv6), for each address. */
export function announceStep(ctx: AttachContext): Step {
  return {
    title: `announce ${ctx.addresses.map((a) => a.address).join(', ')} on ${ctx.dev}`,
    role: 'change',
    command: () =>
      ctx.addresses
        .map((a) => `${ctx.guestNs.exec}${a.family === 4 ? `arping -c 1 -A -I ${ctx.dev} ${a.address}` : `ndsend ${a.address} ${ctx.dev}`}`)
        .join('\n'),
    run: async () => {
      for (const a of ctx.addresses) {
        sendFrame(ctx.guest.nsFd, ctx.link.index, announcementFrame(a.family, ctx.link.mac, a.address));
        ctx.result.announced ??= a.family === 4 ? 'gratuitous-arp' : 'neighbour-advertisement';
      }
    },
  };
}
