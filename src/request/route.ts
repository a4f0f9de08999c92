// routeRequest: `pipework route <guest> [-4|-6] COMMAND ...`, the words the
// original hands to `ip route` inside the guest, read into one request. All
// refusals of the route command happen here.
//
//   add|del|replace|change|append [TYPE] PREFIX|default [via ADDR] [dev IF] [table T]
//       [proto P] [scope S] [src ADDR] [metric N] [onlink] [mtu N]
//   get ADDR [from ADDR] [oif IF] [mark N]
//   show|flush [table T|all] [dev IF] [proto P] [scope S] [type TYPE]
//
// As in iproute2, the destination may also be written `to PREFIX` among the
// keywords, and `type TYPE` is accepted for the leading TYPE word.
import { PipeworkError, usage } from '../errors';
import { checkGuest } from './guest';
import { FamilyOf, objectWords, PROTO_NAMES, SCOPE_NAMES, TABLE_NAMES, nameOf, readAddress, readNamed, readPrefix, readTable, readU32, type Prefix } from './inet-words';
import { checkInterfaceName } from './names';
import type { Family } from './types';
import { Words, keywords } from './words';

export type RouteCommand = 'add' | 'del' | 'replace' | 'change' | 'append' | 'get' | 'show' | 'flush';
const COMMANDS: Readonly<Record<string, RouteCommand>> = {
  add: 'add', del: 'del', delete: 'del', replace: 'replace', change: 'change', append: 'append',
  get: 'get', show: 'show', list: 'show', flush: 'flush',
};

/** The types a route can be added with. */
export const ADDABLE_TYPES = ['unicast', 'blackhole', 'unreachable', 'prohibit'] as const;
export type RouteTypeName = (typeof ADDABLE_TYPES)[number];
/** rtnl_rtntype_n2a's names: what show prints and filters on (RTN_*). */
export const ROUTE_TYPES: Readonly<Record<string, number>> = {
  none: 0, unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9, nat: 10, xresolve: 11,
};

export interface RouteRequest {
  op: 'route';
  guest: string;
  command: RouteCommand;
  /** -4 or -6 as given: with it, `default` is sent as an all-zero destination, as iproute2 does. */
  familyOption?: Family | undefined;
  /** The family of every address; show and flush without one and with `table all` list both. */
  family?: Family | undefined;
  /** add..del: the destination; get: the address asked about. */
  dst?: Prefix | 'default' | undefined;
  /** add..del: the route's type; show, flush: only routes of this type. */
  type?: string | undefined;
  via?: string | undefined;
  /** add..del: the output device; get: oif; show, flush: only routes out of it. */
  dev?: string | undefined;
  /** add..del: the preferred source (src); get: from. */
  src?: string | undefined;
  metric?: number | undefined;
  /** A table; 'all' for show and flush of every table. */
  table?: number | 'all' | undefined;
  proto?: number | undefined;
  scope?: number | undefined;
  onlink?: boolean | undefined;
  mtu?: number | undefined;
  mark?: number | undefined;
}

/** The library's object form: the same words, as fields (`{ command: 'add', to: '203.0.113.0/24', via: '198.51.100.1' }`). */
export interface RouteOptions {
  command: string;
  family?: Family | undefined;
  type?: string | undefined;
  to?: string | undefined;
  via?: string | undefined;
  dev?: string | undefined;
  table?: string | number | undefined;
  proto?: string | number | undefined;
  scope?: string | number | undefined;
  src?: string | undefined;
  from?: string | undefined;
  metric?: number | undefined;
  onlink?: boolean | undefined;
  mtu?: number | undefined;
  mark?: number | undefined;
}

const WHAT = 'route';

/** The words of the object form, in the order the grammar reads them; every check is the words'. */
export function routeOptionWords(o: RouteOptions): string[] {
  return objectWords(WHAT, o, 'onlink', ['type', 'to', 'via', 'dev', 'table', 'proto', 'scope', 'src', 'from', 'metric', 'mtu', 'mark']);
}

