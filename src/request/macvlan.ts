// --macvlan-mode M: the macvlan mode for a physical host interface. The
// original always made mode bridge (`ip link add ... type macvlan mode bridge`).
import { usage } from '../errors';
import { MACVLAN_MODES, type MacvlanMode } from './types';
import { show } from './quote';

export function parseMacvlanMode(text: unknown): MacvlanMode {
  if (typeof text === 'string' && (MACVLAN_MODES as readonly string[]).includes(text)) return text as MacvlanMode;
  const modes = `${MACVLAN_MODES.slice(0, -1).join(', ')} or ${MACVLAN_MODES[MACVLAN_MODES.length - 1]}`;
  throw usage(`macvlan mode (--macvlan-mode) takes ${modes}, not ${show(String(text))}`);
}
