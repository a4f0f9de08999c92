// pipework route <guest> ...: what the original runs as `ip netns exec <pid>
// ip route ...`, as netlink requests from a socket inside the guest.
// add/del/replace/change/append are one step; flush is a step per route,
// each undone by adding the route back; get and show only read.
import { PipeworkError, asPipeworkError } from '../errors';
import { NetlinkError } from '../netlink';
import { guestLabel, type Guest } from '../netns';
import { addressBytes } from '../request/inet-words';
import { ROUTE_TYPES, routeWords, type RouteCommand, type RouteRequest } from '../request/route';
import {
  AF_INET,
  AF_INET6,
  RTM_F_CLONED,
  RT_TABLE_MAIN,
  decodeRouteDetail,
  resendRoute,
  routeDumpMessage,
  routeGetMessage,
  routeMessage,
  type RouteMessageSpec,
} from '../rtnl';
import { describeGuest, type Namespace } from './namespace';
import { change, type Step } from './plan';
import { summariseGuest, type GuestSummary, type Planned } from './results';
import { routeJson, routeText, type PrintFilter, type RouteJson } from './route-print';

export interface RouteResult {
  guest: GuestSummary;
  command: RouteCommand;
  /** add..del: the route as iproute2 words. */
  route?: string | undefined;
  /** get, show: the routes as `ip -j` prints them; flush: the routes deleted (or to be, on a dry run). */
  routes?: RouteJson[] | undefined;
}

const af = (f: 4 | 6): number => (f === 4 ? AF_INET : AF_INET6);

/** The iproute2 command with the same effect, run inside the guest. */
export function routeCommandLine(ns: Namespace, req: RouteRequest): string {
  const { options, words } = routeWords(req);
  return `${ns.ip}${[...options, 'route', ...words].join(' ')}`;
}

/** A device named in the words, in the guest: its index. */
async function deviceIndex(ns: Namespace, name: string, guest: Guest): Promise<number> {
  const link = await ns.linkByName(name);
  // iproute2 says 'Cannot find device "eth9"' and sends nothing; so do we.
  if (!link) throw new PipeworkError('KERNEL', `Cannot find device ${JSON.stringify(name)} in ${describeGuest(guest)}`, { errno: 'ENODEV' });
  return link.index;
}

async function names(ns: Namespace): Promise<Map<number, string>> {
  return new Map((await ns.links()).map((l) => [l.index, l.name]));
}

export async function planRoute(req: RouteRequest, ns: Namespace, guest: Guest): Promise<Planned<RouteResult>> {
  const result: RouteResult = { guest: summariseGuest(guest), command: req.command };
  const oif = req.dev === undefined ? undefined : await deviceIndex(ns, req.dev, guest);
  if (req.command === 'get') {
    result.routes = [await get(req, ns, guest, oif)];
    return { steps: [], result };
  }
  if (req.command === 'show' || req.command === 'flush') {
    const found = await list(req, ns, oif);
    const byIndex = await names(ns);
    const filter: PrintFilter = { table: req.table !== 'all', proto: req.proto !== undefined, scope: req.scope !== undefined, dev: req.dev !== undefined };
    result.routes = found.map((m) => routeJson(decodeRouteDetail(m), byIndex, filter));
    const full = found.map((m) => routeJson(decodeRouteDetail(m), byIndex));
    return { steps: req.command === 'flush' ? found.map((m, i) => flushStep(ns, m, full[i]!)) : [], result };
  }
  const { words } = routeWords(req);
  result.route = words.slice(1).join(' ');
  const msg = encodeRouteRequest(req, oif);
  const title = `${req.command} route ${result.route} in ${describeGuest(guest)}`;
  return { steps: [change(title, routeCommandLine(ns, req), async () => void (await ns.sock.request(msg)))], result };
}

/** The message the request sends (a dump request for show and flush), `dev` being ifindex oif: pure. */
export function encodeRouteRequest(req: RouteRequest, oif: number | undefined): Buffer {
  const family = req.family ?? 4;
  if (req.command === 'get') {
    const dst = req.dst as { address: string };
    return routeGetMessage({
      family: af(family),
      dst: addressBytes({ family, address: dst.address }),
      src: req.src === undefined ? undefined : addressBytes({ family, address: req.src }),
      oif,
      mark: req.mark,
    });
  }
  if (req.command === 'show' || req.command === 'flush') {
    const table = req.table === 'all' ? undefined : (req.table ?? RT_TABLE_MAIN);
    return routeDumpMessage({ family: req.family === undefined ? 0 : af(req.family), table, protocol: req.proto, oif });
  }
  return routeMessage(req.command, messageSpec(req, oif));
}

