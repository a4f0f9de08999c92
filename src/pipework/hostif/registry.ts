// Which host-interface kind an attach uses, decided from what the host
// interface is, in pipework's order: an existing Linux bridge; an Open vSwitch
// bridge; an InfiniBand device (ARPHRD 32); any other existing device is a
// physical NIC (an ipvlan on it with --ipvlan, else a macvlan). A missing
// name: br* becomes a new Linux bridge, ovs* a new OVS bridge, dummy* a dummy
// interface; anything else is an error ("I do not know
// how to setup interface X", the original says). Adding a kind: a file, and
// one line here, in its place in that order.
import { PipeworkError, usage } from '../../errors';
import type { AttachRequest } from '../../request/types';
import type { Namespace } from '../namespace';
import { bridge } from './bridge';
import { dummy } from './dummy';
import type { HostIfFound, HostIfKind } from './kind';
import { ipoib } from './ipoib';
import { ipvlan } from './ipvlan';
import { macvlan } from './macvlan';
import { ovs } from './ovs';
import { phys } from './phys';

const KINDS: readonly HostIfKind[] = [
  // --direct-phys decides before what the interface is (the kind refuses what is no NIC).
  phys,
  bridge,
  ovs,
  ipoib,
  dummy,
  ipvlan,
  macvlan,
];

export async function pickKind(req: AttachRequest, host: Namespace): Promise<{ kind: HostIfKind; found: HostIfFound }> {
  const found: HostIfFound = { name: req.hostIf, link: await host.linkByName(req.hostIf) };
  let kind: HostIfKind | undefined;
  for (const k of KINDS) {
    if (await k.claims(found, req)) {
      kind = k;
      break;
    }
  }
  if (!kind) {
    throw new PipeworkError(
      'HOSTIF_NOT_FOUND',
      `host interface ${req.hostIf} does not exist (only missing names starting with "br" are created, as bridges, and "ovs", as Open vSwitch bridges)`,
    );
  }
  // --ipvlan chose the kind for a NIC; on anything else it would be silently ignored.
  if (req.ipvlanMode !== undefined && kind !== ipvlan) {
    throw usage(`--ipvlan ${req.ipvlanMode}: an ipvlan needs a physical host interface, and ${req.hostIf} is taken as a ${kind.name} host interface`);
  }
  return { kind, found };
}

/** The kind a mark names, for detach and gc; undefined for a kind this version does not know. */
export function kindNamed(name: string): HostIfKind | undefined {
  return KINDS.find((k) => k.name === name);
}

/** Every kind, for gc's look at host-side links. */
export function allKinds(): readonly HostIfKind[] {
  return KINDS;
}
