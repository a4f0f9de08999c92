// An address source: where the guest link's addresses come from. A static
// source knows them when the attach is planned; a DHCP client learns them
// while the attach runs. Either way it leaves them in the attach's context,
// where the address, route and announcement steps read them.
import type { AttachRequest, Family } from '../../request/types';
import type { AttachContext } from '../context';
import type { Step } from '../plan';

export interface AddressSource {
  readonly name: string;
  claims(req: AttachRequest): boolean;
  /** The families it may produce: IPv6 needs the link's IPv6 enabled first. */
  families(req: AttachRequest): Family[];
  /**
   * Fills ctx.addresses and ctx.gateway when they are known now, and returns
   * the steps that learn them at run time (none for a static address). Those
   * steps run once the link is up.
   */
  plan(ctx: AttachContext): Promise<Step[]>;
  /** Steps after everything else (DHCP: hold the lease, or record it and let it run out). */
  finish?(ctx: AttachContext): Step[];
}
