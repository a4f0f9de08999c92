// Real DHCP servers for tests, each started inside the test's own host
// namespace on a bridge the test made: dnsmasq (dnsmasq-base) and busybox's
// udhcpd (busybox-static). Their lease files are the independent oracle.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { run } from './netns';

export interface Server {
  child: ChildProcess;
  leaseFile: string;
  log: () => string;
  stop(): Promise<void>;
}

async function started(child: ChildProcess, logFile: string, ready: RegExp): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited: ${fs.readFileSync(logFile, 'utf8')}`);
    if (ready.test(fs.readFileSync(logFile, 'utf8'))) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`server did not start: ${fs.readFileSync(logFile, 'utf8')}`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

/** dnsmasq as .ci/run documents it; `extra` adds --dhcp-option=... and the like. */
export async function startDnsmasq(ns: string, bridge: string, dir: string, range: string, extra: string[] = []): Promise<Server> {
  const leaseFile = `${dir}/dnsmasq.leases`;
  const logFile = `${dir}/dnsmasq.log`;
  fs.writeFileSync(logFile, '');
  const out = fs.openSync(logFile, 'a');
  const args = ['netns', 'exec', ns, 'dnsmasq', '--no-daemon', '--port=0', '--bind-interfaces', `--interface=${bridge}`, '--except-interface=lo',
    `--dhcp-range=${range}`, `--dhcp-leasefile=${leaseFile}`, '--no-ping', '--log-dhcp', '--conf-file=/dev/null', ...extra];
  const child = spawn('ip', args, { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  await started(child, logFile, /sockets bound exclusively|started/);
  return { child, leaseFile, log: () => fs.readFileSync(logFile, 'utf8'), stop: stopper(child) };
}

/** udhcpd with short leases (min_lease 16, lease 20 s unless said). */
export async function startUdhcpd(ns: string, bridge: string, dir: string, o: { start: string; end: string; router?: string; lease?: number; extra?: string[] }): Promise<Server> {
  const leaseFile = `${dir}/udhcpd.leases`;
  const logFile = `${dir}/udhcpd.log`;
  const conf = `${dir}/udhcpd.conf`;
  if (!fs.existsSync(leaseFile)) fs.writeFileSync(leaseFile, '');
  fs.writeFileSync(
    conf,
    [`start ${o.start}`, `end ${o.end}`, `interface ${bridge}`, `lease_file ${leaseFile}`, `pidfile ${dir}/udhcpd.pid`, 'min_lease 16', `option lease ${o.lease ?? 20}`, 'option subnet 255.255.255.0',
      ...(o.router ? [`option router ${o.router}`] : []), 'auto_time 1', ...(o.extra ?? [])].join('\n') + '\n',
  );
  fs.writeFileSync(logFile, '');
  const out = fs.openSync(logFile, 'a');
  const child = spawn('ip', ['netns', 'exec', ns, 'busybox', 'udhcpd', '-f', conf], { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  await started(child, logFile, /started/);
  return { child, leaseFile, log: () => fs.readFileSync(logFile, 'utf8'), stop: stopper(child) };
}

export interface LeaseLine {
  mac: string;
  ip: string;
  host: string;
  /** dnsmasq: expiry, epoch seconds; udhcpd: seconds left. */
  expires: number;
}

/** dnsmasq's lease file: "expiry mac ip host clientid" per line. */
export function dnsmasqLeases(file: string): LeaseLine[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [expires, mac, ip, host] = l.split(' ');
    return { mac: mac!, ip: ip!, host: host!, expires: Number(expires) };
  });
}

/** `busybox dumpleases -f FILE`: "Mac Address IP Address Host Name Expires in" then one line per lease. */
export function udhcpdLeases(file: string): LeaseLine[] {
  const r = run('busybox', ['dumpleases', '-f', file]);
  return r.stdout.split('\n').slice(1).filter(Boolean).map((l) => {
    const [mac, ip, ...rest] = l.trim().split(/\s+/);
    // "Expires in" is like "0:00:15" (udhcpd also writes "expired").
    const last = rest[rest.length - 1] ?? '';
    const hms = last.split(':').map(Number);
    const expires = hms.length === 3 ? hms[0]! * 3600 + hms[1]! * 60 + hms[2]! : 0;
    return { mac: mac!, ip: ip!, host: rest.length > 1 ? rest.slice(0, -1).join(' ') : '', expires };
  });
}

/** Polls until check() returns a value (not undefined) or the time runs out. */
export async function until<T>(check: () => T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
