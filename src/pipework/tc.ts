// `pipework tc <guest> ...`: one tc request sent on the guest's netlink
// socket, or the guest's qdiscs (classes) read back and printed as tc prints
// them. The original ran `tc` inside the guest (ip netns exec PID tc ...).
import * as fs from 'node:fs';
import { PipeworkError } from '../errors';
import type { Guest } from '../netns';
import { Clock, PSCHED_ASSUMED, decodeTc, delClass, delQdisc, dumpClasses, dumpQdiscs, newClass, newQdisc, parsePsched, viewClass, viewQdisc, type ClassView, type Psched, type QdiscView } from '../rtnl/tc';
import { tcCommand, type TcClassRequest, type TcQdiscRequest, type TcRequest, type TcShowRequest } from '../request/tc';
import { describeGuest, type Namespace } from './namespace';
import { change } from './plan';
import { summariseGuest, type GuestSummary, type Planned } from './results';
import { formatClassid } from '../rtnl/tc';

export interface TcResult {
  guest: GuestSummary;
  object: 'qdisc' | 'class';
  verb: TcRequest['verb'];
  /** The tc command this did (or, on a dry run, would do). */
  command: string;
  dev?: string | undefined;
  /** For show: what `tc -j qdisc show` (class show) prints, each with its dev. */
  qdiscs?: QdiscView[] | undefined;
  classes?: ClassView[] | undefined;
  /** For show: tc's one-line form of each. */
  lines?: string[] | undefined;
  message: string;
}

/**
 * The scheduler clock tc would use: /proc/net/psched, read as tc reads it.
 * Its numbers are the kernel's, the same in every namespace; when the file
 * cannot be read, the values of every current kernel (PSCHED_ASSUMED).
 */
export function readPsched(path = '/proc/net/psched'): Psched {
  try {
    return parsePsched(fs.readFileSync(path, 'utf8')) ?? PSCHED_ASSUMED;
  } catch {
    return PSCHED_ASSUMED;
  }
}

async function ifindexOf(ns: Namespace, guest: Guest, dev: string): Promise<number> {
  const link = await ns.linkByName(dev);
  if (!link) throw new PipeworkError('KERNEL', `${describeGuest(guest)} has no interface ${dev}`, { errno: 'ENODEV' });
  return link.index;
}

/** The request tc would send for req, on the interface of that index. */
export function encodeTc(req: TcQdiscRequest | TcClassRequest, ifindex: number, clock: Clock): Buffer {
  if (req.object === 'qdisc') {
    const t = { ifindex, handle: req.handle, parent: req.parent };
    return req.verb === 'del' ? delQdisc(t, req.qdisc, clock) : newQdisc(req.verb, t, req.qdisc!, clock);
  }
  const t = { ifindex, handle: req.classid, parent: req.parent };
  return req.verb === 'del' ? delClass(t) : newClass(req.verb, t, req.htb!, clock);
}

const DONE: Readonly<Record<string, string>> = { add: 'added', replace: 'replaced', change: 'changed', del: 'deleted' };

function what(req: TcQdiscRequest | TcClassRequest): string {
  if (req.object === 'class') return `class ${req.htb?.kind ?? ''} ${formatClassid(req.classid)}`.replace('  ', ' ');
  return `qdisc${req.qdisc ? ` ${req.qdisc.kind}` : ''} at ${formatClassid(req.parent)}`;
}

/** The one step of a change: the request encoded now (so a bad combination fails before anything is sent). */
export async function planTc(req: TcQdiscRequest | TcClassRequest, ns: Namespace, guest: Guest, psched = readPsched()): Promise<Planned<TcResult>> {
  const ifindex = await ifindexOf(ns, guest, req.dev);
  const msg = encodeTc(req, ifindex, new Clock(psched));
  const command = tcCommand(req);
  const title = `${req.verb} ${what(req)} on ${req.dev} of ${describeGuest(guest)}`;
  const result: TcResult = {
    guest: summariseGuest(guest),
    object: req.object,
    verb: req.verb,
    command,
    dev: req.dev,
    message: `${what(req)} ${DONE[req.verb]} on ${req.dev} of ${describeGuest(guest)}`,
  };
  const step = change(title, `${ns.exec}${command}`, async () => {
    await ns.sock.request(msg);
  });
  return {
    steps: [step],
    result,
    preview: () => {
      result.message = `would ${req.verb} ${what(req)} on ${req.dev} of ${describeGuest(guest)}`;
    },
  };
}

/** qdisc show / class show: a dump, decoded, filtered to dev as tc filters it. */
export async function showTc(req: TcShowRequest, ns: Namespace, guest: Guest, psched = readPsched()): Promise<TcResult> {
  const clock = new Clock(psched);
  const names = new Map((await ns.links()).map((l) => [l.index, l.name]));
  const ifindex = req.dev === undefined ? 0 : await ifindexOf(ns, guest, req.dev);
  const replies = await ns.sock.dump(req.object === 'qdisc' ? dumpQdiscs(ifindex) : dumpClasses(ifindex));
  const objects = replies.map(decodeTc).filter((o) => ifindex === 0 || o.ifindex === ifindex);
  const base = { guest: summariseGuest(guest), object: req.object, verb: req.verb, command: tcCommand(req), dev: req.dev };
  const devName = (i: number): string => names.get(i) ?? `if${i}`;
  if (req.object === 'qdisc') {
    const shown = objects.map((q) => viewQdisc(q, devName(q.ifindex), clock));
    return { ...base, qdiscs: shown.map((s) => s.view), lines: shown.map((s) => s.line), message: shown.map((s) => s.line).join('\n') };
  }
  const shown = objects.map((c) => viewClass(c, devName(c.ifindex), clock));
  return { ...base, classes: shown.map((s) => s.view), lines: shown.map((s) => s.line), message: shown.map((s) => s.line).join('\n') };
}
