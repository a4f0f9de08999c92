// EPERM in the user's terms: which capability is missing. Run without
// privileges, pipework meets the kernel's two checks: setns(2) into a network
// namespace needs CAP_SYS_ADMIN (netns_install() in net/core/net_namespace.c),
// and every rtnetlink change (RTM_NEWLINK, RTM_NEWADDR ...) needs
// CAP_NET_ADMIN (rtnetlink_rcv_msg() in net/core/rtnetlink.c: netlink_net_capable).
// Reading (dumps, show of our own namespace) needs neither.
import { PipeworkError } from '../errors';

interface Missing {
  capability: 'CAP_SYS_ADMIN' | 'CAP_NET_ADMIN';
  what: string;
  /** The error that said EPERM, whose message the line replaces. */
  cause: Error;
}

function causes(e: unknown): Error[] {
  const out: Error[] = [];
  for (let c = e; c instanceof Error && out.length < 10; c = c.cause) out.push(c);
  return out;
}

function missingPrivilege(e: unknown): Missing | undefined {
  for (const c of causes(e)) {
    const { code, syscall, name } = c as Error & { code?: unknown; syscall?: unknown };
    if (code !== 'EPERM') continue;
    if (syscall === 'setns') return { capability: 'CAP_SYS_ADMIN', what: 'entering a network namespace', cause: c };
    if (name === 'NetlinkError') return { capability: 'CAP_NET_ADMIN', what: 'changing network interfaces, addresses and routes', cause: c };
  }
  return undefined;
}

/** The error, or when a missing capability caused it, one that names the capability (code PERMISSION, errno EPERM). */
export function explainPrivilege(err: PipeworkError): PipeworkError {
  const m = missingPrivilege(err);
  if (!m) return err;
  // Keep what the layers above said (which namespace, which step); drop the bare "EPERM: Operation not permitted".
  const bare = m.cause === err ? '' : err.message.endsWith(m.cause.message) ? err.message.slice(0, -m.cause.message.length).replace(/[\s:]+$/, '') : err.message;
  const why = `${m.what} needs ${m.capability}, which this process lacks (run pipework as root)`;
  return new PipeworkError('PERMISSION', bare ? `${bare}: ${why}` : why, { cause: err, errno: 'EPERM' });
}
