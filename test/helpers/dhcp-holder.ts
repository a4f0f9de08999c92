// A `pipework ... dhcp:-f` (or udhcpc-f...) process holding its lease in the
// foreground, for tests: its stderr as it comes, its exit as a promise.
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, ROOT } from './cli';

export interface Holder {
  child: ChildProcess;
  /** stderr so far. */
  err: () => string;
  /** The exit status (128 + n for a signal), and when it came. */
  exit: Promise<{ code: number; at: number }>;
  /** SIGTERM (SIGKILL after 5 s), and the exit. */
  stop(): Promise<void>;
}

export function startHolder(argv: string[], env: NodeJS.ProcessEnv): Holder {
  let err = '';
  const child = spawn(process.execPath, [BIN, ...argv], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<{ code: number; at: number }>((r) => child.on('exit', (code, signal) => r({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), at: Date.now() })));
  return {
    child,
    err: () => err,
    exit,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(t);
    },
  };
}
