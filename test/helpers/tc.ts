// iproute2's `tc` as an oracle: its netlink requests under strace (as
// strace.ts does for `ip`), and its JSON view of a namespace's qdiscs.
import { spawnSync } from 'node:child_process';
import { messages } from '../../src/netlink';
import { runOk } from './netns';
import { parseStraceWrites, type Capture } from './strace';

/** Runs `tc args...` inside namespace ns under strace; never throws for tc's own failure. */
export function captureTc(ns: string, args: string[]): Capture {
  const r = spawnSync(
    'ip',
    ['netns', 'exec', ns, 'strace', '-qq', '-e', 'trace=sendmsg,sendto', '-e', 'write=all', '-s', '0', 'tc', ...args],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (r.error) throw r.error;
  const msgs: Buffer[] = [];
  for (const buf of parseStraceWrites(r.stderr)) for (const m of messages(buf)) msgs.push(m);
  return { status: r.status ?? 128, stderr: r.stderr, messages: msgs };
}

/** `tc -j qdisc show` in ns, parsed. */
export function tcJson<T = any>(ns: string, ...args: string[]): T {
  const out = runOk('ip', ['netns', 'exec', ns, 'tc', '-j', ...args]).trim();
  return (out === '' ? [] : JSON.parse(out)) as T;
}

/** `tc args...` in ns, its stdout's lines without tc's trailing spaces. */
export function tcLines(ns: string, ...args: string[]): string[] {
  return runOk('ip', ['netns', 'exec', ns, 'tc', ...args]).split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
}

/** tc's version string, e.g. 'iproute2-6.1.0', or undefined without tc. */
export function tcVersion(): string | undefined {
  const r = spawnSync('tc', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return /iproute2-[\w.]+/.exec(r.stdout)?.[0];
}
