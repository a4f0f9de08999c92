// iproute2's own netlink requests, as the kernel receives them: run `ip` under
// strace inside a namespace and read back the bytes of every sendmsg/sendto.
//
//   const sent = captureIp(ns, 'link', 'add', 'br0', 'type', 'bridge');
//   sent.messages  // [Buffer, ...], one per message, in order
//
// `-e write=all` makes strace hex-dump every buffer written, whatever the
// decoder shows on the call line; the dump is what we parse:
//   sendmsg(3, {...}, 0) = 56
//    * 56 bytes in buffer 0
//    | 00000  38 00 00 00 10 00 05 06  25 61 0a 6b 00 00 00 00  8.......%a.k.... |
// A dump request goes out through sendto() with a buffer longer than the
// message; messages are cut to their nlmsg_len.

import { spawnSync } from 'node:child_process';
import { messages } from '../../src/netlink';

export function have(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/** iproute2's version string, e.g. 'iproute2-6.1.0', or undefined without ip. */
export function iproute2Version(): string | undefined {
  const r = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return /iproute2-[\w.]+/.exec(r.stdout)?.[0];
}

export interface Capture {
  status: number;
  stderr: string;
  /** Every netlink message ip sent, in order. */
  messages: Buffer[];
}

/** Hex dumps of the buffers written by each sendmsg/sendto, from strace's stderr. */
export function parseStraceWrites(text: string): Buffer[] {
  const out: Buffer[] = [];
  let cur: number[] | undefined;
  const flush = (): void => {
    if (cur) out.push(Buffer.from(cur));
    cur = undefined;
  };
  for (const line of text.split('\n')) {
    if (/^(\[pid\s+\d+\] )?(sendmsg|sendto)\(/.test(line)) {
      flush();
      cur = [];
      continue;
    }
    const m = /^ \| [0-9a-f]{5}  (.{48})/.exec(line);
    if (m && cur) {
      for (const h of m[1]!.match(/[0-9a-f]{2}/g) ?? []) cur.push(parseInt(h, 16));
    } else if (!line.startsWith(' * ')) {
      flush();
    }
  }
  flush();
  return out;
}

/** Runs `ip args...` inside namespace ns under strace; never throws for ip's own failure. */
export function captureIp(ns: string, ...args: string[]): Capture {
  return captureTool(ns, 'ip', ...args);
}

/** The same for another iproute2 tool (`bridge vlan add ...`). */
export function captureTool(ns: string, tool: string, ...args: string[]): Capture {
  const r = spawnSync(
    'ip',
    ['netns', 'exec', ns, 'strace', '-qq', '-e', 'trace=sendmsg,sendto', '-e', 'write=all', '-s', '0', tool, ...args],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (r.error) throw r.error;
  const msgs: Buffer[] = [];
  for (const buf of parseStraceWrites(r.stderr)) for (const m of messages(buf)) msgs.push(m);
  return { status: r.status ?? 128, stderr: r.stderr, messages: msgs };
}
