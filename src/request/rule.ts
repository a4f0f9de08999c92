// ruleRequest: `pipework rule <guest> [-4|-6] add|del|show ...`, the words the
// original hands to `ip rule` inside the guest, read into one request. All
// refusals of the rule command happen here.
//
//   add|del [priority N] [not] [from PREFIX|all] [to PREFIX|all] [fwmark M[/MASK]]
//       [iif IF] [oif IF] [table T | goto N]
//   show
//
// Aliases as iproute2's: pref and preference for priority, lookup for table.
import { PipeworkError, usage } from '../errors';
import { checkGuest } from './guest';
import { FamilyOf, objectWords, parseU32, readPrefix, readTable, readU32, type Prefix } from './inet-words';
import { checkInterfaceName } from './names';
import type { Family } from './types';
import { Words, keywords } from './words';

export type RuleCommand = 'add' | 'del' | 'show';
const COMMANDS: Readonly<Record<string, RuleCommand>> = { add: 'add', del: 'del', delete: 'del', show: 'show', list: 'show' };

export interface RuleRequest {
  op: 'rule';
  guest: string;
  command: RuleCommand;
  familyOption?: Family | undefined;
  /** -4/-6, else the family of from/to, else IPv4 (as iproute2). */
  family: Family;
  priority?: number | undefined;
  not?: boolean | undefined;
  /** 'all' is sent as iproute2 sends it: an empty selector. */
  from?: Prefix | 'all' | undefined;
  to?: Prefix | 'all' | undefined;
  fwmark?: number | undefined;
  fwmask?: number | undefined;
  iif?: string | undefined;
  oif?: string | undefined;
  table?: number | undefined;
  goto?: number | undefined;
}

/** The library's object form: the same words, as fields. */
export interface RuleOptions {
  command: string;
  family?: Family | undefined;
  priority?: number | undefined;
  not?: boolean | undefined;
  from?: string | undefined;
  to?: string | undefined;
  fwmark?: string | number | undefined;
  iif?: string | undefined;
  oif?: string | undefined;
  table?: string | number | undefined;
  goto?: number | undefined;
}

const WHAT = 'rule';

export function ruleOptionWords(o: RuleOptions): string[] {
  return objectWords(WHAT, o, 'not', ['priority', 'from', 'to', 'fwmark', 'iif', 'oif', 'table', 'goto']);
}

type Handler = (w: Words, k: string) => void;

export function ruleRequest(guest: string, input: readonly string[] | RuleOptions): RuleRequest {
  const words = Array.isArray(input) ? (input as readonly string[]) : ruleOptionWords(input as RuleOptions);
  const w = new Words(words, WHAT);
  const f = w.accept('-4', '-6');
  const familyOption: Family | undefined = f === '-4' ? 4 : f === '-6' ? 6 : undefined;
  const cmdWord = w.next(`a rule command (${Object.keys(COMMANDS).join(', ')})`);
  if (!Object.hasOwn(COMMANDS, cmdWord)) throw w.bad(cmdWord, `a rule command (${Object.keys(COMMANDS).join(', ')})`);
  const command = COMMANDS[cmdWord]!;
  const fam = new FamilyOf(w, familyOption);
  const req: RuleRequest = { op: 'rule', guest: checkGuest(guest), command, familyOption, family: 4 };
  if (command === 'show') {
    w.end();
    req.family = familyOption ?? 4;
    return req;
  }
  const selector = (k: 'from' | 'to'): Handler => (x) => {
    if (x.accept('all')) req[k] = 'all';
    else req[k] = readPrefix(x, fam, k);
  };
  const priority: Handler = (x, k) => void (req.priority = readU32(x, k, 'a priority'));
  const table: Handler = (x, k) => void (req.table = readTable(x, k));
  const ifname = (k: 'iif' | 'oif'): Handler => (x) => {
    const name = x.next(`a device after ${k}`);
    try {
      req[k] = checkInterfaceName(name, k);
    } catch (e) {
      throw e instanceof PipeworkError ? usage(`${WHAT}: ${e.message}`) : e;
    }
  };
  keywords(w, {
    priority,
    pref: priority,
    preference: priority,
    not: () => void (req.not = true),
    from: selector('from'),
    to: selector('to'),
    fwmark: (x, k) => readFwmark(x, k, req),
    iif: ifname('iif'),
    oif: ifname('oif'),
    table,
    lookup: table,
    goto: (x, k) => void (req.goto = readU32(x, k, 'a priority to go to')),
  });
  if (req.goto !== undefined && req.table !== undefined) throw usage(`${WHAT}: goto and table exclude each other: a rule either looks up a table or jumps`);
  const selects = req.priority !== undefined || req.from !== undefined || req.to !== undefined || req.fwmark !== undefined || req.iif !== undefined || req.oif !== undefined || req.table !== undefined || req.goto !== undefined;
  // The kernel deletes the first rule matching a del; with nothing to match that is the first rule of all.
  if (command === 'del' && !selects) throw usage(`${WHAT} del: name the rule (priority, from, to, fwmark, iif, oif, table or goto)`);
  req.family = fam.family ?? 4;
  return req;
}

function readFwmark(w: Words, k: string, req: RuleRequest): void {
  const word = w.next(`a mark after ${k}`);
  const slash = word.indexOf('/');
  try {
    req.fwmark = parseU32(w, slash < 0 ? word : word.slice(0, slash), k, 'a mark');
    if (slash >= 0) req.fwmask = parseU32(w, word.slice(slash + 1), k, 'a mask after /');
  } catch {
    throw w.bad(word, `a mark (${k}): MARK[/MASK], each 0..4294967295`);
  }
}

/** The request as `ip rule` words in the encoder's order (what --dry-run prints); -4/-6 go before `rule`. */
export function ruleWords(req: RuleRequest): { options: string[]; words: string[] } {
  const options = req.familyOption ? [`-${req.familyOption}`] : [];
  const words: string[] = [req.command];
  if (req.command === 'show') return { options, words };
  const prefix = (p: Prefix | 'all') => (p === 'all' ? 'all' : `${p.address}/${p.length}`);
  if (req.priority !== undefined) words.push('priority', String(req.priority));
  if (req.not) words.push('not');
  if (req.from !== undefined) words.push('from', prefix(req.from));
  if (req.to !== undefined) words.push('to', prefix(req.to));
  if (req.fwmark !== undefined) words.push('fwmark', `0x${req.fwmark.toString(16)}${req.fwmask !== undefined ? `/0x${req.fwmask.toString(16)}` : ''}`);
  if (req.iif !== undefined) words.push('iif', req.iif);
  if (req.oif !== undefined) words.push('oif', req.oif);
  if (req.table !== undefined) words.push('table', String(req.table));
  if (req.goto !== undefined) words.push('goto', String(req.goto));
  return { options, words };
}