export function routeRequest(guest: string, input: readonly string[] | RouteOptions): RouteRequest {
  const words = Array.isArray(input) ? (input as readonly string[]) : routeOptionWords(input as RouteOptions);
  const w = new Words(words, WHAT);
  const f = w.accept('-4', '-6');
  const familyOption: Family | undefined = f === '-4' ? 4 : f === '-6' ? 6 : undefined;
  const cmdWord = w.next(`a route command (${Object.keys(COMMANDS).join(', ')})`);
  if (!Object.hasOwn(COMMANDS, cmdWord)) throw w.bad(cmdWord, `a route command (${Object.keys(COMMANDS).join(', ')})`);
  const req: RouteRequest = { op: 'route', guest: checkGuest(guest), command: COMMANDS[cmdWord]!, familyOption };
  const fam = new FamilyOf(w, familyOption);
  const dev = (k: string) => (x: Words) => void (req.dev = interfaceName(x, k));
  if (req.command === 'get') readGet(w, req, fam, dev);
  else if (req.command === 'show' || req.command === 'flush') readSelectors(w, req, dev);
  else readRoute(w, req, fam, dev);
  req.family = fam.family ?? (req.command === 'show' || req.command === 'flush' ? (req.table === 'all' ? undefined : 4) : 4);
  return req;
}

type Handler = (w: Words, k: string) => void;

function readRoute(w: Words, req: RouteRequest, fam: FamilyOf, dev: (k: string) => Handler): void {
  const dst = (x: Words, k: string) => {
    if (req.dst !== undefined) throw x.bad(k, 'another destination: a route has one');
    let word = x.next('a prefix or default');
    if ((ADDABLE_TYPES as readonly string[]).includes(word)) {
      if (req.type !== undefined) throw usage(`${WHAT}: the route type is given twice (${req.type}, ${word})`);
      req.type = word;
      word = x.next(`a prefix or default after ${req.type}`);
    }
    req.dst = word === 'default' ? 'default' : readPrefix(x, fam, 'the destination', word);
  };
  const table: Record<string, Handler> = {
    to: dst,
    type: (x) => {
      if (req.type !== undefined) throw usage(`${WHAT}: the route type is given twice (${req.type}, type)`);
      req.type = x.oneOf('a route type', ADDABLE_TYPES);
    },
    via: (x) => void (req.via = readAddress(x, fam, 'via').address),
    dev: dev('dev'),
    oif: dev('oif'),
    table: (x, k) => void (req.table = readTable(x, k)),
    proto: proto(req),
    protocol: proto(req),
    scope: (x, k) => void (req.scope = readNamed(x, k, SCOPE_NAMES, 255, 'a scope')),
    src: (x) => void (req.src = readAddress(x, fam, 'src').address),
    metric: metric(req),
    priority: metric(req),
    preference: metric(req),
    onlink: () => void (req.onlink = true),
    mtu: (x, k) => void (req.mtu = readU32(x, k, 'an MTU', 1)),
  };
  const first = w.peek();
  if (first !== undefined && !Object.hasOwn(table, first)) dst(w, 'to');
  keywords(w, table);
  if (req.dst === undefined) throw usage(`${WHAT} ${req.command}: missing the destination: a prefix (203.0.113.0/24) or default`);
}

function readGet(w: Words, req: RouteRequest, fam: FamilyOf, dev: (k: string) => Handler): void {
  const to = (x: Words) => {
    if (req.dst !== undefined) throw x.bad('to', 'another address: get asks about one');
    const p = readPrefix(x, fam, 'get');
    if (p.length !== (p.family === 4 ? 32 : 128)) throw x.bad(`${p.address}/${p.length}`, 'an address (get): a single address, no prefix length');
    req.dst = p;
  };
  const table: Record<string, Handler> = {
    to,
    from: (x) => void (req.src = readAddress(x, fam, 'from').address),
    oif: dev('oif'),
    dev: dev('dev'),
    mark: (x, k) => void (req.mark = readU32(x, k, 'a mark')),
  };
  const first = w.peek();
  if (first !== undefined && !Object.hasOwn(table, first)) to(w);
  keywords(w, table);
  if (req.dst === undefined) throw usage(`${WHAT} get: missing the address to look up`);
}

