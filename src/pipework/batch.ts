// Many operations at once (pipework --batch, Pipework.batch): lines run
// concurrently, at most `parallel` at a time, and their results come out in
// input order. Each line runs its own plan with its own rollback (plan.ts),
// so a line that fails is undone alone and the others stand.
//
// Ordering: every line names keys (the guest it acts in, the host
// interfaces it uses). A line waits for every earlier line with a key in
// common, except that lines which only *share* a resource (the second and
// later attaches to one bridge) run together once the first line that may
// create it is done. So two lines on one guest keep their order, and a
// bridge, VLAN device or OVS bridge made on demand is made by the earliest
// line naming it, not raced for by a thousand.
//
// Memory stays bounded: a line is only taken from the input while fewer than
// `window` lines wait to be reported, and a key's state is dropped when no
// line holds it.
import { PipeworkError } from '../errors';
import type { Request } from '../request/types';

/** What a line locks: `shared` ones run together, after the last earlier exclusive holder. */
export interface BatchKey {
  name: string;
  shared?: boolean | undefined;
}

export interface LineContext {
  /** Aborted when the batch is cancelled: the line stops between steps and rolls back. */
  signal: AbortSignal;
  /**
   * The line is only waiting now (for a bulk deletion, bulk-detach.ts): it
   * gives its place back so that other lines run meanwhile. Its keys stay held.
   */
  parked(): void;
}

export interface BatchItem<T> {
  /** 1-based, as the user counts lines of a file. */
  line: number;
  keys: readonly BatchKey[];
  run(ctx: LineContext): Promise<T>;
}

export type LineResult<T> = { line: number; ok: true; value: T } | { line: number; ok: false; error: PipeworkError };

export interface ScheduleOptions {
  /** Lines running at once (default DEFAULT_PARALLEL). */
  parallel?: number | undefined;
  /** Cancels the batch: running lines roll back, lines not started report ABORTED. */
  signal?: AbortSignal | undefined;
  /** Called whenever no line is running (bulk-detach.ts flushes then). */
  onIdle?: (() => void) | undefined;
}

/**
 * Enough to keep the kernel busy while each line waits on its replies (an
 * attach is a handful of round trips, about 1 ms of kernel work), few enough
 * that open sockets stay far below the fd limit: two per running line.
 */
export const DEFAULT_PARALLEL = 32;

/** The keys of a request, as the scheduler orders by them. */
export class BatchKeys {
  /** Host interfaces seen on an earlier line: later lines only share them. */
  private readonly seen = new Set<string>();

  of(req: Request): BatchKey[] {
    // gc looks at everything: it waits for every earlier line, and every later one waits for it.
    if (req.op === 'gc') return [{ name: '*' }];
    const keys: BatchKey[] = [{ name: '*', shared: true }];
    if ('guest' in req) keys.push({ name: `guest:${guestKey(req.guest)}` });
    if (req.op === 'attach') {
      const resources = [req.hostIf];
      if (req.vlan !== undefined || req.tag !== undefined) resources.push(`${req.hostIf}@${req.vlan ?? req.tag}`);
      for (const r of resources) {
        // A NIC moved into a guest is that guest's alone: never shared.
        keys.push({ name: `hostif:${r}`, shared: !req.directPhys && this.seen.has(r) });
        this.seen.add(r);
      }
      if (req.hostLinkName !== undefined) keys.push({ name: `hostlink:${req.hostLinkName}` });
      // What a detach can give back to the host (a VLAN device its last user releases, a moved NIC)
      // is not named on the detach's line: such an attach waits for every earlier detach.
      if (req.vlan !== undefined || req.tag !== undefined || req.directPhys) keys.push({ name: 'release' });
    }
    if (req.op === 'detach') keys.push({ name: 'release', shared: true });
    return keys;
  }
}

/** A guest as written, without its kind prefix: netns:red and red are one key (over-ordering is harmless). */
function guestKey(spec: string): string {
  return spec.replace(/^(docker|lxc|netns|pid|path):/, '');
}

interface KeyState {
  /** Done when the last exclusive holder registered so far is done. */
  exclusive: Promise<void>;
  /** Shared holders registered since that exclusive one, not done yet, and a promise that settles when none is left. */
  shared: { pending: number; drained: Promise<void>; resolve: () => void };
  /** Lines registered and not done: the state goes when it reaches 0. */
  users: number;
}

function sharedGroup(): KeyState['shared'] {
  let resolve!: () => void;
  const drained = new Promise<void>((r) => (resolve = r));
  return { pending: 0, drained, resolve };
}

class KeyTable {
  private readonly keys = new Map<string, KeyState>();

