// Host-interface kinds of the original pipework that this version recognises
// but does not implement yet: the registry puts them in their place, so that
// such an interface is refused for what it is (UNSUPPORTED) and not blamed for
// its name ("does not exist", "is a tun device").
import { unsupported } from '../../errors';
import type { AttachRequest } from '../../request/types';
import { deleteGuestLink } from './delete';
import type { HostIfFound, HostIfKind } from './kind';

export function pending(name: string, what: string, claims: (found: HostIfFound, req: AttachRequest) => boolean): HostIfKind {
  const refuse = (found: HostIfFound): never => {
    throw unsupported(`host interface ${found.name}: ${what}`);
  };
  return {
    name,
    claims,
    plan: async (_ctx, found) => refuse(found),
    existing: async (_ctx, found) => refuse(found),
    teardown: async (a) => ({ steps: [deleteGuestLink(a)] }),
  };
}
