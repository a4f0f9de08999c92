// Detach: remove what an attach gave a guest. Only links carrying our mark
// are touched (mark.ts), each torn down by the kind that made it (a veth
// takes its host end along; later, a moved NIC goes back to the host); a link
// pipework did not make is refused unless --force says so. Detaching what is
// not there succeeds, so detaching is idempotent, also when many detach the
// same interface at once. --all removes every link that carries our mark.
import { PipeworkError } from '../errors';
import type { Link } from '../rtnl';
import type { Guest } from '../netns';
import type { DetachRequest } from '../request/types';
import { releaseLeaseSteps } from './dhcp-release';
import { deleteGuestLink } from './hostif/delete';
import type { LinkRemover } from './bulk-detach';
import type { Attachment } from './hostif/kind';
import { kindNamed } from './hostif/registry';
import { parseMark } from './mark';
import { describeGuest, type Namespace } from './namespace';
import { check, type Step } from './plan';
import { summariseGuest, type GuestSummary, type Planned } from './results';

export interface Detached {
  guestSide: string;
  /** The host-side veth that went with it, when it was in the host namespace. */
  hostSide?: string | undefined;
  /** A moved NIC: not removed, given back to the host under this name. */
  givenBack?: string | undefined;
}

export interface DetachResult {
  guest: GuestSummary;
  /** The interface asked for; '*' for --all. */
  guestSide: string;
  /** False when there was nothing to detach. */
  removed: boolean;
  /** For a single interface: its host side, when it went too. */
  hostSide?: string | undefined;
  /** Everything removed. */
  detached: Detached[];
  message: string;
}

export type DetachPlan = Planned<DetachResult>;

export async function planDetach(req: DetachRequest, host: Namespace, guestNs: Namespace, guest: Guest, bulk?: LinkRemover): Promise<DetachPlan> {
  const who = describeGuest(guest);
  const targets = req.all
    ? (await guestNs.links()).filter((l) => parseMark(l.alias))
    : [await guestNs.linkByName(req.guestIf)].filter((l): l is Link => !!l);
  const result: DetachResult = { guest: summariseGuest(guest), guestSide: req.all ? '*' : req.guestIf, removed: false, detached: [], message: '' };
  const nothing = req.all ? `${who} has no interface added by pipework: nothing to detach` : `${who} has no interface ${req.guestIf}: nothing to detach`;
  const steps: Step[] = [];
  const planned: Detached[] = [];
  for (const link of targets) {
    const mark = parseMark(link.alias);
    if (!mark && !req.force) {
      // Docker's own eth0, or a link made by hand: not ours to remove.
      throw new PipeworkError(
        'NOT_OURS',
        `${who}'s ${link.name} was not made by pipework (it carries no pipework mark): not removing it; --force would`,
      );
    }
    const a: Attachment = { host, guestNs, guest, who, link, mark: mark!, ovsdb: req.ovsdb, removed: () => result.detached.push(entry), bulk };
    const entry: Detached = { guestSide: link.name };
    const kind = mark ? kindNamed(mark.hostKind) : undefined;
    if (mark && !kind) {
      throw new PipeworkError('UNSUPPORTED', `${who}'s ${link.name} was made by a pipework that knows host interfaces of kind ${mark.hostKind}: this one does not, and leaves it alone`);
    }
    const down = kind ? await kind.teardown(a) : { steps: [deleteGuestLink(a)], hostSide: undefined };
    entry.hostSide = down.hostSide;
    if (down.givenBack !== undefined) entry.givenBack = down.givenBack;
    steps.push(...releaseLeaseSteps(a), ...down.steps);
    planned.push(entry);
  }
  const back = (x: Detached): string => (x.givenBack ? ` (given back to the host as ${x.givenBack})` : '');
  const describe = (d: Detached[]): string => {
    if (d.length === 0) return nothing;
    if (!req.all) return `removed ${d[0]!.guestSide} from ${who}${d[0]!.hostSide ? ` and its host side ${d[0]!.hostSide}` : ''}${back(d[0]!)}`;
    return `removed ${d.map((x) => `${x.guestSide}${x.hostSide ? ` (host side ${x.hostSide})` : ''}${back(x)}`).join(', ')} from ${who}`;
  };
  // For a dry run: what would go; replaced by what really happened once the steps run.
  result.message = describe(planned).replace(/^removed/, 'would remove');
  if (steps.length === 0) return { steps, result: { ...result, message: nothing } };
  steps.push(
    check('report', async () => {
      result.removed = result.detached.length > 0;
      result.hostSide = req.all ? undefined : result.detached[0]?.hostSide;
      result.message = describe(result.detached);
    }),
  );
  return { steps, result, preview: () => void (result.detached = planned) };
}
