// gc: remove the host-side devices we created whose guest is gone. A device
// is ours when it carries our mark (mark.ts) and its kind says it is a host
// side (a veth's host end; a macvlan has none, it dies with its guest, so gc
// has nothing to do for it). Its guest is gone when the
// mark's guest no longer resolves (container removed or stopped, netns
// deleted, process exited, path gone), or resolves to another namespace than
// the one the device's peer lives in (a PID reused, a netns name re-made).
// When that cannot be told (Docker does not answer), the device is kept.
// A kind whose links come back to the host (a moved NIC, which the kernel
// returns when its guest dies) says itself what gc does with one (reclaim):
// it is given back its name, never removed.
import { PipeworkError } from '../errors';
import type { Link } from '../rtnl';
import { resolveGuest, type ResolveOptions } from '../netns';
import { describeMark, parseMark, type Mark } from './mark';
import type { Namespace } from './namespace';
import { change, check, type Step } from './plan';
import { allKinds, kindNamed } from './hostif/registry';
import type { GcRequest } from '../request/types';
import type { Planned } from './results';

export interface GcEntry {
  hostSide: string;
  /** The guest the mark names: 'container 3f2a9c1b0d4e', 'netns red'. */
  guest: string;
  guestSide: string;
  reason: string;
}

export interface GcResult {
  /** Removed (or, on a dry run, to be removed). */
  removed: GcEntry[];
  /** Moved NICs back on the host, given back their names and unmarked (on a dry run: to be); hostSide is the name they came back with. */
  restored: Array<GcEntry & { hostName: string }>;
  /** Ours, and their guest is there. */
  kept: GcEntry[];
  /** Ours, but whether the guest is there could not be told. */
  undecided: GcEntry[];
  message: string;
}

export async function planGc(host: Namespace, resolve?: ResolveOptions, req: GcRequest = { op: 'gc' }): Promise<Planned<GcResult>> {
  const links = (await host.links()).flatMap((link) => {
    const mark = parseMark(link.alias);
    return mark ? [{ link, mark, kind: kindNamed(mark.hostKind) }] : [];
  });
  const ours = links.filter(({ link, kind }) => kind?.hostSide?.(link));
  const result: GcResult = { removed: [], restored: [], kept: [], undecided: [], message: '' };
  const steps: Step[] = [];
  for (const { link, mark, kind } of links) {
    if (!kind?.reclaim) continue;
    const r = await kind.reclaim(host, link, mark, async () => (await guestGone(host, link, mark, resolve)).gone);
    const entry: GcEntry = { hostSide: link.name, guest: describeMark(mark), guestSide: mark.ifname, reason: r.reason };
    if (!r.step) (r.kept ? result.kept : result.undecided).push(entry);
    else {
      result.restored.push({ ...entry, hostName: mark.hostName ?? link.name });
      steps.push(r.step);
    }
  }
  for (const { link, mark } of ours) {
    const verdict = await guestGone(host, link, mark, resolve);
    const entry: GcEntry = { hostSide: link.name, guest: describeMark(mark), guestSide: mark.ifname, reason: verdict.reason };
    if (verdict.gone === undefined) result.undecided.push(entry);
    else if (!verdict.gone) result.kept.push(entry);
    else {
      result.removed.push(entry);
      steps.push(
        change(`delete ${link.name} (${entry.reason})`, `${host.ip}link delete ${link.name}`, async () => {
          await host.deleteLink({ index: link.index });
        }),
      );
    }
  }
  // What kinds left outside the kernel (OVS ports), once the links going are known.
  const going = new Set(result.removed.map((e) => e.hostSide));
  for (const kind of allKinds()) {
    for (const l of (await kind.leftovers?.(host, going, req)) ?? []) {
      const entry: GcEntry = { hostSide: l.hostSide, guest: l.guest, guestSide: l.guestSide, reason: l.reason };
      if (l.step) {
        result.removed.push(entry);
        steps.push(l.step);
      } else result.undecided.push(entry);
    }
  }
  const describe = (verb: string): string =>
    [
      result.removed.length ? `${verb} ${result.removed.map((e) => `${e.hostSide} (${e.reason})`).join(', ')}` : 'nothing to remove',
      ...result.restored.map((e) => {
        const done = verb === 'removed';
        const what = e.hostSide !== e.hostName ? `${done ? 'gave' : 'would give'} ${e.hostSide} back its name ${e.hostName}` : `${done ? 'cleared' : 'would clear'} pipework's mark on ${e.hostName}`;
        return `${what} (${e.reason})`;
      }),
      `${result.kept.length} kept`,
      ...result.undecided.map((e) => `kept ${e.hostSide}: ${e.reason}`),
    ].join('; ');
  // A dry run reports what would go; a run, once its steps are done, what went.
  result.message = describe('would remove');
  if (steps.length) {
    steps.push(check('report', async () => void (result.message = describe('removed'))));
  }
  return { steps, result };
}

async function guestGone(host: Namespace, link: Link, mark: Mark, resolve?: ResolveOptions): Promise<{ gone: boolean | undefined; reason: string }> {
  const who = describeMark(mark);
  let guest;
  try {
    guest = await resolveGuest(`${mark.kind}:${mark.id}`, { ...resolve, pidRetries: 0 });
  } catch (e) {
    if (e instanceof PipeworkError && (e.code === 'GUEST_NOT_FOUND' || e.code === 'GUEST_NOT_RUNNING')) {
      return { gone: true, reason: `${who} is gone` };
    }
    return { gone: undefined, reason: `cannot tell whether ${who} is there: ${(e as Error).message}` };
  }
  try {
    const nsid = await host.nsidOf(guest.nsFd);
    if (link.linkNetnsid === undefined) return { gone: false, reason: `${who} is there` };
    // The peer's namespace has an id here (the veth reports it): a namespace with none is another one.
    return nsid === link.linkNetnsid
      ? { gone: false, reason: `${who} is there` }
      : { gone: true, reason: `${who} now lives in another namespace than this interface's peer` };
  } finally {
    guest.close();
  }
}
