// Detach gives a DHCP lease back before the link goes (RFC 2131 §4.4.6), so
// the server can hand the address out again at once. A foreground holder
// (`-f`) is asked to do it (SIGTERM: it sends DHCPRELEASE and exits); for a
// lease left to run out, the RELEASE is sent from inside the guest from the
// lease file the attach wrote (dhcp-files.ts).
import * as fs from 'node:fs';
import { releaseFrame } from '../dhcp';
import { parseMac } from '../packet';
import { sendFrame } from './announce';
import { findLeaseRecord, removeTraces } from './dhcp-files';
import type { Attachment } from './hostif/kind';
import { change, type Step } from './plan';

/** How long a holder may take to release and exit. */
const HOLDER_EXIT_MS = 5000;

export function releaseLeaseSteps(a: Attachment): Step[] {
  const found = findLeaseRecord(a.guest.name, a.link.name);
  if (!found) return [];
  const pid = found.pid !== undefined && isHolder(found.pid) ? found.pid : undefined;
  const command = pid !== undefined ? `kill -TERM ${pid}` : '';
  return [
    change(`release the DHCP lease of ${a.link.name}`, command, async () => {
      if (pid !== undefined && (await stopHolder(pid))) {
        removeTraces(found.base);
        return;
      }
      const r = found.record;
      // Only for the link it was recorded for: a re-made link of the same name has another MAC.
      if (r && a.link.mac && r.mac === [...a.link.mac].map((b) => b.toString(16).padStart(2, '0')).join(':')) {
        try {
          sendFrame(a.guest.nsFd, a.link.index, releaseFrame(parseMac(r.mac), r.lease));
        } catch {
          // The link cannot send (down, going): the lease will simply expire.
        }
      }
      removeTraces(found.base);
    }),
  ];
}

/** A live process that is a pipework (a recycled pid is left alone). */
export function isHolder(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('pipework');
  } catch {
    return false;
  }
}

/** SIGTERM, then wait for the exit; false when it is still there after HOLDER_EXIT_MS. */
async function stopHolder(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return false;
  }
  const until = Date.now() + HOLDER_EXIT_MS;
  while (Date.now() < until) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}
