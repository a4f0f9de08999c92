// pipework-netlink as a library: typed, promise-based calls for what the
// `pipework` command does. One Pipework object keeps its host netlink socket
// open across calls, which is what a daemon attaching many guests wants.
//
//   const pw = new Pipework();
//   const r = await pw.attach({ hostIf: 'br1', guest: 'web1', guestIf: 'eth0',
//                               address: '198.51.100.33/24', gateway: '198.51.100.1' });
//   await pw.detach({ guest: 'web1', guestIf: 'eth0' });
//   pw.close();
import type { ResolveOptions } from './netns';
import type { AttachResult } from './pipework/results';
import type { DetachResult } from './pipework/detach';
import { openHost, type Namespace } from './pipework/namespace';
import * as ops from './pipework/operations';
import type { BeforeStep, PlannedStep } from './pipework/plan';
import type { GcResult } from './pipework/gc';
import type { ShowResult } from './pipework/show';
import {
  attachRequest,
  detachRequest,
  gcRequest,
  showRequest,
  waitRequest,
  routeRequest,
  ruleRequest,
  type RouteOptions,
  type RuleOptions,
  type AttachOptions,
  type DetachOptions,
  type WaitRequestOptions,
} from './request';
import { waitForLink, type WaitResult } from './pipework/wait';
import { tcRequest } from './request/tc';
import type { TcResult } from './pipework/tc';
import type { RouteResult } from './pipework/route';
import type { RuleResult } from './pipework/rule';
import { batchOf, type BatchInput, type BatchOptions, type BatchResult } from './batch-api';

export { PipeworkError, type ErrorCode } from './errors';
export type { AttachResult, GuestSummary, RouteSummary } from './pipework/results';
export type { DetachResult } from './pipework/detach';
export type { ShowResult, InterfaceView, RouteView } from './pipework/show';
export type { BeforeStep, PlannedStep } from './pipework/plan';
export type { GcEntry, GcResult } from './pipework/gc';
export type { Detached } from './pipework/detach';
export { formatMark, parseMark, type Mark } from './pipework/mark';
export type { AttachRequest, DetachRequest, AddressSpec, Family, IpvlanMode, MacvlanMode, OvsDatapath } from './request';
export { IPVLAN_MODES, MACVLAN_MODES, OVS_DATAPATHS, attachRequest, detachRequest, macFromString, type AttachOptions, type DetachOptions } from './request';
export type { TcResult } from './pipework/tc';
export type { TcRequest } from './request/tc';
export type { RouteResult } from './pipework/route';
export type { RuleResult } from './pipework/rule';
export type { RouteOptions, RuleOptions } from './request';
export type { BatchInput, BatchOptions, BatchResult } from './batch-api';
export { waitForLink, isOperationallyUp, type WaitOptions, type WaitResult } from './pipework/wait';

export interface ClientOptions {
  /** Act as if this named network namespace (or namespace path) were the host. */
  hostNetns?: string | undefined;
  /** Where the Docker Engine API listens, as DOCKER_HOST (unix://...). */
  dockerHost?: string | undefined;
  /** Open vSwitch's database, unix:PATH, for calls that name none; default PIPEWORK_OVSDB, then unix:/var/run/openvswitch/db.sock. */
  ovsdb?: string | undefined;
}

export interface RunHooks {
  /** Called before each step of a change: progress reporting, or fault injection in tests. */
  beforeStep?: BeforeStep | undefined;
  /** Aborting it stops the operation between steps and rolls back what was done (code ABORTED). */
  signal?: AbortSignal | undefined;
}

export class Pipework {
  private host: Namespace | undefined;
  private readonly resolve: ResolveOptions;

  constructor(private readonly options: ClientOptions = {}) {
    this.resolve = { dockerHost: options.dockerHost };
  }

  private hostNs(): Namespace {
    this.host ??= openHost(this.options.hostNetns);
    return this.host;
  }

  /** Attaches; re-running the same attach changes nothing (result.alreadyInPlace). A failure undoes what was done. */
  async attach(o: AttachOptions, hooks: RunHooks = {}): Promise<AttachResult> {
    const req = attachRequest({ ovsdb: this.options.ovsdb, ...o });
    return (await ops.attach(req, this.hostNs(), { resolve: this.resolve, beforeStep: hooks.beforeStep, signal: hooks.signal })).result;
  }

  /** What attach would do, as iproute2 commands; changes nothing. */
  async planAttach(o: AttachOptions): Promise<PlannedStep[]> {
    return (await ops.attach(attachRequest({ ovsdb: this.options.ovsdb, ...o }), this.hostNs(), { resolve: this.resolve, dryRun: true })).plan;
  }

