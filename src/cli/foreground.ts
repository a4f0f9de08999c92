// `-f`: the CLI stays with its lease. It logs each event on stderr, releases
// the lease on SIGTERM or SIGINT and exits 0; it exits too when the interface
// or the guest goes away (guest-watch.ts). The lease's work is
// src/pipework/held-lease.ts's.
import type { HeldLease } from '../pipework/held-lease';
import type { Lease } from '../dhcp';

const until = (l: Lease): string => (l.expiresAt === undefined ? 'forever' : `until ${new Date(l.expiresAt).toISOString()}`);

export async function holdInForeground(held: HeldLease, log: (line: string) => void): Promise<number> {
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: releasing the lease`);
    void held.release();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  held.on('renewed', (l: Lease) => log(`lease of ${l.address} renewed with ${l.server}, ${until(l)}`));
  held.on('rebound', (l: Lease) => log(`lease of ${l.address} rebound with ${l.server}, ${until(l)}`));
  held.on('changed', (l: Lease, old: Lease) => log(`address changed from ${old.address} to ${l.address}/${l.prefixLength}`));
  held.on('lost', (old: Lease, reason: string) => log(`lease of ${old.address} lost (${reason}): address removed; discovering again`));
  held.on('bound', (l: Lease) => log(`new lease: ${l.address}/${l.prefixLength} from ${l.server}, ${until(l)}`));
  held.on('released', (l: Lease) => log(`released ${l.address} to ${l.server}`));
  held.on('warning', (m: string) => log(`warning: ${m}`));
  try {
    const reason = await held.done;
    if (reason !== 'released') log(`stopped: ${reason}`);
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