  /** Registers a line's keys now (input order); the promise says when it may start; release() when it is done. */
  acquire(keys: readonly BatchKey[]): { ready: Promise<void>; release: () => void } {
    const waits: Promise<void>[] = [];
    const releases: (() => void)[] = [];
    for (const key of keys) {
      let s = this.keys.get(key.name);
      if (!s) {
        s = { exclusive: Promise.resolve(), shared: sharedGroup(), users: 0 };
        s.shared.resolve();
        this.keys.set(key.name, s);
      }
      const state = s;
      state.users++;
      const drop = () => {
        if (--state.users === 0) this.keys.delete(key.name);
      };
      if (key.shared) {
        waits.push(state.exclusive);
        // The first shared holder after an exclusive one (or after the last group drained) starts a group.
        if (state.shared.pending === 0) state.shared = sharedGroup();
        const g = state.shared;
        g.pending++;
        releases.push(() => {
          if (--g.pending === 0) g.resolve();
          drop();
        });
      } else {
        waits.push(state.exclusive, state.shared.drained);
        let done!: () => void;
        state.exclusive = new Promise<void>((r) => (done = r));
        state.shared = sharedGroup();
        state.shared.resolve();
        releases.push(() => {
          done();
          drop();
        });
      }
    }
    return { ready: Promise.all(waits).then(() => undefined), release: () => releases.forEach((r) => r()) };
  }
}

/** At most n holders; waiters are served in order. */
class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    private readonly n: number,
    private readonly onIdle: () => void,
  ) {}

  take(): Promise<void> {
    if (this.active < this.n) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((r) => this.waiting.push(r));
  }

  give(): void {
    const next = this.waiting.shift();
    if (next) return next();
    // Idle only if it stays so once the lines being taken from the input and unlocked now have had their turn.
    if (--this.active === 0) setImmediate(() => this.active === 0 && this.onIdle());
  }
}

function notRun(signal: AbortSignal): PipeworkError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
  return new PipeworkError('ABORTED', `not run: the batch was cancelled (${reason})`, { cause: signal.reason });
}

function asError(e: unknown): PipeworkError {
  return e instanceof PipeworkError ? e : new PipeworkError('INTERNAL', (e as Error)?.message ?? String(e), { cause: e });
}

/**
 * Runs the items; yields one result per item, in input order, as soon as it
 * and every earlier one are done. Once the signal aborts, no more items are
 * taken from the input; every item taken is reported. Leaving the loop early
 * does not stop the lines already running: abort the signal for that.
 */
export async function* schedule<T>(items: Iterable<BatchItem<T>> | AsyncIterable<BatchItem<T>>, opts: ScheduleOptions = {}): AsyncGenerator<LineResult<T>> {
  const parallel = Math.max(1, Math.floor(opts.parallel ?? DEFAULT_PARALLEL));
  const window = Math.max(4 * parallel, 256);
  const signal = opts.signal ?? new AbortController().signal;
  const keys = new KeyTable();
  const slots = new Slots(parallel, () => opts.onIdle?.());
  // Results by position in the input; the oldest unreported first.
  const done = new Map<number, LineResult<T>>();
  let taken = 0;
  let reported = 0;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const sleep = () => new Promise<void>((r) => (wake = r));

  async function runOne(item: BatchItem<T>, position: number): Promise<void> {
    const lock = keys.acquire(item.keys);
    let result: LineResult<T>;
    try {
      await lock.ready;
      if (signal.aborted) throw notRun(signal);
      await slots.take();
      let holding = true;
      const giveBack = () => {
        if (holding) slots.give();
        holding = false;
      };
      try {
        if (signal.aborted) throw notRun(signal);
        result = { line: item.line, ok: true, value: await item.run({ signal, parked: giveBack }) };
      } finally {
        giveBack();
      }
    } catch (e) {
      result = { line: item.line, ok: false, error: asError(e) };
    } finally {
      lock.release();
    }
    done.set(position, result);
    poke();
  }

  const source = (Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]()) as AsyncIterator<BatchItem<T>> | Iterator<BatchItem<T>>;
  let exhausted = false;
  let pulling: Promise<void> | undefined;
  // Takes lines from the input while the window has room; runs beside the reporting loop.
  const pull = async (): Promise<void> => {
    while (!exhausted && !signal.aborted && taken - reported < window) {
      const next = await source.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      void runOne(next.value, taken++);
    }
    pulling = undefined;
    poke();
  };

  try {
    for (;;) {
      if (!pulling && !exhausted && !signal.aborted && taken - reported < window) pulling = pull();
      const r = done.get(reported);
      if (r) {
        done.delete(reported);
        reported++;
        yield r;
        continue;
      }
      // Cancelled: the lines taken are all reported (ABORTED if they had not started), no more are taken.
      if ((exhausted || signal.aborted) && !pulling && reported === taken) return;
      await sleep();
    }
  } finally {
    if (!exhausted) await (source as AsyncIterator<BatchItem<T>>).return?.();
  }
}

/** The whole batch as one array, in input order. */
export async function scheduleAll<T>(items: Iterable<BatchItem<T>> | AsyncIterable<BatchItem<T>>, opts: ScheduleOptions = {}): Promise<LineResult<T>[]> {
  const out: LineResult<T>[] = [];
  for await (const r of schedule(items, opts)) out.push(r);
  return out;
}
