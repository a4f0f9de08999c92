// The host interface as the user names it: an interface name, or, as the
// original allows, `mac:<address>` (the interface whose MAC that is: a name
// that survives renames, as udev's persistent naming does). The syntax is
// checked here; which interface has the address is the host's to say, at
// plan time (pipework/hostif/by-mac.ts).
import { PipeworkError, usage } from '../errors';
import { formatMac, parseMac } from '../packet/ethernet';
import { NAME_LABEL, checkInterfaceName } from './names';
import { firstLine, show } from './quote';

export const BY_MAC = 'mac:';

export interface HostIfArgument {
  /** The name; for `mac:` the argument in its normal form ('mac:02:00:5e:00:53:01') until the plan finds the name. */
  hostIf: string;
  /** For `mac:<address>`: the address, lower-case colon form. */
  hostIfMac?: string | undefined;
}

export function parseHostIf(text: unknown): HostIfArgument {
  if (typeof text !== 'string' || !text.startsWith(BY_MAC)) return { hostIf: checkInterfaceName(text, NAME_LABEL.hostIf) };
  const macText = text.slice(BY_MAC.length);
  let mac: string;
  try {
    // The original compares the text with /sys/class/net/*/address (lower
    // case); we compare addresses, so 00:F3:15:4A:42:C8 matches too.
    mac = formatMac(parseMac(macText));
  } catch (e) {
    if (!(e instanceof PipeworkError)) throw e;
    throw usage(`${NAME_LABEL.hostIf} ${show(text)}: ${firstLine(e.message)}`);
  }
  return { hostIf: `${BY_MAC}${mac}`, hostIfMac: mac };
}
