// The address given on the command line: `<ip>/<len>[@gw]`, or none for 0/0.
import type { AddressSource } from './source';

export const staticAddress: AddressSource = {
  name: 'static',
  claims: () => true,
  families: (req) => (req.address ? [req.address.family] : []),
  async plan(ctx) {
    if (ctx.req.address) ctx.addresses = [ctx.req.address];
    ctx.gateway = ctx.req.gateway;
    return [];
  },
};
