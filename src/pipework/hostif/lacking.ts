// What the kernel says when it lacks a link kind or a feature: EOPNOTSUPP,
// with "Unknown device type" as its extended ACK for a kind no module
// provides (net/core/rtnetlink.c, rtnl_newlink()). Said once, in the user's
// terms, naming what to build or load.
import { PipeworkError } from '../../errors';
import { NetlinkError } from '../../netlink';

const EOPNOTSUPP = 95;

/** The error to throw for e: a clear one when the kernel cannot do `what` ('make VLAN devices') for want of `needs`, else e itself. */
export function kernelLacks(e: unknown, what: string, needs: string): unknown {
  // EOPNOTSUPP, 95 on Linux, which errno names ENOTSUP too.
  if (!(e instanceof NetlinkError) || e.errno !== EOPNOTSUPP) return e;
  const said = e.extAck ? `it says "${e.extAck.replace(/\.$/, '')}"` : 'EOPNOTSUPP';
  return new PipeworkError('KERNEL', `this kernel cannot ${what} (${said}): it needs ${needs}`, { cause: e, errno: e.code });
}