function readSelectors(w: Words, req: RouteRequest, dev: (k: string) => Handler): void {
  const table: Record<string, Handler> = {
    table: (x, k) => {
      if (x.accept('all')) req.table = 'all';
      else req.table = readNamed(x, k, TABLE_NAMES, 0xffffffff, 'a table (or all)', 1);
    },
    dev: dev('dev'),
    oif: dev('oif'),
    proto: proto(req),
    protocol: proto(req),
    scope: (x, k) => void (req.scope = readNamed(x, k, SCOPE_NAMES, 255, 'a scope')),
    type: (x) => {
      const t = x.next('a route type after type');
      if (!Object.hasOwn(ROUTE_TYPES, t)) throw x.bad(t, `a route type (type): ${Object.keys(ROUTE_TYPES).join(', ')}`);
      req.type = t;
    },
  };
  keywords(w, table);
  if (req.command === 'flush' && req.table === undefined && req.dev === undefined && req.proto === undefined && req.scope === undefined && req.type === undefined) {
    // As `ip route flush` ("Flush requires arguments"): flushing a whole table by accident is not a default.
    throw usage(`${WHAT} flush: name what to flush (table, dev, proto, scope or type)`);
  }
}

function proto(req: RouteRequest): Handler {
  return (x, k) => void (req.proto = readNamed(x, k, PROTO_NAMES, 255, 'a protocol'));
}

function metric(req: RouteRequest): Handler {
  return (x, k) => void (req.metric = readU32(x, k, 'a metric'));
}

function interfaceName(w: Words, keyword: string): string {
  const name = w.next(`a device after ${keyword}`);
  try {
    return checkInterfaceName(name, keyword);
  } catch (e) {
    throw e instanceof PipeworkError ? usage(`${w.what}: ${e.message}`) : e;
  }
}

/**
 * The request as `ip` words, in the order the encoder lays the attributes out
 * (the order `ip route show` prints them): what --dry-run prints, and what
 * iproute2 sends the same bytes for. `-4`/`-6` go before `route`.
 */
export function routeWords(req: RouteRequest): { options: string[]; words: string[] } {
  const options = req.familyOption ? [`-${req.familyOption}`] : [];
  const words: string[] = [req.command];
  const add = (k: string, v: string | number | undefined) => {
    if (v !== undefined) words.push(k, String(v));
  };
  const dst = req.dst === undefined ? undefined : req.dst === 'default' ? 'default' : `${req.dst.address}/${req.dst.length}`;
  if (req.command === 'get') {
    words.push(req.dst !== 'default' && req.dst ? req.dst.address : '');
    add('from', req.src);
    add('oif', req.dev);
    add('mark', req.mark);
    return { options, words };
  }
  if (req.command === 'show' || req.command === 'flush') {
    add('table', req.table === 'all' ? 'all' : req.table === undefined ? undefined : nameOf(TABLE_NAMES, req.table));
    add('dev', req.dev);
    add('proto', req.proto === undefined ? undefined : nameOf(PROTO_NAMES, req.proto));
    add('scope', req.scope === undefined ? undefined : nameOf(SCOPE_NAMES, req.scope));
    add('type', req.type);
    return { options, words };
  }
  if (req.type !== undefined) words.push(req.type);
  words.push(dst!);
  add('via', req.via);
  add('dev', req.dev);
  add('table', typeof req.table === 'number' ? nameOf(TABLE_NAMES, req.table) : undefined);
  add('proto', req.proto === undefined ? undefined : nameOf(PROTO_NAMES, req.proto));
  add('scope', req.scope === undefined ? undefined : nameOf(SCOPE_NAMES, req.scope));
  add('src', req.src);
  add('metric', req.metric);
  if (req.onlink) words.push('onlink');
  add('mtu', req.mtu);
  return { options, words };
}
