// A qdisc as `tc qdisc show` prints it (tc/tc_qdisc.c, print_qdisc), on one
// line, and as `tc -j qdisc show` prints it: the same members in the same
// order. The options come from the kind's module; a kind we do not encode is
// listed with its header only.
import { TC_H_MAJ, TC_H_MIN, TC_H_ROOT, TC_H_UNSPEC } from './constants';
import type { Clock } from './core';
import { QDISC_KINDS, type QdiscKindName } from './kinds';
import { decodeHtbClass } from './htb';
import type { TcObject } from './qdisc';

/** print_tc_classid: 'root', 'none', '1:', ':10', '1:10'. */
export function formatClassid(h: number): string {
  if (h === TC_H_ROOT) return 'root';
  if (h === TC_H_UNSPEC) return 'none';
  if (TC_H_MAJ(h) === 0) return `:${TC_H_MIN(h).toString(16)}`;
  if (TC_H_MIN(h) === 0) return `${(TC_H_MAJ(h) >>> 16).toString(16)}:`;
  return `${(TC_H_MAJ(h) >>> 16).toString(16)}:${TC_H_MIN(h).toString(16)}`;
}

export interface QdiscView {
  kind: string;
  /** '1:', '8001:', 'ffff:' */
  handle: string;
  dev: string;
  root?: true | undefined;
  parent?: string | undefined;
  refcnt?: number | undefined;
  options: Record<string, unknown>;
}

const known = (kind: string): kind is QdiscKindName => Object.hasOwn(QDISC_KINDS, kind);

/** The view and tc's one line (without its trailing space) of a qdisc the kernel reported. */
export function viewQdisc(q: TcObject, dev: string, clock: Clock): { view: QdiscView; line: string } {
  const handle = `${(q.handle >>> 16).toString(16)}:`;
  const view: QdiscView = { kind: q.kind, handle, dev, options: {} };
  const parts = [`qdisc ${q.kind} ${handle}`, `dev ${dev}`];
  if (q.parent === TC_H_ROOT) {
    view.root = true;
    parts.push('root');
  } else if (q.parent) {
    view.parent = formatClassid(q.parent);
    parts.push(`parent ${view.parent}`);
  }
  if (q.info !== 1) {
    view.refcnt = q.info;
    parts.push(`refcnt ${q.info}`);
  }
  if (known(q.kind) && q.options) {
    const d = QDISC_KINDS[q.kind].decode(q.options, clock);
    view.options = d.json;
    if (d.text) parts.push(d.text);
  } else if (q.kind === 'ingress') {
    parts.push(QDISC_KINDS.ingress.decode(undefined, clock).text);
  }
  return { view, line: parts.join(' ') };
}

export interface ClassView {
  kind: string;
  /** The class id, '1:10'. */
  handle: string;
  dev: string;
  root?: true | undefined;
  parent?: string | undefined;
  /** The leaf qdisc's handle, when it has one. */
  leaf?: string | undefined;
  options: Record<string, unknown>;
}

/** A class as `tc class show` prints it (tc/tc_class.c, print_class). */
export function viewClass(c: TcObject, dev: string, clock: Clock): { view: ClassView; line: string } {
  const handle = formatClassid(c.handle);
  const view: ClassView = { kind: c.kind, handle, dev, options: {} };
  const parts = [`class ${c.kind} ${handle}`, `dev ${dev}`];
  if (c.parent === TC_H_ROOT) {
    view.root = true;
    parts.push('root');
  } else if (c.parent) {
    view.parent = formatClassid(c.parent);
    parts.push(`parent ${view.parent}`);
  }
  if (c.info) {
    view.leaf = `${(c.info >>> 16).toString(16)}:`;
    parts.push(`leaf ${view.leaf}`);
  }
  if (c.kind === 'htb') {
    const d = decodeHtbClass(c.options, clock);
    view.options = d.json;
    if (d.text) parts.push(d.text);
  }
  return { view, line: parts.join(' ') };
}
