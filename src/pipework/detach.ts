// Detach: remove an interface from a guest. For a veth that removes both ends,
// so the host side goes too. Detaching what is not there succeeds.
import { NetlinkError } from '../netlink';
import { delLink } from '../rtnl';
import type { Guest } from '../netns';
import { summariseGuest, type GuestSummary } from './attach';
import { describeGuest, type Namespace } from './namespace';
import type { Step } from './plan';
import type { DetachRequest } from './types';

export interface DetachResult {
  guest: GuestSummary;
  guestSide: string;
  /** False when the guest had no such interface: nothing to do. */
  removed: boolean;
  /** The host-side veth that went with it, when it was in the host namespace. */
  hostSide?: string | undefined;
  message: string;
}

export interface DetachPlan {
  steps: Step[];
  result: DetachResult;
}

export async function planDetach(req: DetachRequest, host: Namespace, guestNs: Namespace, guest: Guest): Promise<DetachPlan> {
  const who = describeGuest(guest);
  const link = await guestNs.linkByName(req.guestIf);
  const result: DetachResult = { guest: summariseGuest(guest), guestSide: req.guestIf, removed: false, message: '' };
  if (!link) {
    result.message = `${who} has no interface ${req.guestIf}: nothing to detach`;
    return { steps: [], result };
  }
  // A veth's IFLA_LINK is its peer's index in the peer's namespace; the host
  // link at that index is our other end if it points back at this one.
  if (link.kind === 'veth' && link.link) {
    const peer = await host.linkByIndex(link.link);
    if (peer && peer.kind === 'veth' && peer.link === link.index && peer.linkNetnsid !== undefined) result.hostSide = peer.name;
  }
  result.message = `removed ${req.guestIf} from ${who}${result.hostSide ? ` and its host side ${result.hostSide}` : ''}`;
  const steps: Step[] = [
    {
      title: `delete ${req.guestIf} in ${who}`,
      command: `${guestNs.ip}link delete ${req.guestIf}`,
      run: async () => {
        try {
          await guestNs.sock.request(delLink({ index: link.index }));
          result.removed = true;
        } catch (e) {
          // Someone else removed it between our look and our delete: the goal is reached.
          if (!(e instanceof NetlinkError && e.code === 'ENODEV')) throw e;
          result.message = `${who} has no interface ${req.guestIf}: nothing to detach`;
          result.hostSide = undefined;
        }
      },
    },
  ];
  return { steps, result };
}