  /** Detaches; detaching what is not there succeeds with removed: false. */
  async detach(o: DetachOptions, hooks: RunHooks = {}): Promise<DetachResult> {
    return (await ops.detach(detachRequest({ ovsdb: this.options.ovsdb, ...o }), this.hostNs(), { resolve: this.resolve, beforeStep: hooks.beforeStep, signal: hooks.signal })).result;
  }

  /** Removes our host-side devices whose guest is gone; with dryRun, only lists them. */
  async gc(o: { dryRun?: boolean; ovsdb?: string } = {}): Promise<GcResult> {
    return (await ops.gc(this.hostNs(), { resolve: this.resolve, dryRun: o.dryRun }, gcRequest({ ovsdb: o.ovsdb ?? this.options.ovsdb }))).result;
  }

  /**
   * pipework --wait: resolves once guestIf (default eth1) exists and is up in
   * the host namespace (hostNetns, else this process's); rejects with code
   * TIMEOUT after timeoutMs (none: no limit), or with signal.reason on abort.
   */
  async wait(o: WaitRequestOptions & { signal?: AbortSignal | undefined } = {}): Promise<WaitResult> {
    const req = waitRequest(o);
    return waitForLink(req.guestIf, { timeoutMs: req.timeoutMs, signal: o.signal, nsFd: this.hostNs().nsFd });
  }

  async show(guest: string): Promise<ShowResult> {
    return ops.show(showRequest({ guest }).guest, { resolve: this.resolve });
  }

  /**
   * tc inside the guest, with tc's words: pw.tc('web1', ['qdisc', 'add', 'dev',
   * 'eth1', 'root', 'netem', 'loss', '30%']). With dryRun, changes nothing.
   */
  async tc(guest: string, words: readonly string[], o: { dryRun?: boolean } = {}): Promise<TcResult> {
    return (await ops.tc(tcRequest(guest, words), { resolve: this.resolve, dryRun: o.dryRun })).result;
  }

  /** `ip route ...` inside the guest: words (['add', '203.0.113.0/24', 'via', '198.51.100.1']) or the same as an object. */
  async route(guest: string, words: readonly string[] | RouteOptions): Promise<RouteResult> {
    return (await ops.route(routeRequest(guest, words), { resolve: this.resolve })).result;
  }

  /** `ip rule ...` inside the guest: words (['add', 'from', '198.51.100.33/32', 'table', '1']) or the same as an object. */
  async rule(guest: string, words: readonly string[] | RuleOptions): Promise<RuleResult> {
    return (await ops.rule(ruleRequest(guest, words), { resolve: this.resolve })).result;
  }

  /**
   * Many commands at once, each a command line's words after `pipework` (a
   * string, split as a shell would, or an array of words), with the batch's
   * semantics (pipework --batch): every line is parsed before any runs (a
   * malformed one rejects the whole batch with code USAGE); results come in
   * input order; a failed line is rolled back alone. Aborting o.signal rolls
   * back the lines running and reports the rest as ABORTED.
   */
  batch(lines: BatchInput, o: BatchOptions = {}): AsyncGenerator<BatchResult> {
    return batchOf(lines, this.hostNs(), { ovsdb: this.options.ovsdb, resolve: this.resolve, ...o });
  }

  /** batch(), collected: one result per line, in input order. */
  async batchAll(lines: BatchInput, o: BatchOptions = {}): Promise<BatchResult[]> {
    const out: BatchResult[] = [];
    for await (const r of this.batch(lines, o)) out.push(r);
    return out;
  }

  close(): void {
    this.host?.close();
    this.host = undefined;
  }
}

async function once<T>(options: ClientOptions, fn: (pw: Pipework) => Promise<T>): Promise<T> {
  const pw = new Pipework(options);
  try {
    return await fn(pw);
  } finally {
    pw.close();
  }
}

export const attach = (o: AttachOptions & ClientOptions): Promise<AttachResult> => once(o, (pw) => pw.attach(o));
export const detach = (o: DetachOptions & ClientOptions): Promise<DetachResult> => once(o, (pw) => pw.detach(o));
export const gc = (o: ClientOptions & { dryRun?: boolean } = {}): Promise<GcResult> => once(o, (pw) => pw.gc(o));
export const show = (guest: string, o: ClientOptions = {}): Promise<ShowResult> => once(o, (pw) => pw.show(guest));
export const tc = (guest: string, words: readonly string[], o: ClientOptions & { dryRun?: boolean } = {}): Promise<TcResult> => once(o, (pw) => pw.tc(guest, words, o));
