// Re-running an attach: when the guest already has the interface, marked as
// ours for this guest and name, compare it with what is asked. The same
// attach succeeds and changes nothing; a different one fails naming every
// difference, and changes nothing either.
import { PipeworkError } from '../errors';
import { formatIp, formatMac } from '../packet';
import { AF_INET, AF_INET6, RT_SCOPE_UNIVERSE, type Link } from '../rtnl';
import type { Guest } from '../netns';
import { summariseGuest, type AttachPlan, type AttachResult, type RouteSummary } from './results';
import { formatMark, guestMark, parseMark, sameMark } from './mark';
import { describeGuest, type Namespace } from './namespace';
import type { AttachRequest } from '../request/types';

export async function existingAttachment(
  req: AttachRequest,
  host: Namespace,
  guestNs: Namespace,
  guest: Guest,
  link: Link,
  bridge: Link | undefined,
): Promise<AttachPlan> {
  const mark = guestMark(guest, req.guestIf);
  const [peer, addrs, routes4, routes6] = await Promise.all([
    link.link ? host.linkByIndex(link.link) : Promise.resolve(undefined),
    guestNs.addrs(0, link.index),
    guestNs.routes(AF_INET),
    guestNs.routes(AF_INET6),
  ]);
  const differences: string[] = [];
  const ours = peer && peer.kind === 'veth' && peer.link === link.index && sameMark(parseMark(peer.alias), mark);
  if (!ours) {
    differences.push(`its host side is not in this host namespace (looked for ${formatMark(mark)})`);
  } else {
    if (req.hostLinkName !== undefined && peer.name !== req.hostLinkName) differences.push(`host side ${peer.name}, not ${req.hostLinkName}`);
    if (!bridge || peer.master !== bridge.index) {
      const on = peer.master ? (await host.linkByIndex(peer.master))?.name ?? `ifindex ${peer.master}` : 'no bridge';
      differences.push(`on ${on}, not ${req.hostIf}`);
    }
  }
  if (bridge && link.mtu !== bridge.mtu) differences.push(`MTU ${link.mtu}, not ${req.hostIf}'s ${bridge.mtu}`);
  const mac = link.mac ? formatMac(link.mac) : '';
  if (req.mac && mac !== req.mac) differences.push(`MAC ${mac}, not ${req.mac}`);

  // Global addresses only: the kernel adds IPv6 link-local ones by itself.
  const have = addrs
    .filter((a) => a.index === link.index && (a.family === AF_INET || a.scope === RT_SCOPE_UNIVERSE))
    .map((a) => `${formatIp(a.address)}/${a.prefixLength}`);
  const want = req.address ? [`${req.address.address}/${req.address.prefixLength}`] : [];
  if (!sameSet(have, want)) differences.push(`address ${list(have)}, not ${list(want)}`);

  const defaults = [...routes4, ...routes6].filter((r) => r.dstLength === 0 && r.oif === link.index && r.gateway).map((r) => formatIp(r.gateway!));
  const gateways = req.gateway ? [req.gateway] : [];
  if (!sameSet(defaults, gateways)) differences.push(`default route via ${list(defaults)}, not ${list(gateways)}`);
  if (!link.up) differences.push('it is down');

  if (differences.length) {
    throw new PipeworkError(
      'CONFLICT',
      `${describeGuest(guest)} already has ${req.guestIf} from an earlier attach, with ${differences.join('; ')}: detach it first to change it`,
    );
  }
  const routes: RouteSummary[] = [...routes4, ...routes6]
    .filter((r) => r.oif === link.index && r.dst && r.dstLength === (r.family === AF_INET ? 32 : 128) && gateways.includes(formatIp(r.dst)))
    .map((r) => ({ dst: `${formatIp(r.dst!)}/${r.dstLength}`, dev: req.guestIf }));
  if (req.gateway) routes.push({ dst: 'default', via: req.gateway, dev: req.guestIf });
  const result: AttachResult = {
    guest: summariseGuest(guest),
    hostIf: req.hostIf,
    kind: 'bridge',
    created: [],
    link: `host side ${peer!.name} on bridge ${req.hostIf}`,
    notes: [],
    hostSide: peer!.name,
    guestSide: req.guestIf,
    mac,
    mtu: link.mtu,
    addresses: want,
    routes,
    alreadyInPlace: true,
  };
  return { steps: [], result };
}

const sameSet = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));
const list = (xs: string[]): string => (xs.length ? xs.join(', ') : 'none');