function messageSpec(req: RouteRequest, oif: number | undefined): RouteMessageSpec {
  const family = req.family ?? 4;
  const full = family === 4 ? 4 : 16;
  const dst = req.dst!;
  return {
    family: af(family),
    // `default` is ::/0 or 0.0.0.0/0 once the family is known beforehand (-4/-6), as iproute2's get_prefix makes it.
    dst: dst === 'default' ? (req.familyOption ? Buffer.alloc(full) : undefined) : addressBytes(dst),
    dstLength: dst === 'default' ? 0 : dst.length,
    type: req.type === undefined ? undefined : ROUTE_TYPES[req.type],
    gateway: req.via === undefined ? undefined : addressBytes({ family, address: req.via }),
    oif,
    table: typeof req.table === 'number' ? req.table : undefined,
    protocol: req.proto,
    scope: req.scope,
    prefsrc: req.src === undefined ? undefined : addressBytes({ family, address: req.src }),
    metric: req.metric,
    onlink: req.onlink,
    mtu: req.mtu,
  };
}

async function get(req: RouteRequest, ns: Namespace, guest: Guest, oif: number | undefined): Promise<RouteJson> {
  const dst = req.dst as { address: string };
  const msg = encodeRouteRequest(req, oif);
  let reply: Buffer | undefined;
  try {
    [reply] = await ns.sock.request(msg);
  } catch (e) {
    // ENETUNREACH, EHOSTUNREACH...: the kernel's answer is the result, in its words.
    throw asPipeworkError(e, 'KERNEL', `route get ${dst.address} in ${describeGuest(guest)}`);
  }
  if (!reply) throw new PipeworkError('KERNEL', `route get ${dst.address} in ${describeGuest(guest)}: the kernel sent no route`);
  return routeJson(decodeRouteDetail(reply), await names(ns));
}

/** The routes `ip route show|flush` would list, filtered as iproute2's filter_nlmsg does for these keywords. */
async function list(req: RouteRequest, ns: Namespace, oif: number | undefined): Promise<Buffer[]> {
  const table = req.table === 'all' ? undefined : (req.table ?? RT_TABLE_MAIN);
  const family = req.family === undefined ? 0 : af(req.family);
  let dumped: Buffer[];
  try {
    dumped = await ns.sock.dump(encodeRouteRequest(req, oif));
  } catch (e) {
    // A table that never held a route does not exist yet: it lists nothing ("FIB table does not exist").
    if (e instanceof NetlinkError && e.code === 'ENOENT') return [];
    throw e;
  }
  const type = req.type === undefined ? undefined : ROUTE_TYPES[req.type];
  return dumped.filter((m) => {
    const r = decodeRouteDetail(m);
    if (family && r.family !== family) return false;
    if (r.flags & RTM_F_CLONED) return false;
    if (table !== undefined && r.table !== table) return false;
    if (req.proto !== undefined && r.protocol !== req.proto) return false;
    if (req.scope !== undefined && r.scope !== req.scope) return false;
    if (type !== undefined && r.type !== type) return false;
    if (oif !== undefined && r.oif !== oif) return false;
    return true;
  });
}

function flushStep(ns: Namespace, dumped: Buffer, j: RouteJson): Step {
  const text = routeText(j).trim();
  const family = dumped.readUInt8(16) === AF_INET6 ? '-6 ' : '';
  return change(
    `delete route ${text}`,
    `${ns.ip}${family}route del ${text}`,
    async () => void (await ns.sock.request(resendRoute(dumped, 'del'))),
    async () => void (await ns.sock.request(resendRoute(dumped, 'add'))),
  );
}

/** The human output: routes one per line as `ip route` prints them; a change's summary. */
export function formatRouteResult(r: RouteResult, dryRun: boolean): string {
  if (r.command === 'get' || r.command === 'show') return (r.routes ?? []).map((j) => `${routeText(j)}\n`).join('');
  const where = guestLabel(r.guest.kind, r.guest.name);
  if (r.command === 'flush') {
    const n = r.routes?.length ?? 0;
    return `${dryRun ? 'would flush' : 'flushed'} ${n} route${n === 1 ? '' : 's'} in ${where}`;
  }
  return `${dryRun ? 'would ' : ''}${r.command} route ${r.route} in ${where}`;
}
