// --ipvlan M: an ipvlan instead of a macvlan on a physical host interface
// (not in the original, which makes macvlans only). l2 switches on MAC
// addresses like a macvlan's bridge mode, but every guest shares the parent's
// MAC; l3 and l3s route on IP addresses (linux/Documentation/networking/ipvlan.rst).
import { usage } from '../errors';
import { IPVLAN_MODES, type IpvlanMode } from './types';
import { show } from './quote';

export function parseIpvlanMode(text: unknown): IpvlanMode {
  if (typeof text === 'string' && (IPVLAN_MODES as readonly string[]).includes(text)) return text as IpvlanMode;
  throw usage(`ipvlan mode (--ipvlan) takes l2, l3 or l3s, not ${show(String(text))}`);
}
