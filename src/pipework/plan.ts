// An operation is planned first (read-only queries, then a list of steps) and
// executed second. The same plan prints for --dry-run, and rolls back when a
// step fails: every completed step's undo runs, newest first.
import { PipeworkError, asPipeworkError } from '../errors';

export interface Step {
  /** What the step does, in the user's terms: 'create veth vetheth1pl42 on bridge br1'. */
  title: string;
  /**
   * The iproute2 (or arping, sysctl) command with the same effect, for
   * --dry-run. Rendered when asked, from the attach's context as it is then:
   * an address learnt at run time (DHCP) is not known at plan time.
   */
  command(): string;
  /** A check has no iproute2 equivalent and changes nothing: it runs, but --dry-run does not print it. */
  role: 'check' | 'change';
  /** The signal aborts the operation between steps; a long step (a DHCP exchange) also watches it. */
  run(signal?: AbortSignal): Promise<void>;
  /** Undoes run(), also after run() failed halfway. Absent when an earlier step's undo covers it (a deleted veth takes its addresses along). */
  undo?: (() => Promise<void>) | undefined;
}

/** Called before each step runs: progress reporting, and the tests' fault injection. */
export type BeforeStep = (step: PlannedStep, index: number) => void | Promise<void>;

export interface PlannedStep {
  title: string;
  command: string;
}

export interface ExecuteOptions {
  beforeStep?: BeforeStep | undefined;
  signal?: AbortSignal | undefined;
}

/** A change with a fixed command line: the common case. */
export function change(title: string, command: string, run: Step['run'], undo?: Step['undo']): Step {
  return { title, command: () => command, role: 'change', run, undo };
}

/** A check: runs, prints nothing for --dry-run, has nothing to undo. */
export function check(title: string, run: Step['run']): Step {
  return { title, command: () => '', role: 'check', run };
}

export function describePlan(steps: readonly Step[]): PlannedStep[] {
  // A change that, as planned, will do nothing (no on-link route needed) renders no command.
  return steps.filter((s) => s.role === 'change').map((s) => ({ title: s.title, command: s.command() })).filter((s) => s.command !== '');
}

/** Runs the steps in order; on a failure (or an abort) undoes what was done and throws an error naming the step. */
export async function execute(steps: readonly Step[], opts: ExecuteOptions = {}): Promise<void> {
  const done: Step[] = [];
  for (const [index, step] of steps.entries()) {
    if (opts.signal?.aborted) {
      const rollbackErrors = await rollback(done);
      throw aborted(`before "${step.title}"`, opts.signal, rollbackErrors);
    }
    try {
      await opts.beforeStep?.({ title: step.title, command: step.command() }, index);
      await step.run(opts.signal);
    } catch (e) {
      // The failed step's own undo first: it may have got halfway (its undo knows how far).
      const rollbackErrors = await rollback([...done, step]);
      // A step that watches the signal (a DHCP exchange) rejects with its reason.
      if (opts.signal?.aborted) throw aborted(`during "${step.title}"`, opts.signal, rollbackErrors);
      throw stepError(step, e, rollbackErrors);
    }
    done.push(step);
  }
}

async function rollback(done: Step[]): Promise<string[]> {
  const errors: string[] = [];
  for (const step of done.reverse()) {
    if (!step.undo) continue;
    try {
      await step.undo();
    } catch (e) {
      errors.push(`undoing "${step.title}": ${(e as Error).message}`);
    }
  }
  return errors;
}

function aborted(when: string, signal: AbortSignal, rollbackErrors: string[]): PipeworkError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
  const tail = rollbackErrors.length ? `; rollback incomplete: ${rollbackErrors.join('; ')}` : '; what was done is rolled back';
  return new PipeworkError('ABORTED', `aborted ${when} (${reason})${tail}`, { cause: signal.reason });
}

function stepError(step: Step, e: unknown, rollbackErrors: string[]): PipeworkError {
  const tail = rollbackErrors.length ? `; rollback incomplete: ${rollbackErrors.join('; ')}` : '';
  if (e instanceof PipeworkError) {
    return new PipeworkError(e.code, `${step.title}: ${e.message}${tail}`, { cause: e, errno: e.errno });
  }
  // A NetlinkError (its code is the errno name) or a system call's error.
  return asPipeworkError(e, 'KERNEL', `${step.title} failed`, tail);
}
