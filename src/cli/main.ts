// The `pipework` command: parse, run, print. Exit 0 on success, 1 when the
// operation failed, 2 on a usage error; a failure is one line on stderr.
import { PipeworkError } from '../errors';
import { attach, detach, gc, show, type Outcome } from '../pipework/operations';
import type { GcResult } from '../pipework/gc';
import { openHost } from '../pipework/namespace';
import { formatShow } from '../pipework/show';
import type { AttachResult } from '../pipework/results';
import type { DetachResult } from '../pipework/detach';
import { helpText } from './help';
import { parseCommandLine } from './parse';
import { waitForLink } from '../pipework/wait';
import type { GlobalOptions, WaitRequest } from '../request/types';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const stdio: Io = {
  out: (t) => process.stdout.write(t + '\n'),
  err: (t) => process.stderr.write(t + '\n'),
};

export async function main(argv: readonly string[], io: Io = stdio): Promise<number> {
  const json = wantsJson(argv);
  try {
    const parsed = parseCommandLine(argv);
    if ('help' in parsed) {
      io.out(helpText());
      return 0;
    }
    const { options, request } = parsed;
    if (request.op === 'show') {
      const result = await show(request.guest);
      io.out(options.json ? JSON.stringify({ ok: true, op: 'show', result }, null, 2) : formatShow(result));
      return 0;
    }
    if (request.op === 'wait') return await runWait(request, options, io);
    const host = openHost(options.hostNetns);
    try {
      const run = { dryRun: options.dryRun };
      const outcome: Outcome<AttachResult | DetachResult | GcResult> =
        request.op === 'attach'
          ? await attach(request, host, run)
          : request.op === 'detach'
            ? await detach(request, host, run)
            : await gc(host, run);
      if (options.json) io.out(JSON.stringify({ ok: true, op: request.op, ...outcome }, null, 2));
      else if (options.dryRun) io.out(outcome.plan.length ? outcome.plan.map((s) => s.command).join('\n') : `# ${summary(outcome.result)}`);
      else io.out(summary(outcome.result));
      return 0;
    } finally {
      host.close();
    }
  } catch (e) {
    const err = e instanceof PipeworkError ? e : new PipeworkError('INTERNAL', (e as Error)?.message ?? String(e), { cause: e });
    const line = err.message.replace(/\s*\n\s*/g, ' ');
    if (json) io.out(JSON.stringify({ ok: false, error: { code: err.code, errno: err.errno, message: line } }, null, 2));
    io.err(`pipework: ${line}`);
    return err.code === 'USAGE' ? 2 : err.code === 'UNSUPPORTED' ? 3 : 1;
  }
}

/** Known before parsing, so that even a usage error can be reported as JSON. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return argv.some((a, i) => a === '--json' && (end < 0 || i < end) && argv[i - 1] !== '--host-netns');
}

function summary(r: AttachResult | DetachResult | GcResult): string {
  if ('message' in r) return r.message;
  if (r.alreadyInPlace) return `${r.guestSide} is already attached to ${r.guest.kind} ${r.guest.name} as asked (${r.link}): nothing changed`;
  const what = [
    r.addresses.length ? r.addresses.join(', ') : 'no address',
    ...r.routes.filter((x) => x.dst === 'default').map((x) => `default via ${x.via}`),
  ].join(', ');
  return `attached ${r.guestSide} (${r.mac}, ${what}) to ${r.guest.kind} ${r.guest.name}; ${r.link}`;
}

/**
 * --wait runs inside the container: it waits in this process's namespace, or
 * with --host-netns NS in NS (the namespace that stands for "here").
 */
async function runWait(request: WaitRequest, options: GlobalOptions, io: Io): Promise<number> {
  const here = openHost(options.hostNetns);
  try {
    const result = await waitForLink(request.guestIf, { timeoutMs: request.timeoutMs, nsFd: here.nsFd });
    io.out(options.json ? JSON.stringify({ ok: true, op: 'wait', result }, null, 2) : `${result.name} is up`);
    return 0;
  } finally {
    here.close();
  }
}

/** Entry point for bin/pipework. */
export function cli(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`pipework: internal error: ${(e as Error)?.stack ?? e}\n`);
      process.exitCode = 1;
    },
  );
}
