// Attach: give a guest a new link that reaches the host, with its addresses,
// gateway and announcement. The host-interface kind (hostif/) makes the link;
// the address source (addr/) says what goes on it; the steps in configure.ts
// do the rest, the same for every kind. Planned from read-only queries, then
// executed step by step with rollback (plan.ts).
import { PipeworkError } from '../errors';
import { checkTag } from '../request';
import type { Guest } from '../netns';
import type { AttachRequest } from '../request/types';
import { pickSource } from './addr';
import { addressStep, announceStep, confirmGuest, enableIpv6Step, gatewaySteps, upStep } from './configure';
import type { AttachContext } from './context';
import { existingAttachment } from './existing';
import { hostIfByMac } from './hostif/by-mac';
import { pickKind } from './hostif/registry';
import { describeMark, formatMark, guestMark, parseMark, sameMark } from './mark';
import { describeGuest, type Namespace } from './namespace';
import type { Step } from './plan';
import { summariseGuest, type AttachPlan } from './results';

/** Looks at host and guest (read-only) and lists the steps the attach takes. */
export async function planAttach(asked: AttachRequest, host: Namespace, guestNs: Namespace, guest: Guest): Promise<AttachPlan> {
  const byMac = await hostIfByMac(asked, host, guestNs);
  const [{ kind, found }, inGuestAsked] = await Promise.all([pickKind(byMac, host), guestNs.linkByName(byMac.guestIf)]);
  // No -i, and the kind has a default name of its own (IPoIB's ib0): the whole attach uses it.
  const req = !byMac.guestIfGiven && kind.defaultGuestIf ? { ...byMac, guestIf: kind.defaultGuestIf } : byMac;
  const inGuest = req === byMac ? inGuestAsked : await guestNs.linkByName(req.guestIf);
  checkTag(req, kind, found.name);
  const mark = guestMark(guest, req.guestIf, kind.name, kind.markHostName?.(found));
  const who = describeGuest(guest);
  const ctx: AttachContext = {
    req,
    host,
    guestNs,
    guest,
    who,
    dev: req.guestIf,
    mark,
    alias: formatMark(mark),
    link: { index: 0, mac: Buffer.alloc(0), mtu: 0 },
    addresses: [],
    result: {
      guest: summariseGuest(guest),
      hostIf: req.hostIf,
      kind: kind.name,
      created: [],
      guestSide: req.guestIf,
      mac: req.mac ?? '',
      mtu: 0,
      addresses: [],
      routes: [],
      link: '',
      notes: req.hostIfMac ? [`host interface ${asked.hostIf} is ${req.hostIf}`] : [],
    },
  };
  if (inGuest) {
    // Re-running the same attach is fine; anything else there is not ours to change.
    const theirs = parseMark(inGuest.alias);
    if (sameMark(theirs, mark)) return existingAttachment(ctx, kind, found, inGuest, theirs!);
    const whose = theirs ? ` (attached by pipework for ${describeMark(theirs)})` : '';
    throw new PipeworkError('LINK_EXISTS', `${who} already has an interface ${req.guestIf}${whose}`);
  }

  const source = pickSource(req);
  const acquire = await source.plan(ctx);
  const made = await kind.plan(ctx, found);
  ctx.result.mtu = made.mtu;
  const families = source.families(req);
  const hasAddress = families.length > 0;
  const gateway = await gatewaySteps(ctx);

  const address = hasAddress ? [addressStep(ctx)] : [];
  // A static address goes on before the link comes up, as pipework does; a
  // source that learns it at run time needs the link up first.
  const configure = acquire.length ? [upStep(ctx), ...acquire, ...address] : [...address, upStep(ctx)];
  const steps: Step[] = [
    confirmGuest(ctx),
    ...made.steps,
    ...(families.includes(6) ? [enableIpv6Step(ctx)] : []),
    ...configure,
    ...gateway.steps,
    confirmGuest(ctx),
    ...(made.confirm ?? []),
    ...(hasAddress && made.announce !== false ? [announceStep(ctx)] : []),
    ...(source.finish?.(ctx) ?? []),
    // The kernel's word to the end: a guest that vanished during the last steps is a failed attach, not a success.
    confirmGuest(ctx),
  ];
  return {
    steps,
    result: ctx.result,
    // A dry run reports what would be added; a run fills these in as it goes.
    preview: () => {
      ctx.result.addresses = ctx.addresses.map((a) => `${a.address}/${a.prefixLength}`);
      ctx.result.routes = gateway.planned();
    },
  };
}
