// Re-running an attach: the guest already has the interface, marked as ours
// for this guest and name. The kind compares what it made (the host side, the
// parent, the mode); this file compares what every kind shares (MTU, MAC,
// addresses, gateway, up). The same attach succeeds and changes nothing; a
// different one fails naming every difference, and changes nothing either.
import { PipeworkError } from '../errors';
import { formatIp, formatMac } from '../packet';
import { AF_INET, AF_INET6, RT_SCOPE_UNIVERSE, RT_TABLE_MAIN, type Link } from '../rtnl';
import type { AttachContext } from './context';
import type { HostIfFound, HostIfKind } from './hostif/kind';
import { dhcpRerun } from './dhcp-rerun';
import type { Mark } from './mark';
import type { AttachPlan, RouteSummary } from './results';

export async function existingAttachment(ctx: AttachContext, kind: HostIfKind, found: HostIfFound, link: Link, theirs: Mark): Promise<AttachPlan> {
  const { req, guestNs } = ctx;
  const [addrs, routes4, routes6] = await Promise.all([guestNs.addrs(0, link.index), guestNs.routes(AF_INET), guestNs.routes(AF_INET6)]);
  const differences: string[] = [];
  let mtu = link.mtu;
  if (theirs.hostKind !== kind.name) {
    differences.push(`it was made as a ${theirs.hostKind} link, and ${req.hostIf} now takes a ${kind.name} one`);
  } else {
    const ex = await kind.existing(ctx, found, link);
    differences.push(...ex.differences);
    ctx.result.hostSide = ex.hostSide;
    ctx.result.link = ex.link;
    mtu = ex.mtu;
  }
  // With DHCP the server decides the address, the gateway and the MTU (option 26): only the link is compared.
  const dhcp = req.dhcp !== undefined;
  if (link.mtu !== mtu && !dhcp) differences.push(`MTU ${link.mtu}, not ${req.hostIf}'s ${mtu}`);
  const mac = link.mac ? formatMac(link.mac) : '';
  if (req.mac && mac !== req.mac) differences.push(`MAC ${mac}, not ${req.mac}`);

  // Global addresses only: the kernel adds IPv6 link-local ones by itself.
  const have = addrs
    .filter((a) => a.index === link.index && (a.family === AF_INET || a.scope === RT_SCOPE_UNIVERSE))
    .map((a) => `${formatIp(a.address)}/${a.prefixLength}`);
  const want = req.address ? [`${req.address.address}/${req.address.prefixLength}`] : [];
  if (!sameSet(have, want) && !dhcp) differences.push(`address ${list(have)}, not ${list(want)}`);

  const routes = [...routes4, ...routes6].filter((r) => r.table === RT_TABLE_MAIN);
  const defaults = routes.filter((r) => r.dstLength === 0 && r.gateway);
  // Ours on this link; or, where the gateway is reached through another interface, the default via it there.
  const onLink = defaults.filter((r) => r.oif === link.index).map((r) => formatIp(r.gateway!));
  const gateways = req.gateway ? [req.gateway] : [];
  const elsewhere = onLink.length === 0 && req.gateway ? defaults.find((r) => formatIp(r.gateway!) === req.gateway) : undefined;
  const seen = elsewhere ? [req.gateway!] : onLink;
  if (!sameSet(seen, gateways) && !dhcp) differences.push(`default route via ${list(seen)}, not ${list(gateways)}`);
  if (!link.up) differences.push('it is down');

  if (differences.length) {
    throw new PipeworkError('CONFLICT', `${ctx.who} already has ${req.guestIf} from an earlier attach, with ${differences.join('; ')}: detach it first to change it`);
  }
  const summary: RouteSummary[] = routes
    .filter((r) => r.oif === link.index && r.dst && r.dstLength === (r.family === AF_INET ? 32 : 128) && gateways.includes(formatIp(r.dst)))
    .map((r) => ({ dst: `${formatIp(r.dst!)}/${r.dstLength}`, dev: req.guestIf }));
  if (req.gateway) {
    const dev = elsewhere?.oif !== undefined ? ((await guestNs.linkByIndex(elsewhere.oif))?.name ?? `ifindex ${elsewhere.oif}`) : req.guestIf;
    summary.push({ dst: 'default', via: req.gateway, dev });
  }
  Object.assign(ctx.result, { mac, mtu: link.mtu, addresses: dhcp ? have : want, routes: summary, alreadyInPlace: true });
  if (dhcp) dhcpRerun(ctx, link);
  return { steps: [], result: ctx.result };
}

const sameSet = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));
const list = (xs: string[]): string => (xs.length ? xs.join(', ') : 'none');
