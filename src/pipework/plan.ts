// An operation is planned first (read-only queries, then a list of steps) and
// executed second. The same plan prints for --dry-run, and rolls back when a
// step fails: every completed step's undo runs, newest first.
import { PipeworkError } from '../errors';
import { NetlinkError } from '../netlink';

export interface Step {
  /** What the step does, in the user's terms: 'create veth vetheth1pl42 on bridge br1'. */
  title: string;
  /** The iproute2 (or arping) command with the same effect, for --dry-run. */
  command: string;
  run(): Promise<void>;
  /** Undoes run(). Absent when undoing an earlier step covers this one (a deleted veth takes its addresses along). */
  undo?: (() => Promise<void>) | undefined;
  /** A check with no iproute2 equivalent: runs, but is not printed by --dry-run. */
  check?: boolean | undefined;
}

/** Called before each step runs: progress reporting, and the tests' fault injection. */
export type BeforeStep = (step: PlannedStep, index: number) => void | Promise<void>;

export interface PlannedStep {
  title: string;
  command: string;
}

export function describePlan(steps: readonly Step[]): PlannedStep[] {
  return steps.filter((s) => !s.check).map(({ title, command }) => ({ title, command }));
}

/** Runs the steps in order; on a failure undoes what was done and throws an error naming the step. */
export async function execute(steps: readonly Step[], beforeStep?: BeforeStep): Promise<void> {
  const done: Step[] = [];
  for (const [index, step] of steps.entries()) {
    try {
      await beforeStep?.({ title: step.title, command: step.command }, index);
      await step.run();
    } catch (e) {
      // The failed step's own undo first: it may have got halfway (its undo knows how far).
      const rollbackErrors = await rollback([...done, step]);
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

function stepError(step: Step, e: unknown, rollbackErrors: string[]): PipeworkError {
  const tail = rollbackErrors.length ? `; rollback incomplete: ${rollbackErrors.join('; ')}` : '';
  if (e instanceof PipeworkError) {
    return new PipeworkError(e.code, `${step.title}: ${e.message}${tail}`, { cause: e, errno: e.errno });
  }
  if (e instanceof NetlinkError) {
    return new PipeworkError('KERNEL', `${step.title} failed: ${e.message}${tail}`, { cause: e, errno: e.code });
  }
  const code = (e as { code?: unknown })?.code;
  return new PipeworkError('KERNEL', `${step.title} failed: ${(e as Error).message}${tail}`, {
    cause: e,
    errno: typeof code === 'string' ? code : undefined,
  });
}
