// Writing the output, and what happens when it cannot be written: a full disk
// (`pipework ... >/dev/full`: ENOSPC), a reader that went away (`| head -c1`:
// EPIPE), a closed descriptor. Node reports those as an 'error' event on
// process.stdout/stderr, which unhandled ends the process with a stack trace
// after the change was already made. Here instead:
//
//   EPIPE on stdout   exit 141, nothing printed: what a tool killed by SIGPIPE
//                     gives (128 + 13), the shell's convention for "the reader
//                     stopped"; Node ignores SIGPIPE, so we say it ourselves.
//   any other error   one line on stderr naming it and, when the command had
//   on stdout         changed something, that the change was made and stays
//                     (nothing is rolled back for want of a terminal); exit 1,
//                     or the command's own status when it had failed already.
//   any error on      nothing more can be said; the status stands (a success
//   stderr            writes nothing there).
import type { Io } from './main';

export interface GuardedIo extends Io {
  /** What the command did, told before its output is written: `changed` names a change made, e.g. 'the attach'. */
  outcome(o: { ok: boolean; changed?: string | undefined }): void;
}

export const EPIPE_STATUS = 141;

/** The process's stdout and stderr, with the handling above installed; `status` maps main's exit status to the process's. */
export function processIo(): { io: GuardedIo; status(code: number): number } {
  let done: { ok: boolean; changed?: string | undefined } = { ok: false };
  let override: number | undefined;
  const broken = { stdout: false, stderr: false };

  const onError = (stream: 'stdout' | 'stderr') => (e: NodeJS.ErrnoException) => {
    if (broken[stream]) return;
    broken[stream] = true;
    if (stream === 'stderr') return;
    if (e.code === 'EPIPE') override = EPIPE_STATUS;
    else {
      const why = `${e.code ?? 'error'}: ${e.message.replace(/^\w+: /, '').split('\n')[0]}`;
      const stays = done.changed ? `; ${done.changed} was made and stays` : '';
      write('stderr', `pipework: cannot write the output to stdout (${why})${stays}\n`);
      if (done.ok) override = 1;
    }
    process.exitCode = status(typeof process.exitCode === 'number' ? process.exitCode : 0);
  };
  process.stdout.on('error', onError('stdout'));
  process.stderr.on('error', onError('stderr'));

  function write(stream: 'stdout' | 'stderr', text: string): void {
    if (broken[stream]) return;
    try {
      process[stream].write(text);
    } catch (e) {
      // a synchronous throw (a destroyed stream) is the same failure
      onError(stream)(e as NodeJS.ErrnoException);
    }
  }

  function status(code: number): number {
    if (override === EPIPE_STATUS) return EPIPE_STATUS;
    return override !== undefined && code === 0 ? override : code;
  }

  return {
    io: {
      out: (t) => write('stdout', t + '\n'),
      err: (t) => write('stderr', t + '\n'),
      outcome: (o) => {
        done = o;
      },
    },
    status,
  };
}
