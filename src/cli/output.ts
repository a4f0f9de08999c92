// What the CLI prints and how it exits. One JSON contract for every command:
//
//   success  { ok: true,  op, dryRun, result, plan }
//   failure  { ok: false, op, dryRun, error: { code, message, errno? } }
//
// op is null when the line named no command; errno is there only when a
// syscall or the kernel gave one. With --json a failure is that object on
// stdout and nothing on stderr; without, one line on stderr.
import { PipeworkError } from '../errors';
import type { Outcome } from '../pipework/operations';

/** 0 success, 2 usage, 3 not supported yet, 1 everything else. */
export function exitStatus(e: PipeworkError): number {
  return e.code === 'USAGE' ? 2 : e.code === 'UNSUPPORTED' ? 3 : 1;
}

export const EXIT_STATUS_HELP = `\
Exit status:
  0  success
  1  the operation failed; what it had changed is rolled back; --wait timed out;
     or the output could not be written (stderr says whether a change stays)
  2  usage error: the command line was rejected and nothing was done
  3  not supported yet: a feature of the original this version does not have;
     nothing was done
  141  stdout was a pipe whose reader went away (EPIPE): as if killed by
     SIGPIPE; what the command did stays
`;

export function asPipeworkError(e: unknown): PipeworkError {
  return e instanceof PipeworkError ? e : new PipeworkError('INTERNAL', (e as Error)?.message ?? String(e), { cause: e });
}

/** A message on one line, whatever the layer below put in it. */
export function oneLine(message: string): string {
  return message.replace(/\s*[\r\n\u2028\u2029]\s*/g, ' ');
}

export function successJson(op: string, outcome: Outcome<unknown>): string {
  return JSON.stringify({ ok: true, op, dryRun: outcome.dryRun, result: outcome.result, plan: outcome.plan }, null, 2);
}

export function errorJson(op: string | null, dryRun: boolean, e: PipeworkError): string {
  const error: { code: string; message: string; errno?: string } = { code: e.code, message: oneLine(e.message) };
  if (e.errno !== undefined) error.errno = e.errno;
  return JSON.stringify({ ok: false, op, dryRun, error }, null, 2);
}
