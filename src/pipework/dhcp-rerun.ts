// Re-running a DHCP attach whose link is in place: like every re-run it
// changes nothing and sends nothing (no DISCOVER, no REQUEST: the lease the
// earlier attach got stands, and asking again could only disturb it). What
// the user needs to know is who keeps that lease alive, read from the trace
// files of the earlier attach (dhcp-files.ts): a live `-f` holder, or nobody
// (the lease runs out at its end). A `-f` re-run does not start holding it:
// that would be a second owner beside a live holder, and for a lease left to
// run out, detach and attach again with `-f` says what is meant.
import { formatMac } from '../packet';
import type { AttachContext } from './context';
import { findLeaseRecord } from './dhcp-files';
import { isHolder } from './dhcp-release';
import type { Link } from '../rtnl';

export function dhcpRerun(ctx: AttachContext, link: Link): void {
  const d = ctx.req.dhcp!;
  const found = findLeaseRecord(ctx.guest.name, ctx.dev);
  const record = found?.record && link.mac && found.record.mac === formatMac(link.mac) ? found.record : undefined;
  const pid = found?.pid !== undefined && isHolder(found.pid) ? found.pid : undefined;
  const notRun = d.foreground ? ': this run does not hold it' : '';
  if (!record) {
    ctx.result.notes.push(`${ctx.dev} was configured by an earlier attach, and no lease of it is recorded${notRun}; nothing was sent`);
    return;
  }
  const l = record.lease;
  const expired = l.expiresAt !== undefined && l.expiresAt <= Date.now();
  ctx.result.dhcp = {
    client: record.client,
    server: l.server,
    leaseSeconds: l.leaseSeconds ?? null,
    renewSeconds: l.renewSeconds ?? null,
    rebindSeconds: l.rebindSeconds ?? null,
    expires: l.expiresAt === undefined ? null : new Date(l.expiresAt).toISOString(),
    renewed: pid !== undefined,
    dns: l.dns,
    hostname: d.hostname ?? ctx.guest.name,
    ...(l.domain !== undefined ? { domain: l.domain } : {}),
    ...(l.mtu !== undefined ? { mtu: l.mtu } : {}),
  };
  if (pid !== undefined) {
    ctx.result.notes.push(`the lease of ${l.address} from ${l.server} is held by pid ${pid} (${found!.base}.pid), from an earlier attach${notRun}; nothing was sent`);
  } else if (l.expiresAt === undefined) {
    ctx.result.notes.push(`the lease of ${l.address} from ${l.server} is infinite (an earlier attach's); nothing was sent`);
  } else {
    const when = new Date(l.expiresAt).toISOString();
    ctx.result.notes.push(
      `the lease of ${l.address} from ${l.server} (an earlier attach's) ${expired ? `ended at ${when}` : `ends at ${when}`} and nobody renews it${notRun}; nothing was sent (detach and attach again with ${record.client}-f to hold a lease)`,
    );
  }
}
