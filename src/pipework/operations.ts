// The operations on an open host namespace: resolve the guest once, plan,
// then either describe the plan (--dry-run) or execute it.
import type { ResolveOptions } from '../netns';
import type { LinkRemover } from './bulk-detach';
import { planAttach } from './attach';
import type { AttachResult, Planned } from './results';
import { planDetach, type DetachResult } from './detach';
import { planGc, type GcResult } from './gc';
import { PipeworkError, asPipeworkError } from '../errors';
import { describeGuest, openGuest, type Namespace, type OpenGuest } from './namespace';
import { describePlan, execute, type BeforeStep, type PlannedStep } from './plan';
import { runShow, type ShowResult } from './show';
import type { AttachRequest, DetachRequest, GcRequest } from '../request/types';
import type { TcRequest } from '../request/tc';
import { planTc, showTc, type TcResult } from './tc';
import type { RouteRequest } from '../request/route';
import type { RuleRequest } from '../request/rule';
import { planRoute, type RouteResult } from './route';
import { planRule, type RuleResult } from './rule';

export interface RunOptions {
  dryRun?: boolean | undefined;
  resolve?: ResolveOptions | undefined;
  beforeStep?: BeforeStep | undefined;
  /** Aborting it stops the operation between steps and rolls back what was done. */
  signal?: AbortSignal | undefined;
  /** detach in a batch: links removed in bulk (bulk-detach.ts). */
  bulk?: LinkRemover | undefined;
}

/** A result, and the steps that made it (or would make it, on a dry run). */
export interface Outcome<R> {
  result: R;
  plan: PlannedStep[];
  dryRun: boolean;
}

async function withGuest<T>(spec: string, resolve: ResolveOptions | undefined, fn: (g: OpenGuest) => Promise<T>): Promise<T> {
  const g = await openGuest(spec, resolve);
  try {
    return await fn(g);
  } catch (e) {
    // Steps name themselves; a failed read-only query is named here.
    throw asPipeworkError(e, 'KERNEL', `reading the state of ${describeGuest(g.guest)} or the host failed`);
  } finally {
    g.ns.close();
  }
}

async function run<R>(planned: Planned<R>, opts: RunOptions): Promise<Outcome<R>> {
  const dryRun = !!opts.dryRun;
  if (dryRun) planned.preview?.();
  else await execute(planned.steps, { beforeStep: opts.beforeStep, signal: opts.signal });
  return { result: planned.result, plan: describePlan(planned.steps), dryRun };
}

export function attach(req: AttachRequest, host: Namespace, opts: RunOptions = {}): Promise<Outcome<AttachResult>> {
  return withGuest(req.guest, opts.resolve, async ({ guest, ns }) => run(await planAttach(req, host, ns, guest), opts));
}

export async function detach(req: DetachRequest, host: Namespace, opts: RunOptions = {}): Promise<Outcome<DetachResult>> {
  try {
    return await withGuest(req.guest, opts.resolve, async ({ guest, ns }) => run(await planDetach(req, host, ns, guest, opts.bulk), opts));
  } catch (e) {
    // Only a container (Docker or LXC) can exist without running: with no process it has no
    // network namespace, so nothing of ours is left in it. The goal is reached.
    if (!(e instanceof PipeworkError && e.code === 'GUEST_NOT_RUNNING')) throw e;
    const lxc = req.guest.startsWith('lxc:');
    const result: DetachResult = {
      guest: lxc ? { kind: 'lxc', name: req.guest.slice('lxc:'.length) } : { kind: 'docker', name: req.guest.replace(/^docker:/, '') },
      guestSide: req.all ? '*' : req.guestIf,
      removed: false,
      detached: [],
      message: `${e.message}: it has no interfaces, so nothing to detach`,
    };
    return { result, plan: [], dryRun: !!opts.dryRun };
  }
}

export function show(spec: string, opts: RunOptions = {}): Promise<ShowResult> {
  return withGuest(spec, opts.resolve, ({ guest, ns }) => runShow(ns, guest));
}

/** Removes the host-side devices we made whose guest is gone (gc.ts). */
export async function gc(host: Namespace, opts: RunOptions = {}, req?: GcRequest): Promise<Outcome<GcResult>> {
  return run(await planGc(host, opts.resolve, req), opts);
}

/** pipework tc: one tc request in the guest, or its qdiscs (classes) read back. */
export function tc(req: TcRequest, opts: RunOptions = {}): Promise<Outcome<TcResult>> {
  return withGuest(req.guest, opts.resolve, async ({ guest, ns }) =>
    req.verb === 'show' ? { result: await showTc(req, ns, guest), plan: [], dryRun: !!opts.dryRun } : run(await planTc(req, ns, guest), opts),
  );
}

/** pipework route: in the guest's namespace; show and get only read. */
export function route(req: RouteRequest, opts: RunOptions = {}): Promise<Outcome<RouteResult>> {
  return withGuest(req.guest, opts.resolve, async ({ guest, ns }) => run(await planRoute(req, ns, guest), opts));
}

/** pipework rule: in the guest's namespace; show only reads. */
export function rule(req: RuleRequest, opts: RunOptions = {}): Promise<Outcome<RuleResult>> {
  return withGuest(req.guest, opts.resolve, async ({ guest, ns }) => run(await planRule(req, ns, guest), opts));
}
