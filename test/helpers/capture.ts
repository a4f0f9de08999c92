// Frames seen on a namespace's interface while a test acts, through tcpdump
// (an independent capturer), for checking what the library puts on the wire.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Whether tcpdump is installed (the capture tests are skipped without it). */
export const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;

/**
 * Captures up to count frames matching filter on iface of namespace ns while fn
 * runs (waiting up to 3 s after it for them).
 */
export async function capture(ns: string, iface: string, filter: string, count: number, fn: () => Promise<void>): Promise<Buffer[]> {
  const file = path.join(os.tmpdir(), `${ns}-${process.pid}-${Date.now()}.pcap`);
  const child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', iface, '-U', '-n', '-c', String(count), '-w', file, filter], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
      if (err.includes('listening on')) resolve();
    });
    child.on('exit', () => reject(new Error(`tcpdump ended early: ${err}`)));
  });
  try {
    await fn();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill();
        resolve();
      }, 3000);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return readPcap(fs.readFileSync(file));
  } finally {
    if (child.exitCode === null) child.kill();
    fs.rmSync(file, { force: true });
  }
}

/** The frames of a classic pcap file (24-byte file header, 16-byte record headers, little-endian). */
export function readPcap(buf: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 24; at + 16 <= buf.length; ) {
    const len = buf.readUInt32LE(at + 8);
    frames.push(buf.subarray(at + 16, at + 16 + len));
    at += 16 + len;
  }
  return frames;
}
