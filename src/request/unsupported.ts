// Forms of the original pipework that this version recognises but does not do
// yet. Each is refused with code UNSUPPORTED (the CLI's exit 3) and one line
// naming the feature, never as a malformed name or address.
import { unsupported } from '../errors';
import { show } from './quote';

/** Refuses `mac:<hostif-mac>`, the original's way of naming the host interface by its MAC address. */
export function refuseHostIfByMac(hostIf: string): void {
  if (hostIf.startsWith('mac:')) throw unsupported(`selecting the host interface by its MAC address (${show(hostIf)})`);
}
