// `pipework tc <guest> ...`: the tc words to a request, every refusal here.
// The original runs `tc` inside the guest with whatever follows; we speak
// netlink for the common subset, with tc's grammar (iproute2 6.1,
// tc/tc_qdisc.c and tc/tc_class.c):
//
//   qdisc add|replace|change|del dev IF (root | parent X:Y | ingress) [handle X:] [KIND OPTIONS]
//   qdisc show [dev IF]
//   class add|replace|change|del dev IF (root | parent X:Y) classid X:Y [htb OPTIONS]
//   class show dev IF
//
// KIND is tbf, htb, prio, fq_codel, netem or ingress (tc-qdiscs.ts).
import { unsupported, usage } from '../errors';
import { INGRESS_HANDLE, TC_H_INGRESS, TC_H_ROOT, type HtbClassSpec, type QdiscKindName, type QdiscSpec } from '../rtnl/tc';
import { checkGuest } from './guest';
import { checkInterfaceName } from './names';
import { show } from './quote';
import { QDISC_OPTIONS, htbClass } from './tc-qdiscs';
import { Words } from './words';

export type TcVerb = 'add' | 'replace' | 'change' | 'del';

interface TcBase {
  op: 'tc';
  guest: string;
  /** The tc arguments as given: what --dry-run prints after `tc`. */
  words: string[];
}

export interface TcQdiscRequest extends TcBase {
  object: 'qdisc';
  verb: TcVerb;
  dev: string;
  /** TC_H_ROOT, TC_H_INGRESS or a class id. */
  parent: number;
  /** The qdisc's major in the upper 16 bits; 0 lets the kernel pick. */
  handle: number;
  /** Absent only for a del that names no kind. */
  qdisc?: QdiscSpec | undefined;
}

export interface TcClassRequest extends TcBase {
  object: 'class';
  verb: TcVerb;
  dev: string;
  parent: number;
  classid: number;
  /** Absent only for a del. */
  htb?: HtbClassSpec | undefined;
}

export interface TcShowRequest extends TcBase {
  object: 'qdisc' | 'class';
  verb: 'show';
  /** Required for class show, as tc requires it. */
  dev?: string | undefined;
}

export type TcRequest = TcQdiscRequest | TcClassRequest | TcShowRequest;

export const QDISC_KIND_NAMES: readonly QdiscKindName[] = Object.keys(QDISC_OPTIONS) as QdiscKindName[];

// Kinds and objects tc knows that we do not do (iproute2 6.1's tc/q_*.c, tc/tc.c):
// refused as not supported yet rather than as malformed.
const OTHER_QDISCS = new Set(['bfifo', 'pfifo', 'pfifo_fast', 'pfifo_head_drop', 'cake', 'cbq', 'cbs', 'choke', 'clsact', 'codel', 'drr', 'etf', 'ets', 'fq', 'fq_pie', 'gred', 'hfsc', 'hhf', 'mq', 'mqprio', 'multiq', 'noqueue', 'pie', 'plug', 'qfq', 'red', 'sfb', 'sfq', 'skbprio', 'taprio']);
const OTHER_OBJECTS = new Set(['filter', 'chain', 'action', 'actions', 'monitor', 'exec']);
const OTHER_FRAMING = new Set(['estimator', 'stab', 'ingress_block', 'egress_block', 'clsact']);

const VERBS: Readonly<Record<string, TcVerb | 'show'>> = { add: 'add', replace: 'replace', change: 'change', del: 'del', delete: 'del', show: 'show', list: 'show', ls: 'show' };

/** `X:` (or `none`): get_qdisc_handle, without a minor. */
function qdiscHandle(w: Words): number {
  const word = w.next('a qdisc handle (e.g. 1:)');
  if (word === 'none') return 0;
  const m = /^([0-9a-f]{1,4}):?$/i.exec(word);
  if (!m) throw w.bad(word, 'a qdisc handle (hex major then a colon, e.g. 1:)');
  return (parseInt(m[1]!, 16) << 16) >>> 0;
}

/** `X:Y`, `X:`, `:Y` or `root`: get_tc_classid. */
export function parseClassid(word: string): number | undefined {
  if (word === 'root') return TC_H_ROOT;
  const m = /^([0-9a-f]{0,4}):([0-9a-f]{0,4})$/i.exec(word);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  return ((parseInt(m[1] || '0', 16) << 16) | parseInt(m[2] || '0', 16)) >>> 0;
}

function classid(w: Words, k: string): number {
  const word = w.next(`a class id after ${k} (e.g. 1:10)`);
  const id = parseClassid(word);
  if (id === undefined || id === TC_H_ROOT) throw w.bad(word, `a class id for ${k} (hex major:minor, e.g. 1:10)`);
  return id;
}

function dev(w: Words): string {
  const word = w.next('an interface name after dev');
  try {
    return checkInterfaceName(word, 'dev');
  } catch (e) {
    throw usage(`${w.what}: ${(e as Error).message}`);
  }
}

function once<T>(w: Words, k: string, current: T | undefined, v: () => T): T {
  if (current !== undefined) throw usage(`${w.what}: ${k === 'root' || k === 'ingress' || k === 'parent' ? 'root, ingress or parent' : k} given twice`);
  return v();
}

