// Where a DHCP-configured interface leaves its traces on the host, so that
// `pipework detach` can give the lease back and stop a foreground client:
//
//   /var/run/<client>.<guest>.<cif>.pid     the `-f` process holding the lease
//   /var/run/<client>.<guest>.<cif>.lease   the lease (JSON): address, server, MACs
//
// As the original's `/var/run/udhcpc.<guest>.pid` and `dhclient.<guest>.pid`,
// with the interface added (a guest may have several); <client> is the
// keyword's (dhcp, udhcpc, dhclient, dhcpcd). PIPEWORK_RUN_DIR moves them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Lease } from '../dhcp';

export const DHCP_CLIENTS = ['dhcp', 'udhcpc', 'dhclient', 'dhcpcd'] as const;

export function runDir(): string {
  return process.env.PIPEWORK_RUN_DIR || '/var/run';
}

/** The file's base name: characters a file name cannot hold safely become '_'. */
export function traceBase(client: string, guestName: string, cif: string): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._:-]/g, '_');
  return path.join(runDir(), `${client}.${safe(guestName)}.${safe(cif)}`);
}

export interface LeaseRecord {
  client: string;
  guest: string;
  ifname: string;
  mac: string;
  lease: Lease;
  /** The pid of the foreground holder, when there is one. */
  pid?: number | undefined;
}

export function writeLeaseRecord(base: string, r: LeaseRecord): void {
  const tmp = `${base}.lease.${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(r) + '\n', { mode: 0o644 });
  fs.renameSync(tmp, `${base}.lease`);
}

export function writePid(base: string): void {
  fs.writeFileSync(`${base}.pid`, `${process.pid}\n`, { mode: 0o644 });
}

/** Removes both files; only the pid file when it names this process (a newer holder keeps its own). */
export function removeTraces(base: string, ownPidOnly = false): void {
  if (!ownPidOnly || readPid(base) === process.pid) rm(`${base}.pid`);
  rm(`${base}.lease`);
}

function rm(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

export function readPid(base: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(`${base}.pid`, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The lease record of an interface, whichever keyword made it. */
export function findLeaseRecord(guestName: string, cif: string): { base: string; record?: LeaseRecord | undefined; pid?: number | undefined } | undefined {
  for (const client of DHCP_CLIENTS) {
    const base = traceBase(client, guestName, cif);
    const pid = readPid(base);
    let record: LeaseRecord | undefined;
    try {
      record = JSON.parse(fs.readFileSync(`${base}.lease`, 'utf8')) as LeaseRecord;
    } catch {
      record = undefined;
    }
    if (record || pid) return { base, record, pid };
  }
  return undefined;
}
