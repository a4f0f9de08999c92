// `mac:<address>` as the host interface: the one link on the host with that
// MAC, found by one read-only dump at plan time, as the original scans
// /sys/class/net/*/address. The original takes the first match; several
// (a bridge has its first port's address, a VLAN device its parent's) are
// refused here, naming them, since picking one would be a guess.
//
// A NIC moved into a guest by an earlier `--direct-phys mac:...` is no longer
// on the host: a re-run finds it as the guest's marked link of that MAC (or
// of the MAC that attach gave it), so that the same attach run twice
// succeeds the second time too.
import { PipeworkError } from '../../errors';
import { formatMac } from '../../packet';
import type { AttachRequest } from '../../request/types';
import { parseMark } from '../mark';
import type { Namespace } from '../namespace';

const macOf = (mac: Buffer | undefined): string | undefined => (mac?.length === 6 ? formatMac(mac) : undefined);

/** The request with hostIf the name of the interface `mac:` names; the request itself when it names one by name. */
export async function hostIfByMac(req: AttachRequest, host: Namespace, guestNs: Namespace): Promise<AttachRequest> {
  const mac = req.hostIfMac;
  if (mac === undefined) return req;
  const matches = (await host.links()).filter((l) => macOf(l.mac) === mac);
  if (matches.length > 1) {
    throw new PipeworkError(
      'HOSTIF_AMBIGUOUS',
      `host interface ${req.hostIf}: ${matches.length} host interfaces have MAC ${mac} (${matches.map((l) => l.name).sort().join(', ')}): name the one you mean`,
    );
  }
  if (matches.length === 1) return { ...req, hostIf: matches[0]!.name };
  if (req.directPhys) {
    const moved = await guestNs.linkByName(req.guestIf);
    const mark = parseMark(moved?.alias);
    // Its MAC is the one it had, or the one the attach gave it (req.mac): no host interface has the one asked for, so it is this.
    const same = macOf(moved?.mac) === mac || (req.mac !== undefined && macOf(moved?.mac) === req.mac);
    if (moved && mark?.hostKind === 'phys' && mark.hostName !== undefined && same) return { ...req, hostIf: mark.hostName };
  }
  throw new PipeworkError('HOSTIF_NOT_FOUND', `host interface ${req.hostIf}: no host interface has MAC ${mac}`);
}