function kindOf(w: Words, word: string): QdiscKindName {
  if ((QDISC_KIND_NAMES as string[]).includes(word)) return word as QdiscKindName;
  const supported = `qdisc kinds supported: ${QDISC_KIND_NAMES.join(', ')}`;
  if (OTHER_QDISCS.has(word)) throw unsupported(`${w.what}: the ${word} qdisc (${supported})`);
  throw w.bad(word, `a keyword or qdisc kind here (dev, root, parent, handle, ingress; ${supported})`);
}

function qdiscChange(w: Words, verb: TcVerb, base: TcBase): TcQdiscRequest {
  let d: string | undefined;
  let parent: number | undefined;
  let handle: number | undefined;
  let qdisc: QdiscSpec | undefined;
  while (!w.done) {
    const k = w.next('a keyword');
    if (k === 'dev') d = once(w, k, d, () => dev(w));
    else if (k === 'handle') handle = once(w, k, handle, () => qdiscHandle(w));
    else if (k === 'root') parent = once(w, k, parent, () => TC_H_ROOT);
    else if (k === 'parent') parent = once(w, k, parent, () => classid(w, k));
    else if (k === 'ingress') {
      // The word is both the place and the kind; the handle is always ffff: (tc_qdisc.c).
      parent = once(w, k, parent, () => TC_H_INGRESS);
      handle = INGRESS_HANDLE;
      qdisc = QDISC_OPTIONS.ingress(w);
    } else if (OTHER_FRAMING.has(k)) throw unsupported(`${w.what}: ${k}`);
    else qdisc = QDISC_OPTIONS[kindOf(w, k)](w);
  }
  if (d === undefined) throw usage(`${w.what}: missing dev IF`);
  if (parent === undefined) throw usage(`${w.what}: missing root, parent X:Y or ingress`);
  if (!qdisc && verb !== 'del') throw usage(`${w.what}: missing a qdisc kind (${QDISC_KIND_NAMES.join(', ')})`);
  const req: TcQdiscRequest = { ...base, object: 'qdisc', verb, dev: d, parent, handle: handle ?? 0 };
  if (qdisc) req.qdisc = qdisc;
  return req;
}

function classChange(w: Words, verb: TcVerb, base: TcBase): TcClassRequest {
  let d: string | undefined;
  let parent: number | undefined;
  let id: number | undefined;
  let spec: HtbClassSpec | undefined;
  while (!w.done) {
    const k = w.next('a keyword');
    if (k === 'dev') d = once(w, k, d, () => dev(w));
    else if (k === 'classid') id = once(w, k, id, () => classid(w, k));
    else if (k === 'root') parent = once(w, k, parent, () => TC_H_ROOT);
    else if (k === 'parent') parent = once(w, k, parent, () => classid(w, k));
    else if (k === 'htb') spec = htbClass(w);
    else if ((QDISC_KIND_NAMES as string[]).includes(k) || OTHER_QDISCS.has(k)) throw unsupported(`${w.what}: ${k} classes (class kinds supported: htb)`);
    else throw w.bad(k, 'a keyword or class kind here (dev, root, parent, classid; class kinds supported: htb)');
  }
  if (d === undefined) throw usage(`${w.what}: missing dev IF`);
  if (id === undefined) throw usage(`${w.what}: missing classid X:Y`);
  if (verb !== 'del') {
    if (parent === undefined) throw usage(`${w.what}: missing root or parent X:Y`);
    if (!spec) throw usage(`${w.what}: missing the class kind (htb)`);
  } else if (spec) throw usage(`${w.what}: a class is deleted by its classid alone (no htb options)`);
  const req: TcClassRequest = { ...base, object: 'class', verb, dev: d, parent: parent ?? 0, classid: id };
  if (spec) req.htb = spec;
  return req;
}

function showRequest(w: Words, object: 'qdisc' | 'class', base: TcBase): TcShowRequest {
  let d: string | undefined;
  if (w.accept('dev')) d = dev(w);
  w.end();
  if (object === 'class' && d === undefined) throw usage(`${w.what}: missing dev IF (tc class show needs it)`);
  return { ...base, object, verb: 'show', dev: d };
}

/** `pw.tc(guest, words)` and the CLI's `pipework tc <guest> words...`. */
export function tcRequest(guest: string, words: readonly string[]): TcRequest {
  if (!Array.isArray(words) || !words.every((x) => typeof x === 'string')) throw usage('pipework tc: the tc words must be an array of strings');
  const base: TcBase = { op: 'tc', guest: checkGuest(guest), words: [...words] };
  const top = new Words(words, 'pipework tc');
  const object = top.next('qdisc or class');
  if (OTHER_OBJECTS.has(object)) throw unsupported(`pipework tc ${object} (objects supported: qdisc, class)`);
  if (object !== 'qdisc' && object !== 'class') throw top.bad(object, 'an object tc manages here (qdisc, class)');
  const verbWord = top.next(`a ${object} command (add, replace, change, del, show)`);
  const verb = Object.hasOwn(VERBS, verbWord) ? VERBS[verbWord]! : undefined;
  if (!verb) throw top.bad(verbWord, `a ${object} command (add, replace, change, del, show)`);
  const w = new Words(words.slice(2), `pipework tc ${object} ${verbWord}`);
  if (verb === 'show') return showRequest(w, object, base);
  return object === 'qdisc' ? qdiscChange(w, verb, base) : classChange(w, verb, base);
}

/** The request's tc command, for --dry-run and messages. */
export function tcCommand(req: TcRequest): string {
  return `tc ${req.words.map(show).join(' ')}`;
}
