// Detach: remove an interface from a guest. For a veth that removes both ends,
// so the host side goes too. Detaching what is not there succeeds, so
// detaching is idempotent, also when many detach the same interface at once.
// --all removes every interface that carries our mark (see mark.ts).
import { NetlinkError } from '../netlink';
import { delLink, type Link } from '../rtnl';
import type { Guest } from '../netns';
import { parseMark } from './mark';
import { describeGuest, type Namespace } from './namespace';
import type { Step } from './plan';
import { summariseGuest, type GuestSummary } from './results';
import type { DetachRequest } from '../request/types';

export interface Detached {
  guestSide: string;
  /** The host-side veth that went with it, when it was in the host namespace. */
  hostSide?: string | undefined;
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

export interface DetachPlan {
  steps: Step[];
  result: DetachResult;
}

export async function planDetach(req: DetachRequest, host: Namespace, guestNs: Namespace, guest: Guest): Promise<DetachPlan> {
  const who = describeGuest(guest);
  const targets = req.all
    ? (await guestNs.links()).filter((l) => parseMark(l.alias))
    : [await guestNs.linkByName(req.guestIf)].filter((l): l is Link => !!l);
  const result: DetachResult = { guest: summariseGuest(guest), guestSide: req.all ? '*' : req.guestIf, removed: false, detached: [], message: '' };
  const nothing = req.all ? `${who} has no interface added by pipework: nothing to detach` : `${who} has no interface ${req.guestIf}: nothing to detach`;
  const steps: Step[] = [];
  for (const link of targets) {
    const hostSide = await hostPeer(host, link);
    steps.push({
      title: `delete ${link.name} in ${who}`,
      command: `${guestNs.ip}link delete ${link.name}`,
      run: async () => {
        try {
          await guestNs.sock.request(delLink({ index: link.index }));
          result.detached.push({ guestSide: link.name, hostSide });
        } catch (e) {
          // Someone else removed it between our look and our delete: the goal is reached.
          if (!(e instanceof NetlinkError && e.code === 'ENODEV')) throw e;
        }
      },
    });
    // For --dry-run: what would go.
    result.detached.push({ guestSide: link.name, hostSide });
  }
  const planned = result.detached.splice(0);
  const describe = (d: Detached[]): string => {
    if (d.length === 0) return nothing;
    if (!req.all) return `removed ${d[0]!.guestSide} from ${who}${d[0]!.hostSide ? ` and its host side ${d[0]!.hostSide}` : ''}`;
    return `removed ${d.map((x) => `${x.guestSide}${x.hostSide ? ` (host side ${x.hostSide})` : ''}`).join(', ')} from ${who}`;
  };
  // For a dry run; replaced by what really happened once the steps run.
  result.message = describe(planned).replace(/^removed/, 'would remove');
  const last: Step = {
    title: 'report',
    command: '',
    check: true,
    run: async () => {
      result.removed = result.detached.length > 0;
      result.hostSide = req.all ? undefined : result.detached[0]?.hostSide;
      result.message = describe(result.detached);
    },
  };
  if (steps.length === 0) result.message = nothing;
  else steps.push(last);
  return { steps, result };
}

/** A veth's IFLA_LINK is its peer's index in the peer's namespace; the host link there is its other end if it points back. */
async function hostPeer(host: Namespace, link: Link): Promise<string | undefined> {
  if (link.kind !== 'veth' || !link.link) return undefined;
  const peer = await host.linkByIndex(link.link);
  return peer && peer.kind === 'veth' && peer.link === link.index && peer.linkNetnsid !== undefined ? peer.name : undefined;
}
